import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { driftedFiles } from '../../../src/cli/write-generated.ts';
import {
  DASHBOARD_UID,
  VARIABLE_QUERIES,
  concreteQuery,
  dashboardConfigMap,
  dashboardFiles,
  dashboardJson,
  dashboardPanels,
  dashboardQueries,
  vmfleetDashboard,
} from '../../../src/dashboards/index.ts';
import { ALL_METRICS } from '../../../src/metrics/index.ts';
import { promtoolOrSkip, runPromtool } from '../metrics/support.ts';

const ROOT = join(import.meta.dirname, '../../..');
const board = vmfleetDashboard();

interface Box {
  id: number | undefined;
  title: string | undefined;
  gridPos: { x: number; y: number; w: number; h: number };
}

/** Every positioned element: rows and panels. */
function boxes(): Box[] {
  return (board.panels ?? []).map((panel) => {
    if (panel.gridPos === undefined) throw new Error(`${panel.title ?? '?'} has no gridPos`);
    return { id: panel.id, title: panel.title, gridPos: panel.gridPos };
  });
}

function overlap(a: Box['gridPos'], b: Box['gridPos']): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

describe('generated dashboard files', () => {
  it('deploy/grafana/vmfleet.json and configmap.yaml match the generator (run `vmfleet generate`)', () => {
    expect(driftedFiles(ROOT, dashboardFiles())).toEqual([]);
  });

  it('the ConfigMap carries the sidecar label and exactly the dashboard JSON', () => {
    const configMap = parse(dashboardConfigMap()) as {
      kind: string;
      metadata: { labels: Record<string, string> };
      data: Record<string, string>;
    };
    expect(configMap.kind).toBe('ConfigMap');
    expect(configMap.metadata.labels.grafana_dashboard).toBe('1');
    expect(configMap.data['vmfleet.json']).toBe(dashboardJson());
    // Client-side apply keeps a copy in an annotation limited to 256 KiB.
    expect(dashboardConfigMap().length).toBeLessThan(200_000);
  });
});

describe('dashboard model', () => {
  it('is a classic dashboard in the SDK’s schema version, file-provisionable', () => {
    expect(board.schemaVersion).toBe(42);
    expect(board.uid).toBe(DASHBOARD_UID);
    expect(DASHBOARD_UID.length).toBeLessThanOrEqual(40);
    expect(board.id).toBeNull();
    expect(board.annotations.list?.[0]?.builtIn).toBe(1);
  });

  it('every panel and row has an explicit gridPos inside the 24 columns, and none overlap', () => {
    const all = boxes();
    for (const { title, gridPos } of all) {
      for (const value of Object.values(gridPos)) expect(Number.isInteger(value), title).toBe(true);
      expect(gridPos.x, title).toBeGreaterThanOrEqual(0);
      expect(gridPos.w, title).toBeGreaterThanOrEqual(1);
      expect(gridPos.x + gridPos.w, title).toBeLessThanOrEqual(24);
    }
    for (const [i, a] of all.entries()) {
      for (const b of all.slice(i + 1))
        expect(overlap(a.gridPos, b.gridPos), `${a.title} × ${b.title}`).toBe(false);
    }
  });

  it('ids are unique and every panel and target uses the ${datasource} variable', () => {
    const ids = boxes().map((b) => b.id);
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboardPanels(board)) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      for (const target of panel.targets ?? []) {
        expect((target as { datasource?: unknown }).datasource, panel.title).toEqual(panel.datasource);
      }
    }
  });

  it('has the panels the design asks for', () => {
    const titles = dashboardPanels(board).map((p) => p.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Cost per hour',
        'Projected per month',
        'Spot share',
        'Spot savings per hour',
        'Cost over time by capacity type',
        'Cost by group',
        'Instances per zone',
        'Instances per fault domain',
        'Worst zone skew',
        'Largest zone share',
        'Desired vs actual',
        'Terminations by reason',
        'Allocation failures by Azure code',
        'Unavailable offerings',
        'Price catalogue',
        'Reconciles per second',
        'Reconcile error ratio',
        'Reconcile time p99',
        'Work queue depth',
        'Memory (resident)',
      ]),
    );
  });

  it('colours the worst zone skew green ≤ 1, amber at 2, red from 3', () => {
    const skew = dashboardPanels(board).find((p) => p.title === 'Worst zone skew');
    expect(skew?.fieldConfig?.defaults.thresholds?.steps).toEqual([
      { value: null, color: 'green' },
      { value: 2, color: 'orange' },
      { value: 3, color: 'red' },
    ]);
  });

  it('has the datasource variable and chained namespace → kind → name variables', () => {
    const variables = board.templating.list ?? [];
    expect(variables.map((v) => [v.name, v.type])).toEqual([
      ['datasource', 'datasource'],
      ['namespace', 'query'],
      ['kind', 'query'],
      ['name', 'query'],
    ]);
    expect(variables[0]?.query).toBe('prometheus');
    const queryOf = (name: string) => variables.find((v) => v.name === name)?.query;
    expect(queryOf('namespace')).toBe('label_values(vmfleet_instances, namespace)');
    expect(queryOf('kind')).toBe('label_values(vmfleet_instances{namespace=~"$namespace"}, kind)');
    expect(queryOf('name')).toBe(
      'label_values(vmfleet_instances{namespace=~"$namespace", kind=~"$kind"}, name)',
    );
    for (const variable of variables.slice(1)) {
      expect(variable.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(variable.includeAll && variable.multi).toBe(true);
      expect(variable.allValue).toBe('.*');
    }
  });
});

describe('dashboard queries', () => {
  const queries = dashboardQueries(board);
  const knownMetrics = new Set([...ALL_METRICS.map((m) => m.name), 'process_resident_memory_bytes']);

  it('every panel has at least one query; rates use $__rate_interval', () => {
    for (const panel of dashboardPanels(board)) expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    for (const { expr, panelTitle } of queries) {
      for (const range of expr.matchAll(/\[([^\]]+)\]/g))
        expect(range[1], panelTitle).toBe('$__rate_interval');
    }
  });

  it('every metric a query names is one vmfleet exports (catches renames)', () => {
    for (const { expr, panelTitle } of queries) {
      const names =
        expr.match(/\b(?:vmfleet|controller_runtime|workqueue|process|leader_election)_[a-z_]+\b/g) ?? [];
      expect(names.length, panelTitle).toBeGreaterThan(0);
      for (const name of names)
        expect(knownMetrics, `${panelTitle}: ${name}`).toContain(name.replace(/_bucket$/, ''));
    }
  });

  it('concreteQuery substitutes the variables and the rate interval as Grafana would', () => {
    const expr =
      'sum(increase(x{namespace=~"$namespace", kind=~"${kind}", name=~"$name"}[$__rate_interval]))';
    expect(concreteQuery(expr, { rateInterval: '2m', variables: { name: 'web' } })).toBe(
      'sum(increase(x{namespace=~".*", kind=~".*", name=~"web"}[2m]))',
    );
  });

  it('every query parses as PromQL (promtool check rules)', ({ skip }) => {
    const promtool = promtoolOrSkip(skip);
    const exprs = [
      ...queries.map((q) => concreteQuery(q.expr)),
      ...Object.values(VARIABLE_QUERIES).map((v) => concreteQuery(v.metric)),
    ];
    const rules = {
      groups: [
        {
          name: 'vmfleet-dashboard-queries',
          rules: exprs.map((expr, i) => ({ record: `vmfleet:dashboard_query_${i}`, expr })),
        },
      ],
    };
    const dir = mkdtempSync(join(tmpdir(), 'vmfleet-dashboard-'));
    try {
      const file = join(dir, 'rules.yaml');
      writeFileSync(file, stringify(rules));
      const result = runPromtool(promtool, ['check', 'rules', file]);
      expect(result.stderr, result.stdout).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`SUCCESS: ${exprs.length} rules found`);
      // And the check has teeth: a missing parenthesis is rejected.
      writeFileSync(
        file,
        stringify({ groups: [{ name: 'bad', rules: [{ record: 'bad', expr: 'sum(rate(x[1m])' }] }] }),
      );
      expect(runPromtool(promtool, ['check', 'rules', file]).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
