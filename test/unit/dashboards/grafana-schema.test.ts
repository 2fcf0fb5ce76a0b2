// The generated dashboard against Grafana's own published schema (@grafana/schema, Apache-2.0), turned into
// JSON Schema (grafana-schema.json) and validated with ajv, plus the rules the schema cannot state. This is
// the check that the JSON "imports in Grafana's current schema": a live Grafana is not available here.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_JSON_PATH } from '../../../src/dashboards/index.ts';
import { grafanaSchemaFingerprint } from './grafana-schema-inputs.ts';
import {
  createDashboardValidator,
  loadGrafanaSchemaFile,
  type DashboardValidator,
} from './grafana-validate.ts';

const ROOT = join(import.meta.dirname, '../../..');
/** What the foundation SDK writes into every dashboard it builds. */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- the classic (v1) model vmfleet emits, see src/dashboards/files.ts
const SDK_SCHEMA_VERSION = new dashboard.DashboardBuilder('probe').build().schemaVersion;

// Loose shapes for editing copies of the JSON in the mutation tests.
type Obj = Record<string, unknown> & {
  panels: (Record<string, unknown> & {
    options: Record<string, unknown>;
    fieldConfig: { defaults: Record<string, unknown> & { custom?: Record<string, unknown> } };
    gridPos: Record<string, unknown>;
    targets: Record<string, unknown>[];
    panels?: unknown[];
  })[];
  templating: { list: Record<string, unknown>[] };
};

const original = JSON.parse(readFileSync(join(ROOT, DASHBOARD_JSON_PATH), 'utf8')) as Obj;
const schemaFile = loadGrafanaSchemaFile();
let validator: DashboardValidator;

beforeAll(() => {
  // ajv compiles each schema once, on first use; this warms them all (measured ~0.5 s on the 2-core box).
  validator = createDashboardValidator({ schemaVersion: SDK_SCHEMA_VERSION, schemaFile });
  validator.validate(original);
});

const copy = (): Obj => structuredClone(original);
type PanelJson = Obj['panels'][number];
function panel(board: Obj, index: number): PanelJson {
  const found = board.panels[index];
  if (found === undefined) throw new Error(`no panel ${index}`);
  return found;
}
const ofType = (board: Obj, type: string): PanelJson => panel(board, indexOfType(board, type));
function variable(board: Obj, index: number): Record<string, unknown> {
  const found = board.templating.list[index];
  if (found === undefined) throw new Error(`no variable ${index}`);
  return found;
}
function custom(board: Obj, type: string): Record<string, unknown> {
  const found = ofType(board, type).fieldConfig.defaults.custom;
  if (found === undefined) throw new Error(`the ${type} panel has no custom field config`);
  return found;
}
const indexOfType = (board: Obj, type: string): number => {
  const index = board.panels.findIndex((p) => p.type === type);
  if (index < 0) throw new Error(`the dashboard has no ${type} panel`);
  return index;
};

describe('the JSON Schema made from @grafana/schema', () => {
  it('was generated from the installed @grafana/schema and grafana-types.ts (else run grafana-schema.gen.ts)', () => {
    expect(schemaFile.fingerprint).toEqual(grafanaSchemaFingerprint());
  });

  it('comes from Grafana’s Apache-2.0 schema package', () => {
    const require = createRequire(import.meta.url);
    expect((require('@grafana/schema/package.json') as { license: string }).license).toBe('Apache-2.0');
  });

  it('is closed where Grafana’s types are (no index signature) and open where they are Record<string, unknown>', () => {
    const defs = (name: keyof typeof schemaFile.schemas) =>
      schemaFile.schemas[name].definitions as Record<
        string,
        { additionalProperties?: unknown; properties: Record<string, { additionalProperties?: unknown }> }
      >;
    expect(defs('StatOptions').Options?.additionalProperties).toBe(false);
    expect(defs('TimeSeriesFieldConfig').FieldConfig?.additionalProperties).toBe(false);
    expect(defs('GrafanaDashboard').Dashboard?.additionalProperties).toBe(false);
    expect(defs('GrafanaPanel').Panel?.additionalProperties).toBe(false);
    // Panel.options is Record<string, unknown> in Grafana's Panel: checked per plugin instead.
    expect(defs('GrafanaPanel').Panel?.properties.options?.additionalProperties).toEqual({});
  });

  it('the foundation SDK emits a schemaVersion (the one the dashboard must carry)', () => {
    expect(Number.isInteger(SDK_SCHEMA_VERSION)).toBe(true);
    expect(original.schemaVersion).toBe(SDK_SCHEMA_VERSION);
  });
});

describe(`${DASHBOARD_JSON_PATH} against Grafana’s schema`, () => {
  it('has no problems: dashboard, every panel, every panel’s options and custom field config', () => {
    expect(validator.validate(original)).toEqual([]);
  });

  it('uses only panel types whose schema is checked', () => {
    const types = new Set(original.panels.map((p) => p.type));
    expect([...types].sort()).toEqual(['bargauge', 'row', 'stat', 'table', 'timeseries']);
  });
});

/** A broken copy of the dashboard, and a problem it must produce: starting with `path`, containing `text`. */
interface Mutation {
  name: string;
  mutate: (board: Obj) => unknown;
  path: (board: Obj) => string;
  text: string;
}

const MUTATIONS: Mutation[] = [
  {
    name: 'unknown stat option',
    mutate: (b) => (ofType(b, 'stat').options.sparkline = true),
    path: (b) => `/panels/${indexOfType(b, 'stat')}/options/sparkline`,
    text: "unknown property (not in Grafana's StatOptions)",
  },
  {
    name: 'stat option outside its enum',
    mutate: (b) => (ofType(b, 'stat').options.graphMode = 'sparkline'),
    path: (b) => `/panels/${indexOfType(b, 'stat')}/options/graphMode`,
    text: 'must be equal to one of the allowed values',
  },
  {
    name: 'unknown nested option (reduceOptions)',
    mutate: (b) => ((ofType(b, 'stat').options.reduceOptions as Obj).calc = ['last']),
    path: (b) => `/panels/${indexOfType(b, 'stat')}/options/reduceOptions/calc`,
    text: 'unknown property',
  },
  {
    name: 'misspelt timeseries custom field config',
    mutate: (b) => (custom(b, 'timeseries').lineWidht = 2),
    path: (b) => `/panels/${indexOfType(b, 'timeseries')}/fieldConfig/defaults/custom/lineWidht`,
    text: "unknown property (not in Grafana's TimeSeriesFieldConfig)",
  },
  {
    name: 'wrong type for a custom field config value',
    mutate: (b) => (custom(b, 'timeseries').lineWidth = '1'),
    path: (b) => `/panels/${indexOfType(b, 'timeseries')}/fieldConfig/defaults/custom/lineWidth`,
    text: 'must be number',
  },
  {
    name: 'custom field config on a plugin without one (stat)',
    mutate: (b) => (ofType(b, 'stat').fieldConfig.defaults.custom = { lineWidth: 1 }),
    path: (b) => `/panels/${indexOfType(b, 'stat')}/fieldConfig/defaults/custom/lineWidth`,
    text: 'unknown property',
  },
  {
    name: 'the table footer the SDK defaults (moved to field config in Grafana 12)',
    mutate: (b) => (ofType(b, 'table').options.footer = { show: false }),
    path: (b) => `/panels/${indexOfType(b, 'table')}/options/footer`,
    text: "unknown property (not in Grafana's TableOptions)",
  },
  {
    name: 'unknown panel property',
    mutate: (b) => (panel(b, 2).height = 4),
    path: () => '/panels/2/height',
    text: "unknown property (not in Grafana's GrafanaPanel)",
  },
  {
    name: 'wrong type for a fieldConfig default',
    mutate: (b) => (panel(b, 2).fieldConfig.defaults.decimals = 'two'),
    path: () => '/panels/2/fieldConfig/defaults/decimals',
    text: 'must be number',
  },
  {
    name: 'unknown dashboard property',
    mutate: (b) => (b.refreshInterval = '1m'),
    path: () => '/refreshInterval',
    text: "unknown property (not in Grafana's GrafanaDashboard)",
  },
  {
    name: 'wrong type for a dashboard field',
    mutate: (b) => (b.tags = 'vmfleet'),
    path: () => '/tags',
    text: 'must be array',
  },
  {
    name: 'interval-only fields on a query variable',
    mutate: (b) => (variable(b, 1).auto_min = '10s'),
    path: () => '/templating/list/1/auto_min',
    text: 'unknown property',
  },
  {
    name: 'bad schemaVersion',
    mutate: (b) => (b.schemaVersion = SDK_SCHEMA_VERSION - 1),
    path: () => '/schemaVersion',
    text: `the foundation SDK emits ${SDK_SCHEMA_VERSION}`,
  },
  {
    name: 'missing schemaVersion (required by Grafana’s Dashboard)',
    mutate: (b) => delete b.schemaVersion,
    path: () => '/',
    text: "must have required property 'schemaVersion'",
  },
  {
    name: 'panel outside the 24-column grid',
    mutate: (b) => Object.assign(panel(b, 2).gridPos, { x: 20, w: 8 }),
    path: () => '/panels/2/gridPos',
    text: 'x + w = 28 is outside the 24-column grid',
  },
  {
    name: 'fractional grid position',
    mutate: (b) => (panel(b, 2).gridPos.w = 2.5),
    path: () => '/panels/2/gridPos',
    text: 'must be integers',
  },
  {
    name: 'panel without gridPos',
    mutate: (b) => Reflect.deleteProperty(panel(b, 2), 'gridPos'),
    path: () => '/panels/2/gridPos',
    text: 'missing',
  },
  {
    name: 'duplicate panel id',
    mutate: (b) => (panel(b, 3).id = panel(b, 2).id),
    path: () => '/panels/3/id',
    text: 'is already the id of /panels/2',
  },
  {
    name: 'a target on a fixed datasource uid',
    mutate: (b) =>
      Object.assign(panel(b, 2).targets[0] ?? {}, { datasource: { type: 'prometheus', uid: 'P1' } }),
    path: () => '/panels/2/targets/0/datasource',
    text: 'every datasource reference must be',
  },
  {
    name: 'a variable on a fixed datasource uid',
    mutate: (b) => (variable(b, 1).datasource = { type: 'prometheus', uid: 'prometheus' }),
    path: () => '/templating/list/1/datasource',
    text: 'every datasource reference must be',
  },
  {
    name: 'missing variable ($kind used by queries)',
    mutate: (b) => (b.templating.list = b.templating.list.filter((v) => v.name !== 'kind')),
    path: () => '/panels/2/targets/0/expr',
    text: 'uses $kind, which is not a templating variable',
  },
  {
    name: 'unknown variable in a title, ${name} form',
    mutate: (b) => (panel(b, 2).title = 'Cost in ${currency}'),
    path: () => '/panels/2/title',
    text: 'uses $currency',
  },
  {
    name: 'panel type without a schema',
    mutate: (b) => (panel(b, 2).type = 'piechart'),
    path: () => '/panels/2/type',
    text: 'has no schema here',
  },
  {
    name: 'unknown option on a panel nested in a collapsed row',
    mutate: (b) => {
      const nested = structuredClone(ofType(b, 'stat'));
      nested.options.sparkline = true;
      nested.id = 999;
      Object.assign(panel(b, 0), { collapsed: true, panels: [nested] });
    },
    path: () => '/panels/0/panels/0/options/sparkline',
    text: 'unknown property',
  },
];

describe('the validator rejects a broken dashboard, naming the path', () => {
  it.each(MUTATIONS)('$name', ({ mutate, path, text }) => {
    const board = copy();
    mutate(board);
    const problems = validator.validate(board);
    const where = path(board);
    expect(
      problems.some((p) =>
        p.startsWith(`${where}:`) || p.startsWith(`${where}/`) ? p.includes(text) : false,
      ),
      `wanted "${where}: …${text}…" among:\n${problems.join('\n')}`,
    ).toBe(true);
  });

  it('any property Grafana’s options schema lacks, on any panel, is rejected at its path', () => {
    const panels = original.panels.flatMap((p, index) => (p.type === 'row' ? [] : [index]));
    const key = fc.stringMatching(/^[a-z][A-Za-z0-9]{0,11}$/);
    fc.assert(
      fc.property(fc.constantFrom(...panels), key, (index, name) => {
        const board = copy();
        const { options, type } = panel(board, index);
        fc.pre(!(name in options) && !KNOWN_OPTION_NAMES.has(name));
        options[name] = 1;
        expect(validator.validate(board)).toContain(
          `/panels/${index}/options/${name}: unknown property (not in Grafana's ${OPTIONS_SCHEMA[String(type)]})`,
        );
      }),
      { numRuns: 40 },
    );
  });
});

const OPTIONS_SCHEMA: Record<string, string> = {
  stat: 'StatOptions',
  timeseries: 'TimeSeriesOptions',
  table: 'TableOptions',
  bargauge: 'BarGaugeOptions',
};

/** Every option name any of the checked plugins declares (a random key that is one is skipped). */
const KNOWN_OPTION_NAMES = new Set(
  Object.values(OPTIONS_SCHEMA).flatMap((name) => {
    const schema = schemaFile.schemas[name as keyof typeof schemaFile.schemas];
    const root = typeof schema.$ref === 'string' ? schema.$ref.replace('#/definitions/', '') : '';
    const definitions = schema.definitions as Record<string, { properties?: object }>;
    return Object.keys(definitions[root]?.properties ?? {});
  }),
);
