// `/healthz` (liveness) and `/readyz` (readiness) over plain HTTP, as controller-runtime serves them.
// Liveness answers from the event loop alone, never from the API server: a slow API server must not get
// the pod killed. Readiness runs named checks (caches synced, …) and answers 503 listing the failures.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpEndpoint } from './http-endpoint.ts';

/** Returns true (or nothing) when healthy, false or a reason string when not. May throw (= unhealthy). */
export type HealthCheck = () => boolean | string | undefined;

export interface HealthServerOptions {
  /** Defaults to 8081; 0 picks a free port (tests). */
  port?: number;
  /** Defaults to all interfaces so kubelet probes reach it. */
  host?: string;
}

interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

function runCheck(name: string, check: HealthCheck): CheckResult {
  try {
    const result = check();
    if (result === undefined || result === true) return { name, ok: true, detail: 'ok' };
    return { name, ok: false, detail: result === false ? 'failed' : result };
  } catch (error) {
    return { name, ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

export class HealthServer {
  private readonly liveness = new Map<string, HealthCheck>();
  private readonly readiness = new Map<string, HealthCheck>();
  private readonly endpoint: HttpEndpoint;

  constructor(options: HealthServerOptions = {}) {
    this.endpoint = new HttpEndpoint({
      name: 'health server',
      port: options.port ?? 8081,
      host: options.host,
      handler: (request, response) => {
        this.handle(request, response);
      },
    });
    this.liveness.set('ping', () => true);
  }

  addHealthzCheck(name: string, check: HealthCheck): void {
    this.liveness.set(name, check);
  }

  addReadyzCheck(name: string, check: HealthCheck): void {
    this.readiness.set(name, check);
  }

  /** Runs the readiness checks, as `/readyz` would. */
  isReady(): boolean {
    return [...this.readiness].every(([name, check]) => runCheck(name, check).ok);
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

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const checks =
      url.pathname === '/healthz' || url.pathname === '/livez'
        ? this.liveness
        : url.pathname === '/readyz'
          ? this.readiness
          : undefined;
    if (checks === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    const results = [...checks].map(([name, check]) => runCheck(name, check));
    const ok = results.every((result) => result.ok);
    const verbose = url.searchParams.has('verbose') || !ok;
    const body = verbose
      ? `${results.map((r) => `[${r.ok ? '+' : '-'}]${r.name} ${r.detail}`).join('\n')}\n${url.pathname.slice(1)} check ${ok ? 'passed' : 'failed'}\n`
      : 'ok';
    response.writeHead(ok ? 200 : 503, {
      'content-type': 'text/plain; charset=utf-8',
      'x-content-type-options': 'nosniff',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  }
}
