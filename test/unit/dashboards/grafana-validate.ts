// Validates a dashboard JSON document against Grafana's own published schema (grafana-schema.json, generated
// from @grafana/schema) plus the house rules the schema cannot express. Returns one message per problem,
// each starting with the JSON Pointer of the offending value, so a failing test says where to look.
// Stands in for importing the dashboard into a live Grafana, which cannot run here (see README, Dashboard).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { GRAFANA_SCHEMA_PATH, type GrafanaType } from './grafana-schema-inputs.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface SchemaFile {
  fingerprint: Record<string, string>;
  schemas: Record<GrafanaType, JsonObject>;
}

export function loadGrafanaSchemaFile(): SchemaFile {
  const path = join(import.meta.dirname, '../../..', GRAFANA_SCHEMA_PATH);
  return JSON.parse(readFileSync(path, 'utf8')) as SchemaFile;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The schema with every `required` removed. Grafana merges a panel's saved options and custom field config
 * over the plugin's defaults when it loads the panel, so an option left out is fine; an unknown one or one
 * of the wrong type is not. (The TS types mark defaulted options as required.)
 */
function withoutRequired(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(withoutRequired);
  if (!isObject(schema)) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !(key === 'required' && Array.isArray(value)))
      .map(([key, value]) => [key, withoutRequired(value)]),
  );
}

/** Grafana's panel plugins this dashboard may use: the schema of `options` and of `fieldConfig.defaults.custom`. */
const PANEL_TYPES: Record<string, { options: GrafanaType; custom: GrafanaType | null }> = {
  timeseries: { options: 'TimeSeriesOptions', custom: 'TimeSeriesFieldConfig' },
  table: { options: 'TableOptions', custom: 'TableFieldConfig' },
  stat: { options: 'StatOptions', custom: null },
  gauge: { options: 'GaugeOptions', custom: null },
  bargauge: { options: 'BarGaugeOptions', custom: null },
};

/** A plugin without custom field config (stat, gauge, bargauge): `custom` may only be empty. */
const NO_CUSTOM: JsonObject = { type: 'object', properties: {}, additionalProperties: false };

/** Names Grafana provides itself: `$__rate_interval`, `$__interval`, `$__all`, `$__range`, … */
const isBuiltInVariable = (name: string) => name.startsWith('__');

export const DATASOURCE_REF = { type: 'prometheus', uid: '${datasource}' };
/** The one reference that is not the variable: Grafana's built-in annotation query. */
const BUILT_IN_ANNOTATION_DATASOURCE = { type: 'grafana', uid: '-- Grafana --' };

function describe(error: ErrorObject, prefix: string, schemaName: string): string {
  const path = `${prefix}${error.instancePath}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${path}/${String(params.additionalProperty)}: unknown property (not in Grafana's ${schemaName})`;
    case 'enum':
      return `${path}: ${error.message ?? ''} ${JSON.stringify(params.allowedValues)} (Grafana's ${schemaName})`;
    default:
      return `${path || '/'}: ${error.message ?? error.keyword} (Grafana's ${schemaName})`;
  }
}

export interface DashboardValidator {
  /** Every problem found, each "<JSON Pointer>: <what is wrong>"; empty when the dashboard is valid. */
  validate(dashboard: unknown): string[];
}

export function createDashboardValidator(options: {
  /** The schemaVersion the Grafana foundation SDK emits. */
  schemaVersion: number;
  schemaFile?: SchemaFile;
}): DashboardValidator {
  const { schemas } = options.schemaFile ?? loadGrafanaSchemaFile();
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  const compiled = new Map<string, ValidateFunction>();
  const compile = (name: string, schema: Json): ValidateFunction => {
    const known = compiled.get(name);
    if (known !== undefined) return known;
    const fn = ajv.compile(schema as JsonObject);
    compiled.set(name, fn);
    return fn;
  };

  // The dashboard minus its panels, which are Panel | RowPanel: validated one by one against the schema of
  // their own kind, so an error names the panel's path rather than the failed branches of an anyOf.
  const dashboardSchema = structuredClone(schemas.GrafanaDashboard);
  const definitions = dashboardSchema.definitions as Record<string, JsonObject>;
  const dashboardDefinition = definitions.Dashboard;
  if (dashboardDefinition === undefined) throw new Error('grafana-schema.json: no Dashboard definition');
  (dashboardDefinition.properties as JsonObject).panels = { type: 'array', items: { type: 'object' } };

  const check = (name: GrafanaType | 'NoCustomFieldConfig', schema: Json, value: Json, path: string) => {
    const fn = compile(name, schema);
    return fn(value) ? [] : (fn.errors ?? []).map((error) => describe(error, path, name));
  };

  function checkPanel(panel: Json, path: string): string[] {
    if (!isObject(panel)) return [`${path}: a panel must be an object`];
    if (panel.type === 'row') {
      const nested = Array.isArray(panel.panels) ? panel.panels : [];
      return [
        ...check('GrafanaRowPanel', schemas.GrafanaRowPanel, panel, path),
        ...nested.flatMap((child, index) => checkPanel(child, `${path}/panels/${index}`)),
      ];
    }
    const problems = check('GrafanaPanel', schemas.GrafanaPanel, panel, path);
    const plugin = typeof panel.type === 'string' ? PANEL_TYPES[panel.type] : undefined;
    if (plugin === undefined) {
      return [
        ...problems,
        `${path}/type: panel type ${JSON.stringify(panel.type)} has no schema here (known: ${Object.keys(PANEL_TYPES).join(', ')})`,
      ];
    }
    if (panel.options !== undefined) {
      problems.push(
        ...check(plugin.options, withoutRequired(schemas[plugin.options]), panel.options, `${path}/options`),
      );
    }
    const custom =
      isObject(panel.fieldConfig) && isObject(panel.fieldConfig.defaults)
        ? panel.fieldConfig.defaults.custom
        : undefined;
    if (custom !== undefined) {
      const customPath = `${path}/fieldConfig/defaults/custom`;
      problems.push(
        ...(plugin.custom === null
          ? check('NoCustomFieldConfig', NO_CUSTOM, custom, customPath)
          : check(plugin.custom, withoutRequired(schemas[plugin.custom]), custom, customPath)),
      );
    }
    return problems;
  }

  return {
    validate(input: unknown): string[] {
      const dashboard = input as Json;
      if (!isObject(dashboard)) return ['/: the dashboard must be a JSON object'];
      const panels = Array.isArray(dashboard.panels) ? dashboard.panels : [];
      return [
        ...check('GrafanaDashboard', dashboardSchema, dashboard, ''),
        ...panels.flatMap((panel, index) => checkPanel(panel, `/panels/${index}`)),
        ...checkSchemaVersion(dashboard, options.schemaVersion),
        ...checkGrid(panels),
        ...checkIds(panels),
        ...checkDatasources(dashboard),
        ...checkVariables(dashboard),
      ];
    },
  };
}

function checkSchemaVersion(dashboard: JsonObject, wanted: number): string[] {
  return dashboard.schemaVersion === wanted
    ? []
    : [`/schemaVersion: is ${JSON.stringify(dashboard.schemaVersion)}, the foundation SDK emits ${wanted}`];
}

/** [JSON Pointer, panel] of every panel and row, rows' nested panels included. */
function allPanels(panels: Json[], prefix = ''): [string, JsonObject][] {
  return panels.flatMap((panel, index): [string, JsonObject][] => {
    if (!isObject(panel)) return [];
    const path = `${prefix}/panels/${index}`;
    const nested = Array.isArray(panel.panels) ? allPanels(panel.panels, path) : [];
    return [[path, panel], ...nested];
  });
}

const GRID_COLUMNS = 24;

function checkGrid(panels: Json[]): string[] {
  return allPanels(panels).flatMap(([path, panel]) => {
    const grid = panel.gridPos;
    if (!isObject(grid)) return [`${path}/gridPos: missing (every panel needs an explicit position)`];
    const [x, y, w, h] = [grid.x, grid.y, grid.w, grid.h];
    if (![x, y, w, h].every((v) => typeof v === 'number' && Number.isInteger(v))) {
      return [`${path}/gridPos: x, y, w and h must be integers, got ${JSON.stringify(grid)}`];
    }
    const [px, py, pw, ph] = [x, y, w, h] as number[] as [number, number, number, number];
    const problems: string[] = [];
    if (px < 0 || py < 0) problems.push(`${path}/gridPos: x and y must be ≥ 0, got x=${px} y=${py}`);
    if (pw < 1 || ph < 1) problems.push(`${path}/gridPos: w and h must be ≥ 1, got w=${pw} h=${ph}`);
    if (px + pw > GRID_COLUMNS) {
      problems.push(`${path}/gridPos: x + w = ${px + pw} is outside the ${GRID_COLUMNS}-column grid`);
    }
    return problems;
  });
}

function checkIds(panels: Json[]): string[] {
  const firstPathOf = new Map<number, string>();
  return allPanels(panels).flatMap(([path, panel]) => {
    if (typeof panel.id !== 'number') return [`${path}/id: missing (every panel needs an id)`];
    const first = firstPathOf.get(panel.id);
    if (first !== undefined) return [`${path}/id: ${panel.id} is already the id of ${first}`];
    firstPathOf.set(panel.id, path);
    return [];
  });
}

/** [JSON Pointer, value] of every value in the document, depth first. */
function walk(value: Json, path = ''): [string, Json][] {
  const children: [string, Json][] = Array.isArray(value)
    ? value.map((child, index) => [`${path}/${index}`, child])
    : isObject(value)
      ? Object.entries(value).map(([key, child]) => [
          `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`,
          child,
        ])
      : [];
  return [[path, value], ...children.flatMap(([childPath, child]) => walk(child, childPath))];
}

const sameRef = (a: Json, b: Record<string, string>) =>
  isObject(a) &&
  Object.keys(a).length === Object.keys(b).length &&
  Object.entries(b).every(([k, v]) => a[k] === v);

function checkDatasources(dashboard: JsonObject): string[] {
  const builtIn = new Set(
    walk(dashboard.annotations ?? null, '/annotations')
      .filter(([, value]) => isObject(value) && value.builtIn === 1)
      .map(([path]) => `${path}/datasource`),
  );
  return walk(dashboard)
    .filter(([path]) => path.endsWith('/datasource'))
    .flatMap(([path, ref]) => {
      if (sameRef(ref, DATASOURCE_REF)) return [];
      if (builtIn.has(path) && sameRef(ref, BUILT_IN_ANNOTATION_DATASOURCE)) return [];
      return [
        `${path}: is ${JSON.stringify(ref)}, every datasource reference must be ${JSON.stringify(DATASOURCE_REF)}`,
      ];
    });
}

/** `$name`, `${name}`, `${name:format}` and the legacy `[[name]]`, as Grafana's template service reads them. */
const VARIABLE_USE = /\$(\w+)|\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]/g;

function checkVariables(dashboard: JsonObject): string[] {
  const list =
    isObject(dashboard.templating) && Array.isArray(dashboard.templating.list)
      ? dashboard.templating.list
      : [];
  const defined = new Set(list.flatMap((v) => (isObject(v) && typeof v.name === 'string' ? [v.name] : [])));
  return walk(dashboard).flatMap(([path, value]) => {
    if (typeof value !== 'string') return [];
    return [...value.matchAll(VARIABLE_USE)].flatMap((match) => {
      const name = match[1] ?? match[2] ?? match[3] ?? '';
      if (isBuiltInVariable(name) || defined.has(name)) return [];
      return [
        `${path}: uses $${name}, which is not a templating variable (have: ${[...defined].join(', ')})`,
      ];
    });
  });
}
