// `/metrics` over plain HTTP on :8080 (controller-runtime's usual metrics address), serving one registry in
// the Prometheus text format. Its own port keeps scrapes independent of the probes on :8081.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface MetricsServerOptions {
  registry: Registry;
  /** Defaults to 8080; 0 picks a free port (tests). */
  port?: number;
  /** Defaults to all interfaces so Prometheus reaches it through the Service. */
  host?: string;
}

export class MetricsServer {
  private readonly registry: Registry;
  private readonly port: number;
  private readonly host: string | undefined;
  private server: Server | undefined;

  constructor(options: MetricsServerOptions) {
    this.registry = options.registry;
    this.port = options.port ?? 8080;
    this.host = options.host;
  }

  /** Listens and resolves with the bound port. */
  async start(): Promise<number> {
    if (this.server !== undefined) return this.boundPort();
    const server = createServer((request, response) => {
      void this.handle(request, response);
    });
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
      throw new Error('metrics server not listening');
    }
    return address.port;
  }

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

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end();
      return;
    }
    try {
      const body = await this.registry.metrics();
      response.writeHead(200, { 'Content-Type': this.registry.contentType });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${message}\n`);
    }
  }
}
