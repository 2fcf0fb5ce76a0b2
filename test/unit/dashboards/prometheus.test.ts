// Every dashboard query, evaluated by a real Prometheus (Debian's `prometheus` package) scraping a metrics
// server filled from the hand-built fixture world: each must parse and return data. The end-to-end scenario
// repeats this against the running operator; this one needs no cluster and runs in seconds.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VARIABLE_QUERIES, concreteQuery, dashboardQueries } from '../../../src/dashboards/index.ts';
import { MetricsServer, createMetrics, staticState } from '../../../src/metrics/index.ts';
import { INSTANCES, JOBS, REGION, WEB } from '../metrics/fixtures.ts';

const PROMETHEUS = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
const available = existsSync(PROMETHEUS);
if (!available && process.env.CI === 'true') {
  throw new Error(`${PROMETHEUS} not found: CI must install Debian's prometheus package`);
}
if (!available)
  console.warn(`!!!!! SKIPPING dashboard queries against Prometheus — ${PROMETHEUS} not found !!!!!`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

interface QueryResponse {
  status: string;
  error?: string;
  data: { resultType: string; result: unknown[] };
}

describe.skipIf(!available)('dashboard queries against a real Prometheus', () => {
  let metricsServer: MetricsServer;
  let prometheus: ChildProcess | undefined;
  let dir: string;
  let api: string;

  const query = async (expr: string): Promise<QueryResponse> => {
    const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await response.json()) as QueryResponse;
  };

  beforeAll(async () => {
    const metrics = createMetrics({
      state: staticState({
        scaleSets: [WEB],
        computeFleets: [JOBS],
        instances: INSTANCES,
        regions: [REGION],
        unavailableOfferings: [
          {
            region: 'eastus',
            vmSize: 'Standard_D2s_v5',
            zone: '2',
            priority: 'Spot',
            code: 'ZonalAllocationFailed',
            until: new Date(Date.now() + 3_600_000).toISOString(),
          },
        ],
      }),
      controllers: ['scaleset', 'computefleet', 'instance', 'region'],
    });
    metrics.lifecycle.instanceTerminated(
      { namespace: 'batch', kind: 'ComputeFleet', name: 'jobs' },
      'Spot',
      'eviction',
    );
    metrics.observer.reconcileDone?.('scaleset', 'success', 0.02);
    metrics.observer.leaderStatus?.('vmfleet', true);
    metricsServer = new MetricsServer({ registry: metrics.registry, port: 0, host: '127.0.0.1' });
    const metricsPort = await metricsServer.start();

    dir = mkdtempSync(join(tmpdir(), 'vmfleet-prometheus-'));
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        'scrape_configs:',
        '  - job_name: vmfleet',
        '    honor_labels: true',
        `    static_configs: [{ targets: ['127.0.0.1:${metricsPort}'] }]`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=error',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    // Ready, and enough scrapes for rate() over 1m windows to have two samples.
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error('Prometheus did not scrape the metrics server in 30 s');
      try {
        const samples = await query('count_over_time(vmfleet_build_info[1m])');
        const first = samples.data.result[0] as { value: [number, string] } | undefined;
        if (first !== undefined && Number(first.value[1]) >= 3) break;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 40_000);

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    await metricsServer.stop();
    if (prometheus !== undefined && prometheus.exitCode === null) {
      await new Promise((resolve) => prometheus?.once('exit', resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(dashboardQueries().map((q) => [`${q.panelTitle} (${q.refId})`, q.expr] as const))(
    '%s returns data',
    async (_, expr) => {
      const response = await query(concreteQuery(expr, { rateInterval: '1m' }));
      expect(response.error).toBeUndefined();
      expect(response.status).toBe('success');
      expect(response.data.result.length).toBeGreaterThan(0);
    },
  );

  it('the chained variables list values', async () => {
    for (const { metric, label } of Object.values(VARIABLE_QUERIES)) {
      const selector = encodeURIComponent(concreteQuery(metric));
      const response = await fetch(`${api}/api/v1/label/${label}/values?match[]=${selector}`);
      const body = (await response.json()) as { status: string; data: string[] };
      expect(body.status).toBe('success');
      expect(body.data.length, label).toBeGreaterThan(0);
    }
  });

  it('summed hourly cost equals the Running instances’ prices, through Prometheus', async () => {
    const response = await query('sum(vmfleet_hourly_cost)');
    const [sample] = response.data.result as { value: [number, string] }[];
    const expected = INSTANCES.filter(
      (i) => i.status?.phase === 'Running' && !i.metadata.deletionTimestamp,
    ).reduce((total, i) => total + (i.status?.pricePerHour ?? 0), 0);
    expect(Math.abs(Number(sample?.value[1]) - expected)).toBeLessThan(1e-9);
  });
});
