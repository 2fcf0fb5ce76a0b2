// What every scenario needs: its own plane, the operators it starts, a log directory, a seeded random
// source, and a guarantee that all of it stops, on failure too. A failed scenario keeps its operator logs
// and says where they are.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../../../src/cloud/random.ts';
import { OperatorFleet } from './operator-process.ts';
import { startTestPlane, type TestPlane, type TestPlaneOptions } from './plane.ts';

export interface Scenario {
  name: string;
  plane: TestPlane;
  operators: OperatorFleet;
  logDir: string;
  /** Uniform in [0, 1), seeded. */
  random: () => number;
  log(message: string): void;
}

/** What every scenario takes: the seed of its random choices, a progress log, the plane's binaries. */
export interface CommonOptions {
  seed: number;
  log?: (message: string) => void;
  binDir?: string;
}

export interface ScenarioOptions extends TestPlaneOptions, CommonOptions {}

export async function withScenario<T>(
  name: string,
  options: ScenarioOptions,
  body: (scenario: Scenario) => Promise<T>,
): Promise<T> {
  const logDir = await mkdtemp(join(tmpdir(), `vmfleet-rel-${name}-`));
  const log = (message: string): void => {
    options.log?.(`[${name}] ${message}`);
  };
  const plane = await startTestPlane(options);
  const operators = new OperatorFleet();
  let failed = true;
  try {
    const result = await body({ name, plane, operators, logDir, random: mulberry32(options.seed), log });
    failed = false;
    return result;
  } catch (error) {
    if (error instanceof Error) error.message += `\n(operator logs kept in ${logDir})`;
    throw error;
  } finally {
    await operators.stopAll();
    await plane.stop();
    const keep = (process.env['VMFLEET_KEEP_LOGS'] ?? '') !== '';
    if (keep) log(`operator logs kept in ${logDir}`);
    else if (!failed) await rm(logDir, { recursive: true, force: true });
  }
}

/** An integer in [min, max]. */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
