// A real Prometheus (Debian's `prometheus` package, or $PROMETHEUS) for tests: started on a free loopback
// port with a temporary config and TSDB, queried through its HTTP API, and always stopped (also when the
// test process exits without reaching its afterAll).
//
//   const available = prometheusAvailable('metrics end to end');   // at module load: CI fails, else warns
//   const prometheus = await startPrometheus({ targets: [`127.0.0.1:${port}`] });
//   const samples = await prometheus.vector('sum(vmfleet_hourly_cost)');
//   await prometheus.stop();
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

export const PROMETHEUS_BINARY = process.env.PROMETHEUS ?? '/usr/bin/prometheus';

/**
 * Whether Prometheus is installed. Missing in CI is an error (a gate must not pass by skipping); elsewhere
 * the caller skips, after one loud line naming what is skipped.
 */
export function prometheusAvailable(what: string): boolean {
  if (existsSync(PROMETHEUS_BINARY)) return true;
  if (process.env.CI === 'true') {
    throw new Error(`${PROMETHEUS_BINARY} not found: CI must install Debian's prometheus package`);
  }
  console.warn(`!!!!! SKIPPING ${what} — ${PROMETHEUS_BINARY} not found (apt-get install prometheus) !!!!!`);
  return false;
}

/** A TCP port free on loopback right now (the caller binds it soon after; startPrometheus retries a race). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** The body of /api/v1/query. */
export interface QueryResponse {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  warnings?: string[];
  data?: { resultType: 'vector' | 'matrix' | 'scalar' | 'string'; result: unknown };
}

/** One sample of an instant vector: its labels and its value (Prometheus sends the value as a string). */
export interface InstantSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusOptions {
  /** `host:port` targets of the one scrape job. */
  targets: readonly string[];
  /** Scrape (and evaluation) interval; default `1s`. */
  scrapeInterval?: string;
  /** Job name; default `vmfleet`. The job keeps the target's labels (honor_labels), as deploy/monitoring does. */
  jobName?: string;
  /** How long Prometheus may take to answer /-/ready; default 30 s. */
  startTimeoutMs?: number;
}

const MAX_STDERR = 16_384;

export class PrometheusProcess {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  private readonly child: ChildProcess;
  private readonly dir: string;
  private readonly killOnExit: () => void;
  private readonly exited: Promise<void>;
  private stopped = false;

  constructor(url: string, child: ChildProcess, dir: string) {
    this.url = url;
    this.child = child;
    this.dir = dir;
    this.exited =
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise((resolve) => {
            child.once('exit', () => {
              resolve();
            });
          });
    // If the test process ends without stop() (a crash, a timeout), Prometheus must not outlive it.
    this.killOnExit = () => {
      child.kill('SIGKILL');
    };
    process.once('exit', this.killOnExit);
  }

  /** Evaluates `expr` at the current time (POST, so long dashboard queries fit). */
  async query(expr: string): Promise<QueryResponse> {
    const response = await fetch(`${this.url}/api/v1/query`, {
      method: 'POST',
      body: new URLSearchParams({ query: expr }),
    });
    return (await response.json()) as QueryResponse;
  }

  /** The instant vector `expr` evaluates to; throws on a parse or evaluation error or another result type. */
  async vector(expr: string): Promise<InstantSample[]> {
    const response = await this.query(expr);
    if (response.status !== 'success' || response.data?.resultType !== 'vector') {
      throw new Error(
        `${expr}: ${response.status} ${response.errorType ?? ''} ${response.error ?? response.data?.resultType ?? ''}`,
      );
    }
    return response.data.result as InstantSample[];
  }

  /** The single value of a one-sample vector (`sum(...)`), or undefined when the vector is empty. */
  async value(expr: string): Promise<number | undefined> {
    const samples = await this.vector(expr);
    if (samples.length > 1) throw new Error(`${expr}: ${samples.length} samples, expected at most one`);
    const sample = samples[0];
    return sample === undefined ? undefined : Number(sample.value[1]);
  }

  /** Values of `label` over the series matching `match` (what a Grafana query variable lists). */
  async labelValues(label: string, match: string): Promise<string[]> {
    const params = new URLSearchParams({ 'match[]': match });
    const response = await fetch(
      `${this.url}/api/v1/label/${encodeURIComponent(label)}/values?${params.toString()}`,
    );
    const body = (await response.json()) as { status: string; error?: string; data?: string[] };
    if (body.status !== 'success')
      throw new Error(`label ${label} of ${match}: ${body.error ?? body.status}`);
    return body.data ?? [];
  }

  /** Stops Prometheus (SIGTERM, SIGKILL after 10 s) and removes its config and TSDB. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.child.kill('SIGTERM');
    const killed = await Promise.race([this.exited.then(() => true), delay(10_000).then(() => false)]);
    if (!killed) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    process.removeListener('exit', this.killOnExit);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function config(options: PrometheusOptions): string {
  const interval = options.scrapeInterval ?? '1s';
  return [
    `global: { scrape_interval: ${interval}, evaluation_interval: ${interval} }`,
    'scrape_configs:',
    `  - job_name: ${options.jobName ?? 'vmfleet'}`,
    '    honor_labels: true',
    `    static_configs: [{ targets: [${options.targets.map((t) => `'${t}'`).join(', ')}] }]`,
    '',
  ].join('\n');
}

/** Spawns Prometheus on `port`; resolves once /-/ready answers, rejects (with its stderr) if it exits first. */
async function spawnOn(options: PrometheusOptions, dir: string, port: number): Promise<PrometheusProcess> {
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, config(options));
  const child = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, `data-${port}`)}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < MAX_STDERR) stderr += chunk;
  });
  const prometheus = new PrometheusProcess(`http://127.0.0.1:${port}`, child, dir);
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await prometheus.stop();
      throw new Error(`prometheus exited (${child.exitCode ?? child.signalCode}) before ready:\n${stderr}`);
    }
    if (Date.now() > deadline) {
      await prometheus.stop();
      throw new Error(
        `prometheus not ready on port ${port} after ${options.startTimeoutMs ?? 30_000} ms:\n${stderr}`,
      );
    }
    try {
      const response = await fetch(`${prometheus.url}/-/ready`);
      if (response.ok) return prometheus;
    } catch {
      // not listening yet
    }
    await delay(100);
  }
}

/**
 * Starts Prometheus scraping `options.targets` on a free loopback port, in a temporary directory. A port
 * taken between choosing and binding makes Prometheus exit at once: it is retried on another port.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusProcess> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const dir = mkdtempSync(join(tmpdir(), 'vmfleet-prometheus-'));
    try {
      return await spawnOn(options, dir, await freePort());
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      lastError = error;
    }
  }
  throw lastError;
}
