// `/metrics` over plain HTTP on :8080 (controller-runtime's usual metrics address), serving one registry in
// the Prometheus text format. Its own port keeps scrapes independent of the probes on :8081.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { HttpEndpoint } from '../runtime/http-endpoint.ts';

export interface MetricsServerOptions {
  registry: Registry;
  /** Defaults to 8080; 0 picks a free port (tests). */
  port?: number;
  /** Defaults to all interfaces so Prometheus reaches it through the Service. */
  host?: string;
}

export class MetricsServer {
  /** The configured port (0 = a free one, see boundPort()). */
  readonly port: number;
  private readonly registry: Registry;
  private readonly endpoint: HttpEndpoint;

  constructor(options: MetricsServerOptions) {
    this.registry = options.registry;
    this.port = options.port ?? 8080;
    this.endpoint = new HttpEndpoint({
      name: 'metrics server',
      port: this.port,
      host: options.host,
      handler: (request, response) => {
        void this.handle(request, response);
      },
    });
  }

  /** Listens and resolves with the bound port. */
  start(): Promise<number> {
    return this.endpoint.start();
  }

  boundPort(): number {
    return this.endpoint.boundPort();
  }

  stop(): Promise<void> {
    return this.endpoint.stop();
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
