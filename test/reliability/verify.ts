// `npm run verify`: the reliability scenarios at full size, one after another, each on its own control
// plane, then one summary table. Exit code 1 if any check failed.
//
//   npm run verify                         # everything (about 45 minutes on 2 cores)
//   npm run verify -- --only crash,load    # a subset: crash, faults, failover, bad-input, load
//   npm run verify -- --cpu-prof           # also profile the operator during the load scenario
//   npm run verify -- --quick              # the CI sizes (what `npm test` runs), for a dry run
import { parseArgs } from 'node:util';
import { ensureBinaries } from '../cluster/controlplane.ts';
import { runBadInputScenario, runStartupErrors } from './scenarios/bad-input.ts';
import { runCrashScenario } from './scenarios/crash.ts';
import { runFailoverScenario } from './scenarios/failover.ts';
import { runFaultsScenario } from './scenarios/faults.ts';
import { runLoadScenario } from './scenarios/load.ts';

interface Row {
  item: string;
  check: string;
  pass: boolean;
  figures: string;
}

const SCENARIOS = ['crash', 'faults', 'failover', 'bad-input', 'load'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    seed: { type: 'string', default: '20261123' },
  },
});
const quick = values.quick;
const seed = Number(values.seed);
const selected = new Set<ScenarioName>(
  values.only === undefined ? SCENARIOS : (values.only.split(',') as ScenarioName[]),
);
for (const name of selected) if (!SCENARIOS.includes(name)) throw new Error(`unknown scenario ${name}`);

const started = Date.now();
const log = (message: string): void => {
  const elapsed = ((Date.now() - started) / 1000).toFixed(0).padStart(5);
  process.stderr.write(`${elapsed}s ${message}\n`);
};
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const binDir = await ensureBinaries(log);
const common = { binDir, log };
const rows: Row[] = [];

async function item(name: ScenarioName, label: string, run: () => Promise<Row[]>): Promise<void> {
  if (!selected.has(name)) return;
  log(`== ${label}`);
  const itemStarted = Date.now();
  try {
    rows.push(...(await run()));
  } catch (error) {
    rows.push({ item: label, check: 'scenario ran to the end', pass: false, figures: firstLine(error) });
  }
  log(`== ${label} done in ${seconds(Date.now() - itemStarted)}`);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n').slice(0, 3).join(' | ').slice(0, 300);
}

await item('crash', '1 crash consistency', async () => {
  const sizes = quick
    ? { rounds: 2, scaleOutTo: 120, scaleInTo: 30 }
    : { rounds: 10, scaleOutTo: 500, scaleInTo: 100 };
  const r = await runCrashScenario({
    ...sizes,
    killsPerPhase: { min: 1, max: 2 },
    seed,
    convergeTimeoutMs: 180_000,
    ...common,
  });
  const out = r.phases.filter((p) => p.phase === 'scale-out');
  const inn = r.phases.filter((p) => p.phase === 'scale-in');
  return [
    {
      item: '1 crash consistency',
      check: `${out.length} scale-outs 0→${sizes.scaleOutTo}, ${inn.length} scale-ins →${sizes.scaleInTo}, SIGKILL mid-phase`,
      pass: out.length === sizes.rounds && inn.length === sizes.rounds && r.kills >= 2 * sizes.rounds,
      figures: `${r.kills} kills; exact target, no duplicate/orphan/stuck, Region usage = Instances after every phase; max time to consistent after the last restart: out ${seconds(r.maxConvergeMs['scale-out'])}, in ${seconds(r.maxConvergeMs['scale-in'])}, delete ${seconds(r.maxConvergeMs.delete)}`,
    },
  ];
});

await item('faults', '2 control-plane faults', async () => {
  const r = await runFaultsScenario({
    size: quick ? 60 : 300,
    conflictMs: quick ? 8_000 : 30_000,
    seed,
    convergeTimeoutMs: 240_000,
    leaderElect: false,
    ...common,
  });
  return [
    ...r.steps.map((step) => ({
      item: '2 control-plane faults',
      check: step.step,
      pass: r.operatorAlive,
      figures: `${step.outageMs === undefined ? '' : `API server down ${seconds(step.outageMs)}; `}consistent ${seconds(step.convergeMs)} after the fault`,
    })),
    {
      item: '2 control-plane faults',
      check: 'watch expiry really happened; writes really conflicted; same process throughout',
      pass: r.operatorAlive && r.goneRelists >= 1 && r.conflicts.users + r.conflicts.operator > 0,
      figures: `${r.goneRelists} relists after 410 Gone; 409s: ${r.conflicts.users} to the writers, ${r.conflicts.operator} to the operator; ${r.reconcileErrors} failed reconciles retried; pid ${r.operatorPid} alive`,
    },
  ];
});

await item('failover', '3 leader failover', async () => {
  const runs = [];
  for (const offset of quick ? [0] : [0, 1, 2]) {
    runs.push(
      await runFailoverScenario({
        step: quick ? 80 : 150,
        seed: seed + offset,
        convergeTimeoutMs: 180_000,
        ...common,
      }),
    );
  }
  const worstKill = Math.max(...runs.map((r) => r.killTakeoverMs));
  const worstFreeze = Math.max(...runs.map((r) => r.freezeTakeoverMs));
  return [
    {
      item: '3 leader failover',
      check: `SIGKILL of the leader mid-scale-out (${runs.length} runs): standby acts within 25 s`,
      pass: worstKill <= 25_000,
      figures: `takeover ${runs.map((r) => seconds(r.killTakeoverMs)).join(', ')}`,
    },
    {
      item: '3 leader failover',
      check: 'leader frozen past its lease, resumed: no write after resume, exits 1',
      pass: worstFreeze <= 25_000 && runs.every((r) => r.writesAfterResume === 0 && r.resumedExit === '1'),
      figures: `takeover ${runs.map((r) => seconds(r.freezeTakeoverMs)).join(', ')}; writes after resume ${runs.map((r) => r.writesAfterResume).join(', ')}`,
    },
    {
      item: '3 leader failover',
      check: 'never both writing (audit log, per token credential id)',
      pass: runs.every((r) => r.writerRuns.join(',') === 'op-a,op-b,op-a'),
      figures: runs
        .map(
          (r) =>
            `runs ${r.writerRuns.join('→')} (writes ${Object.entries(r.writesByIdentity)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`,
        )
        .join('; '),
    },
  ];
});

await item('bad-input', '4 bad input', async () => {
  const startup = await runStartupErrors();
  const { region, fuzz } = await runBadInputScenario({ mutations: quick ? 40 : 200, seed, ...common });
  const accepted = fuzz.written - fuzz.rejectedByApiServer;
  return [
    {
      item: '4 bad input',
      check: 'malformed flags, environment, kubeconfig: exit 2 naming the problem',
      pass: startup.every((o) => o.ok),
      figures: `${startup.filter((o) => o.ok).length}/${startup.length} cases${
        startup.some((o) => !o.ok)
          ? `; failed: ${startup
              .filter((o) => !o.ok)
              .map((o) => o.name)
              .join(', ')}`
          : ''
      }`,
    },
    {
      item: '4 bad input',
      check: 'malformed stored Region: reported, its groups refused, others served',
      pass:
        region.operatorAlive &&
        region.refusal?.reason === 'RegionInvalid' &&
        region.goodGroupReady &&
        region.loggedErrors > 0 &&
        region.metricsServed,
      figures: `Ready=${region.refusal?.status ?? '?'} ${region.refusal?.reason ?? '?'}; ${region.loggedErrors} error log line(s) naming it`,
    },
    {
      item: '4 bad input',
      check: `${fuzz.written} fuzzed specs through the API server`,
      pass:
        fuzz.instancesLost === 0 &&
        fuzz.unreported.length === 0 &&
        fuzz.reconcileErrors === 0 &&
        fuzz.operatorAlive &&
        fuzz.reconcilesWhenQuiet <= 2 &&
        fuzz.reconciles <= 12 * accepted + 20,
      figures: `${fuzz.rejectedByApiServer} refused by the API server, ${fuzz.refusedByOperator} by the operator, ${fuzz.acceptedAsValid} valid; Running instances lost ${fuzz.instancesLost}; ${fuzz.reconciles} reconciles (${(fuzz.reconciles / Math.max(1, 2 * accepted)).toFixed(1)} per write), ${fuzz.reconcileErrors} errors, ${fuzz.reconcilesWhenQuiet} when quiet`,
    },
  ];
});

await item('load', '5 load', async () => {
  const sizes = quick
    ? { groups: 10, totalVms: 2_000, churnMs: 30_000 }
    : { groups: 50, totalVms: 20_000, churnMs: 300_000 };
  const r = await runLoadScenario({
    ...sizes,
    churnEveryMs: 1_000,
    seed,
    convergeTimeoutMs: 1_800_000,
    cpuProfile: values['cpu-prof'],
    ...common,
  });
  if (r.hottest !== undefined) {
    log('hottest functions (self time):');
    for (const f of r.hottest) log(`  ${(f.share * 100).toFixed(1).padStart(5)} %  ${f.name}  ${f.where}`);
  }
  const ms = (x: number): string => `${x.toFixed(x < 10 ? 1 : 0)} ms`;
  return [
    {
      item: '5 load',
      check: `${sizes.groups} groups, ${sizes.totalVms} VMs, ${sizes.churnMs / 1000} s churn: converges`,
      pass: r.reconcile.errors === 0,
      figures: `initial ${seconds(r.initialConvergeMs)}; ${r.churnOperations.scale} scale ops + ${r.churnOperations.spotCapacity} Spot capacity changes (${r.evictions} evictions) settled ${seconds(r.settleMs)} after the churn`,
    },
    {
      item: '5 load',
      check: 'reconcile time (all / group controllers), queue depth',
      pass: true,
      figures: `p50 ${ms(r.reconcile.p50Ms)}, p99 ${ms(r.reconcile.p99Ms)} over ${r.reconcile.count} reconciles; groups p50 ${ms(r.groupReconcile.p50Ms)}, p99 ${ms(r.groupReconcile.p99Ms)}; max queue depth ${r.maxQueueDepth.total} (${Object.entries(
        r.maxQueueDepth.byController,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`,
    },
    {
      item: '5 load',
      check: 'API requests (audit log), peak RSS',
      pass: true,
      figures: `${r.api.perSecond.toFixed(1)} req/s average (${r.api.writesPerSecond.toFixed(1)} writes/s), peak ${r.api.peakPerSecond}/s, ${r.api.requests} in all; peak RSS ${r.peakRssMiB.toFixed(0)} MiB`,
    },
  ];
});

function table(all: Row[]): string {
  const widths = [24, 66];
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  const out = [line(['item', 'check', 'result']), '-'.repeat(140)];
  for (const row of all) {
    out.push(`${line([row.item, row.check])}  ${row.pass ? 'PASS' : 'FAIL'}`);
    out.push(`${' '.repeat(26)}${row.figures}`);
  }
  return out.join('\n');
}

process.stdout.write(
  `\nvmfleet reliability (${quick ? 'CI sizes' : 'full size'}, seed ${seed}, ${seconds(Date.now() - started)})\n\n${table(rows)}\n`,
);
const failed = rows.filter((r) => !r.pass).length;
process.stdout.write(`\n${rows.length - failed} passed, ${failed} failed\n`);
process.exitCode = failed === 0 ? 0 : 1;
