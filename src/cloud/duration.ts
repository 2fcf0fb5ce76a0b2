// Go-style durations ("5s", "1m30s", "250ms", "1.5h"), the format Kubernetes users write in specs
// (Region spec.simulation.provisioningDelay, ScaleSet spot.restore.timeout, rolling-upgrade pauses).

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const TERM = /([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)/y;

/**
 * Parses a Go duration into milliseconds (fractional below 1 ms). Negative durations are refused: nothing
 * in vmfleet waits a negative time. Throws on anything else Go's time.ParseDuration would refuse.
 */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  if (text.length === 0) throw new Error('invalid duration "": empty');
  let total = 0;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < text.length) {
    const start = TERM.lastIndex;
    const match = TERM.exec(text);
    if (!match) throw new Error(`invalid duration "${text}": unexpected "${text.slice(start)}"`);
    const [, amount = '', unit = ''] = match;
    const factor = UNIT_MS[unit];
    if (factor === undefined) throw new Error(`invalid duration "${text}": unknown unit "${unit}"`);
    total += Number(amount) * factor;
  }
  return total;
}

/** `parseDuration`, or `undefined` instead of an exception (for validating user input). */
export function tryParseDuration(text: string): number | undefined {
  try {
    return parseDuration(text);
  } catch {
    return undefined;
  }
}
