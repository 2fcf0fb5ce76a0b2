// `vmfleet plan`: the what-if tool. Reads a ScaleSet or ComputeFleet manifest, a Region (the built-in
// eastus catalogue by default) and optionally the current Instances, and prints the placement the engine
// would make — per size × zone × fault domain × priority, cost, spread, shortfall and the decisions — with
// no cluster; with the current Instances also the stale VMs and the upgrade step (./upgrade-preview.ts).
// Files are checked as the API server checks them (api/structural.ts); bad input exits 2 naming the file and
// the field, printing nothing else; a plan the optimiser's search limit stopped is printed and exits 3.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import type { z } from 'zod';
import {
  EASTUS,
  GalleryImage,
  Instance,
  Region,
  parseResourceStrict,
  parseStrict,
  parseYamlDocuments,
  validateComputeFleet,
  validateScaleSet,
  type ComputeFleet,
  type FieldError,
  type ScaleSet,
} from '../api/index.ts';
import { computePools, toEngineRegion } from '../cloud/index.ts';
import {
  HOURS_PER_MONTH,
  formatPrice,
  monthlyCost,
  plan as planPlacement,
  roundHourly,
  type Plan,
} from '../engine/index.ts';
import { normalizeComputeFleet, normalizeScaleSet } from '../engine/normalize.ts';
import { toCurrentInstance } from '../controllers/instances.ts';
import { PLAN_USAGE, usageError, wantsHelp } from './help.ts';
import {
  previewUpgrade,
  renderUpgrade,
  resolvedGroup,
  type StaleVm,
  type UpgradePreview,
} from './upgrade-preview.ts';

export interface PlanIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  readFile?: (path: string) => string;
  /** Epoch ms the plan is made at (unavailable offerings expire against it). */
  now?: number;
}

class InputError extends Error {
  readonly file: string;
  readonly errors: readonly FieldError[];
  constructor(file: string, errors: readonly FieldError[]) {
    super(errors.map((e) => `${file}: ${e.field}: ${e.message}`).join('\n'));
    this.file = file;
    this.errors = errors;
  }
}

const USAGE = usageError(PLAN_USAGE, 'plan');

function documents(file: string, read: (path: string) => string): unknown[] {
  let text: string;
  try {
    text = read(file);
  } catch (error) {
    throw new InputError(file, [
      { field: '(file)', message: error instanceof Error ? error.message : String(error) },
    ]);
  }
  const parsed = parseYamlDocuments(text);
  if (!parsed.ok) throw new InputError(file, parsed.errors);
  /** A `kind: List` (as `kubectl get -o yaml` prints) holds its objects in `items`. */
  return parsed.value.flatMap((doc) => {
    const items = (doc as { kind?: unknown; items?: unknown }).items;
    return (doc as { kind?: unknown }).kind === 'List' && Array.isArray(items) ? (items as unknown[]) : [doc];
  });
}

function loadGroup(file: string, read: (path: string) => string): ScaleSet | ComputeFleet {
  const [first] = documents(file, read);
  const parsed = parseResourceStrict(first);
  if (!parsed.ok) throw new InputError(file, parsed.errors);
  const resource = parsed.value;
  if (resource.kind !== 'ScaleSet' && resource.kind !== 'ComputeFleet') {
    throw new InputError(file, [{ field: 'kind', message: 'expected ScaleSet or ComputeFleet' }]);
  }
  return resource;
}

function loadRegion(file: string | undefined, wanted: string, read: (path: string) => string): Region {
  if (file === undefined) {
    if (wanted !== EASTUS.metadata.name) {
      throw new InputError('(built-in catalogue)', [
        { field: 'spec.region', message: `Region "${wanted}" is not built in; pass it with --region` },
      ]);
    }
    return EASTUS;
  }
  const parsed = parseStrict('Region', Region, documents(file, read)[0]);
  if (!parsed.ok) throw new InputError(file, parsed.errors);
  return parsed.value;
}

/** Every object of a file (or `kind: List`) of one kind, each checked as the API server would check it. */
function loadAll<S extends z.ZodType>(
  file: string,
  kind: string,
  schema: S,
  read: (path: string) => string,
): z.output<S>[] {
  return documents(file, read).map((doc, index) => {
    const parsed = parseStrict(kind, schema, doc);
    if (!parsed.ok) {
      throw new InputError(
        file,
        parsed.errors.map((e) => ({ ...e, field: `[${index}].${e.field}` })),
      );
    }
    return parsed.value;
  });
}

/** The stale VMs and the upgrade step, shown when --current says which VMs exist. */
interface UpgradeView {
  readonly stale: readonly StaleVm[];
  readonly upgrade: UpgradePreview;
  readonly instances: number;
  readonly shown: boolean;
}

function makePlan(
  group: ScaleSet | ComputeFleet,
  region: Region,
  current: readonly Instance[],
  now: number,
): Plan {
  const spec = group.kind === 'ScaleSet' ? normalizeScaleSet(group.spec) : normalizeComputeFleet(group.spec);
  return planPlacement({
    spec,
    region: toEngineRegion(region.spec, computePools(region.spec, current)),
    current: current.map(toCurrentInstance),
    unavailable: [],
    now,
  });
}

function table(rows: readonly (readonly string[])[]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function renderTable(
  group: ScaleSet | ComputeFleet,
  region: Region,
  plan: Plan,
  upgrade: UpgradeView,
): string {
  const lines: string[] = [];
  const name = `${group.metadata.namespace ?? 'default'}/${group.metadata.name}`;
  lines.push(`${group.kind} ${name} in region ${region.metadata.name}`, '');
  const rows = [['SIZE', 'ZONE', 'FD', 'PRIORITY', 'COUNT', '$/H EACH']];
  const sorted = [...plan.distribution].sort(
    (a, b) =>
      a.priority.localeCompare(b.priority) ||
      a.size.localeCompare(b.size) ||
      a.zone.localeCompare(b.zone) ||
      a.faultDomain - b.faultDomain,
  );
  const prices = new Map(plan.creates.map((c) => [`${c.size}/${c.zone}/${c.priority}`, c.pricePerHour]));
  for (const cell of sorted) {
    const price = prices.get(`${cell.size}/${cell.zone}/${cell.priority}`);
    rows.push([
      cell.size,
      cell.zone || '-',
      String(cell.faultDomain),
      cell.priority,
      String(cell.count),
      price === undefined ? '' : formatPrice(price),
    ]);
  }
  lines.push(rows.length > 1 ? table(rows) : '(no instances)', '');
  const created = plan.creates.reduce((sum, c) => sum + c.count, 0);
  lines.push(`changes:  create ${created}, delete ${plan.deletes.length}`);
  for (const d of plan.deletes.slice(0, 10))
    lines.push(`  delete ${d.name ?? d.id} (${d.rule}: ${d.reason})`);
  lines.push(
    `cost:     ${formatPrice(plan.hourlyCost)} $/h, ${monthlyCost(plan.hourlyCost).toFixed(2)} $/month (${HOURS_PER_MONTH} h)`,
    `spread:   zone skew ${plan.spread.zoneSkew}, fault-domain skew ${plan.spread.faultDomainSkew}, largest zone share ${plan.spread.largestZoneShare.toFixed(2)}`,
  );
  for (const outcome of plan.outcomes) {
    const unit = outcome.unit === 'VCpu' ? 'vCPUs' : 'VMs';
    const short =
      outcome.shortfall > 0
        ? `, short ${outcome.shortfall}: ${outcome.reasons.map((r) => `${r.reason} (${r.message})`).join('; ')}`
        : '';
    lines.push(
      `${outcome.priority.padEnd(9)} target ${outcome.target} ${unit}, achievable ${outcome.achievable}${short}`,
    );
  }
  if (upgrade.shown) lines.push(...renderUpgrade(upgrade.stale, upgrade.upgrade, upgrade.instances));
  lines.push('', 'decisions:', ...plan.decisions.map((d) => `  - ${d}`));
  return `${lines.join('\n')}\n`;
}

function planDocument(
  group: ScaleSet | ComputeFleet,
  region: Region,
  plan: Plan,
  upgrade: UpgradeView,
): object {
  return {
    group: { kind: group.kind, namespace: group.metadata.namespace ?? 'default', name: group.metadata.name },
    region: region.metadata.name,
    hourlyCost: roundHourly(plan.hourlyCost),
    monthlyCost: monthlyCost(plan.hourlyCost),
    spread: plan.spread,
    outcomes: plan.outcomes,
    distribution: plan.distribution,
    creates: plan.creates,
    deletes: plan.deletes,
    stale: upgrade.stale,
    upgrade: upgrade.upgrade,
    decisions: plan.decisions,
    // Only when true, like status.plan: the search limit stopped the optimiser (exit code 3).
    ...(plan.searchLimitReached ? { searchLimitReached: true } : {}),
  };
}

/** Exit code when the plan was printed but the optimiser's search limit stopped it (not proven cheapest). */
export const EXIT_SEARCH_LIMIT = 3;

export function runPlan(argv: string[], io: PlanIo): number {
  if (wantsHelp(argv)) {
    io.stdout(PLAN_USAGE);
    return 0;
  }
  const read = io.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  let values: { f?: string; region?: string; current?: string; gallery?: string; o?: string };
  try {
    values = parseArgs({
      args: argv,
      options: {
        f: { type: 'string', short: 'f' },
        filename: { type: 'string' },
        region: { type: 'string' },
        current: { type: 'string' },
        gallery: { type: 'string' },
        o: { type: 'string', short: 'o', default: 'table' },
        output: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (error) {
    io.stderr(`vmfleet plan: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const file = values.f ?? (values as { filename?: string }).filename;
  const output = (values as { output?: string }).output ?? values.o ?? 'table';
  if (file === undefined || !['table', 'json', 'yaml'].includes(output)) {
    io.stderr(USAGE);
    return 2;
  }
  try {
    const group = loadGroup(file, read);
    const region = loadRegion(values.region, group.spec.region, read);
    const errors =
      group.kind === 'ScaleSet'
        ? validateScaleSet(group.spec, region.spec, region.metadata.name)
        : validateComputeFleet(group.spec, region.spec, region.metadata.name);
    if (errors.length > 0) throw new InputError(file, errors);
    const current = values.current === undefined ? [] : loadAll(values.current, 'Instance', Instance, read);
    const galleries =
      values.gallery === undefined ? undefined : loadAll(values.gallery, 'GalleryImage', GalleryImage, read);
    const resolved = resolvedGroup(group, galleries, current.length > 0);
    if (!resolved.ok) throw new InputError(file, [resolved.error]);
    const now = io.now ?? Date.now();
    const plan = makePlan(resolved.group, region, current, now);
    const upgrade = {
      ...previewUpgrade(resolved.group, plan, current, now),
      instances: current.length,
      shown: values.current !== undefined,
    };
    if (output === 'table') io.stdout(renderTable(group, region, plan, upgrade));
    else if (output === 'json')
      io.stdout(`${JSON.stringify(planDocument(group, region, plan, upgrade), null, 2)}\n`);
    else io.stdout(stringify(planDocument(group, region, plan, upgrade)));
    return plan.searchLimitReached ? EXIT_SEARCH_LIMIT : 0;
  } catch (error) {
    if (error instanceof InputError) {
      io.stderr(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
