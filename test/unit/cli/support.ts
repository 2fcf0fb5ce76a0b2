// Runs `vmfleet plan` in-process with its output captured, reading the named files from `files` first and
// from disk otherwise, at a fixed clock.
import { readFileSync } from 'node:fs';
import { runPlan } from '../../../src/cli/plan.ts';

export function capturePlan(argv: string[], files: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = runPlan(argv, {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    readFile: (path) => files[path] ?? readFileSync(path, 'utf8'),
    now: 0,
  });
  return { code, stdout, stderr };
}
