// What grafana-schema.json is generated from, and a fingerprint of it: the versions of @grafana/schema and
// of the generator, and the entry file naming the types. Kept apart from the generator so the test can
// compare fingerprints without loading the TypeScript compiler.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export const GRAFANA_SCHEMA_PATH = 'test/unit/dashboards/grafana-schema.json';

/** The aliases of grafana-types.ts that get a schema. */
export const GRAFANA_TYPES = [
  'GrafanaDashboard',
  'GrafanaPanel',
  'GrafanaRowPanel',
  'BarGaugeOptions',
  'GaugeOptions',
  'StatOptions',
  'TableOptions',
  'TableFieldConfig',
  'TimeSeriesOptions',
  'TimeSeriesFieldConfig',
] as const;
export type GrafanaType = (typeof GRAFANA_TYPES)[number];

const require = createRequire(import.meta.url);

function versionOf(pkg: string): string {
  const { version } = require(`${pkg}/package.json`) as { version: string };
  return version;
}

export function grafanaSchemaFingerprint(): Record<string, string> {
  const entry = readFileSync(join(import.meta.dirname, 'grafana-types.ts'), 'utf8');
  return {
    '@grafana/schema': versionOf('@grafana/schema'),
    'ts-json-schema-generator': versionOf('ts-json-schema-generator'),
    types: GRAFANA_TYPES.join(','),
    'grafana-types.ts': createHash('sha256').update(entry).digest('hex'),
  };
}
