// The operator as production runs it: `vmfleet run` in its own process (Node 24 on src/cli/main.ts),
// its JSON logs in a file, /metrics on a free port. Scenarios kill it with real signals (SIGKILL for a
// crash, SIGSTOP/SIGCONT for a frozen process) and read its peak RSS from /proc.
import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { launch, startReaper, type Managed, type Reaper } from '../../cluster/processes.ts';
import { ROOT } from './plane.ts';

export const NODE_24 = join(ROOT, 'node_modules', '.bin', 'node');
export const CLI = join(ROOT, 'src', 'cli', 'main.ts');

export interface OperatorProcessOptions {
  kubeconfig: string;
  /** Lease holder identity; a restarted container keeps its pod name, so restarts reuse it. */
  identity: string;
  /** Where stdout and stderr go (appended: restarts of one identity share a file). */
  logPath: string;
  logLevel?: string;
  leaderElect?: boolean;
  workers?: number;
  /** Flags for node itself, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

export function runArgs(options: OperatorProcessOptions): string[] {
  return [
    ...(options.nodeArgs ?? []),
    CLI,
    'run',
    `--kubeconfig=${options.kubeconfig}`,
    '--metrics-port=0',
    '--health-port=0',
    `--leader-elect=${String(options.leaderElect ?? true)}`,
    '--install-crds=false',
    `--identity=${options.identity}`,
    `--log-level=${options.logLevel ?? 'info'}`,
    ...(options.workers === undefined ? [] : [`--workers=${options.workers}`]),
  ];
}

/** Environment without anything that could configure the operator behind the flags' back. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'KUBECONFIG' || key === 'POD_NAME' || key === 'POD_NAMESPACE' || key.startsWith('VMFLEET_'))
      continue;
    env[key] = value;
  }
  return env;
}

interface LogLine {
  msg?: string;
  metricsPort?: number;
  level?: number;
}

export class OperatorProcess {
  readonly options: OperatorProcessOptions;
  private readonly managed: Managed;
  private readonly reaper: Reaper;
  /** Byte offset of this process's output in the (shared) log file. */
  private readonly logStart: number;
  private port: number | undefined;
  private lastPeakRss = 0;

  private constructor(options: OperatorProcessOptions, reaper: Reaper) {
    this.options = options;
    this.reaper = reaper;
    this.logStart = fileSize(options.logPath);
    this.managed = launch(`vmfleet-${options.identity}`, NODE_24, runArgs(options), options.logPath, {
      env: cleanEnv(),
    });
    reaper.track(this.managed.pid);
  }

  static start(options: OperatorProcessOptions, reaper: Reaper): OperatorProcess {
    return new OperatorProcess(options, reaper);
  }

  get pid(): number {
    return this.managed.pid;
  }

  get exited(): Promise<string> {
    return this.managed.exited;
  }

  hasExited(): boolean {
    return this.managed.hasExited();
  }

  /** This process's log lines so far (JSON lines; anything else as text). */
  async output(): Promise<string> {
    const text = await readFile(this.options.logPath);
    return text.subarray(this.logStart).toString('utf8');
  }

  /** Waits for "vmfleet operator started" and returns the /metrics port. */
  async waitStarted(timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.port !== undefined) return this.port;
      for (const line of (await this.output()).split('\n')) {
        const parsed = parseLine(line);
        if (parsed?.msg === 'vmfleet operator started' && typeof parsed.metricsPort === 'number') {
          this.port = parsed.metricsPort;
          return this.port;
        }
      }
      if (this.hasExited()) {
        throw new Error(
          `operator ${this.options.identity} exited (${await this.exited}) before starting:\n${tailOf(await this.output())}`,
        );
      }
      await delay(100);
    }
    throw new Error(
      `operator ${this.options.identity} did not start in ${timeoutMs} ms:\n${tailOf(await this.output())}`,
    );
  }

  /** The Prometheus text of /metrics. */
  async metrics(): Promise<string> {
    const port = this.port ?? (await this.waitStarted());
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
    return response.text();
  }

  /** Peak resident set size so far (VmHWM), in bytes; the last value read once the process is gone. */
  peakRssBytes(): number {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
      if (match?.[1] !== undefined) this.lastPeakRss = Number(match[1]) * 1024;
    } catch {
      // Gone: keep the last reading.
    }
    return this.lastPeakRss;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.hasExited()) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** SIGKILL: the crash under test. Resolves once the process is gone. */
  async kill(): Promise<string> {
    this.peakRssBytes();
    this.signal('SIGKILL');
    const result = await this.exited;
    this.reaper.untrack(this.pid);
    return result;
  }

  /** Graceful stop (SIGTERM), SIGKILL after `graceMs`. Resolves with the exit code or signal. */
  async stop(graceMs = 15_000): Promise<string> {
    this.peakRssBytes();
    if (this.hasExited()) return this.exited;
    if (this.isStopped()) this.signal('SIGCONT');
    this.signal('SIGTERM');
    const outcome = await Promise.race([this.exited, delay(graceMs, null)]);
    if (outcome === null) return this.kill();
    this.reaper.untrack(this.pid);
    return outcome;
  }

  private isStopped(): boolean {
    try {
      return /^State:\s+T/m.test(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    } catch {
      return false;
    }
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function parseLine(line: string): LogLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return undefined;
  }
}

/** Parsed JSON log lines of an operator's output. */
export function logLines(output: string): (LogLine & Record<string, unknown>)[] {
  return output
    .split('\n')
    .map(parseLine)
    .filter((line): line is LogLine & Record<string, unknown> => line !== undefined);
}

export function tailOf(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Every operator a scenario starts, so a failing scenario still stops them all; a reaper process kills
 * them if the test runner itself dies.
 */
export class OperatorFleet {
  private readonly reaper = startReaper();
  private readonly started: OperatorProcess[] = [];

  start(options: OperatorProcessOptions): OperatorProcess {
    const operator = OperatorProcess.start(options, this.reaper);
    this.started.push(operator);
    return operator;
  }

  /** Peak RSS over every process started so far. */
  peakRssBytes(): number {
    return Math.max(0, ...this.started.map((o) => o.peakRssBytes()));
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.started.map((operator) => operator.stop(5_000)));
    this.reaper.release();
  }
}
