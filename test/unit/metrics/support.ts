// Reading samples back from a registry, and finding promtool.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Registry } from 'prom-client';

export interface ReadSample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** Samples of one metric, collected as a scrape would (collect() runs). */
export async function samplesOf(registry: Registry, name: string): Promise<ReadSample[]> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`${name} is not registered`);
  const { values } = await metric.get();
  return values.map((v) => ({ labels: { ...v.labels } as Record<string, string | number>, value: v.value }));
}

export function valueOf(samples: readonly ReadSample[], labels: Record<string, string>): number | undefined {
  const match = samples.filter((s) => Object.entries(labels).every(([k, v]) => String(s.labels[k]) === v));
  if (match.length > 1)
    throw new Error(`ambiguous selector ${JSON.stringify(labels)}: ${match.length} samples`);
  return match[0]?.value;
}

export function sumOf(samples: readonly ReadSample[], labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => Object.entries(labels).every(([k, v]) => String(s.labels[k]) === v))
    .reduce((total, s) => total + s.value, 0);
}

/**
 * promtool from Debian's `prometheus` package (`/usr/bin/promtool`), or $PROMTOOL. Missing in CI is a
 * failure (the gate must not silently pass); elsewhere the test is skipped with one loud line.
 */
export function findPromtool(): string | undefined {
  const candidates = [process.env.PROMTOOL, '/usr/bin/promtool'].filter((c): c is string => c !== undefined);
  for (const candidate of candidates) if (existsSync(candidate)) return candidate;
  try {
    const found = execFileSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).trim();
    return found === '' ? undefined : found;
  } catch {
    return undefined;
  }
}

/** Returns promtool's path, or skips the test (outside CI) / throws (in CI) when it is missing. */
export function promtoolOrSkip(skip: () => void): string {
  const promtool = findPromtool();
  if (promtool !== undefined) return promtool;
  const message = 'promtool not found: install Debian package `prometheus` (apt-get install -y prometheus)';
  if (process.env.CI === 'true') throw new Error(`${message}; CI must run the promtool checks`);
  console.warn(`!!!!! SKIPPING promtool check — ${message} !!!!!`);
  skip();
  throw new Error('unreachable: skip() throws');
}

export interface PromtoolResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function runPromtool(promtool: string, args: readonly string[], input?: string): PromtoolResult {
  try {
    const stdout = execFileSync(promtool, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    return { status: 0, stdout, stderr: '' };
  } catch (error) {
    const failure = error as { status?: number; stdout?: string; stderr?: string };
    return { status: failure.status ?? -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}
