// A plain HTTP listener with a bound-port answer and a prompt stop: what the probe and metrics servers share.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

export class HttpEndpoint {
  private readonly name: string;
  private readonly port: number;
  private readonly host: string | undefined;
  private readonly handler: RequestHandler;
  private server: Server | undefined;

  constructor(options: { name: string; port: number; host?: string | undefined; handler: RequestHandler }) {
    this.name = options.name;
    this.port = options.port;
    this.host = options.host;
    this.handler = options.handler;
  }

  /** Listens and resolves with the bound port (`port: 0` picks a free one). */
  async start(): Promise<number> {
    if (this.server !== undefined) return this.boundPort();
    const server = createServer(this.handler);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return this.boundPort();
  }

  boundPort(): number {
    const address = this.server?.address();
    if (address === null || address === undefined || typeof address === 'string') {
      throw new Error(`${this.name} not listening`);
    }
    return address.port;
  }

  /** Closes open connections too, so a stop never waits for an idle keep-alive scraper. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  }
}
