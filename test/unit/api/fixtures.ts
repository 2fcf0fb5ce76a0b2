// Loads the invalid-manifest catalogue (test/fixtures/invalid/): each file names the field its error must name.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export interface InvalidFixture {
  file: string;
  field: string;
  side: 'server' | 'operator';
  reason?: string;
  /** Documents in order: one to create, or a valid one followed by the refused update. */
  documents: unknown[];
}

export const INVALID_DIR = join(import.meta.dirname, '../../fixtures/invalid');

function header(text: string, key: string): string | undefined {
  return new RegExp(`^# ${key}: (.+)$`, 'm').exec(text)?.[1]?.trim();
}

export function loadInvalidFixtures(): InvalidFixture[] {
  return readdirSync(INVALID_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(INVALID_DIR, file), 'utf8');
      const field = header(text, 'field');
      const side = header(text, 'side');
      if (field === undefined || (side !== 'server' && side !== 'operator')) {
        throw new Error(`${file}: needs "# field:" and "# side: server|operator" headers`);
      }
      const reason = header(text, 'reason');
      return {
        file,
        field,
        side,
        ...(reason === undefined ? {} : { reason }),
        documents: parseAllDocuments(text).map((d) => d.toJS() as unknown),
      };
    });
}

export function loadYaml(path: string): unknown {
  return parse(readFileSync(path, 'utf8'));
}
