// A TCP relay between one operator process and the API server (TLS passes through untouched). It lets a
// scenario see when the operator last sent anything and hold the server's answers back for a while, so it
// can freeze the operator at a moment when every request it has started is already out of the process.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class TcpRelay {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private holdMs = 0;
  private lastUpstreamAt = 0;
  private bytesUp = 0;
  port = 0;

  private constructor(target: { host: string; port: number }) {
    this.server = createServer((client) => {
      const upstream = createConnection(target);
      this.sockets.add(client);
      this.sockets.add(upstream);
      client.on('data', (chunk: Buffer) => {
        this.lastUpstreamAt = Date.now();
        this.bytesUp += chunk.length;
        upstream.write(chunk);
      });
      // Answers wait in order: each is released `holdMs` after it arrived, never before an earlier one.
      const queue: { chunk: Buffer; at: number }[] = [];
      let timer: NodeJS.Timeout | undefined;
      const flush = (): void => {
        timer = undefined;
        while (queue.length > 0 && (queue[0]?.at ?? 0) <= Date.now())
          client.write(queue.shift()?.chunk ?? Buffer.alloc(0));
        const next = queue[0];
        if (next !== undefined) timer = setTimeout(flush, Math.max(0, next.at - Date.now()));
      };
      upstream.on('data', (chunk: Buffer) => {
        queue.push({ chunk, at: Date.now() + this.holdMs });
        if (timer === undefined) flush();
      });
      const close = (): void => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('close', close).on('error', close);
      upstream.on('close', close).on('error', close);
    });
  }

  static async start(target: { host: string; port: number }): Promise<TcpRelay> {
    const relay = new TcpRelay(target);
    await new Promise<void>((resolve, reject) => {
      relay.server.once('error', reject);
      relay.server.listen(0, '127.0.0.1', () => {
        resolve();
      });
    });
    const address = relay.server.address();
    relay.port = typeof address === 'object' && address !== null ? address.port : 0;
    return relay;
  }

  /** Answers from the server reach the client `ms` later (0: at once). */
  holdResponses(ms: number): void {
    this.holdMs = ms;
  }

  /** Milliseconds since the client last sent a byte. */
  quietForMs(): number {
    return this.lastUpstreamAt === 0 ? Infinity : Date.now() - this.lastUpstreamAt;
  }

  get bytesSent(): number {
    return this.bytesUp;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}
