import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../../src/runtime/workqueue.ts';
import { CONTROLLER_METRICS, RECONCILE_TIME_BUCKETS, createMetrics } from '../../../src/metrics/index.ts';
import { samplesOf, valueOf } from './support.ts';

const bucketsOf = (text: string, metric: string, labels: string) =>
  [...text.matchAll(new RegExp(`^${metric}_bucket\\{le="([^"]+)",${labels}\\}`, 'gm'))].map((m) => m[1]);

describe('controller-runtime metrics', () => {
  it('use controller-runtime’s names and labels', () => {
    const names = Object.values(CONTROLLER_METRICS).map((m) => `${m.name}{${m.labelNames.join(',')}}`);
    expect(names).toEqual([
      'controller_runtime_reconcile_total{controller,result}',
      'controller_runtime_reconcile_errors_total{controller}',
      'controller_runtime_terminal_reconcile_errors_total{controller}',
      'controller_runtime_reconcile_time_seconds{controller}',
      'controller_runtime_active_workers{controller}',
      'workqueue_depth{name,controller}',
      'workqueue_adds_total{name,controller}',
      'workqueue_queue_duration_seconds{name,controller}',
      'workqueue_work_duration_seconds{name,controller}',
      'workqueue_retries_total{name,controller}',
      'leader_election_master_status{name}',
    ]);
  });

  it('pre-initialise every result of a declared controller at 0, before any reconcile', async () => {
    const { registry } = createMetrics({ controllers: ['scaleset', 'computefleet'], defaultMetrics: false });
    const total = await samplesOf(registry, 'controller_runtime_reconcile_total');
    expect(total).toHaveLength(2 * 4);
    expect(new Set(total.map((s) => s.labels.result))).toEqual(
      new Set(['success', 'error', 'requeue', 'requeue_after']),
    );
    expect(total.every((s) => s.value === 0)).toBe(true);
    expect(
      valueOf(await samplesOf(registry, 'controller_runtime_reconcile_errors_total'), {
        controller: 'scaleset',
      }),
    ).toBe(0);
    expect(
      valueOf(await samplesOf(registry, 'workqueue_depth'), { name: 'scaleset', controller: 'scaleset' }),
    ).toBe(0);
  });

  it('count reconciles by result, errors (terminal ones twice) and time them in controller-runtime’s buckets', async () => {
    const { registry, observer } = createMetrics({ defaultMetrics: false });
    observer.reconcileDone?.('instance', 'success', 0.004);
    observer.reconcileDone?.('instance', 'requeue_after', 0.2);
    observer.reconcileError?.('instance', false);
    observer.reconcileError?.('instance', true);
    observer.reconcileDone?.('instance', 'error', 0.03);
    observer.reconcileDone?.('instance', 'error', 0.03);
    observer.activeWorkers?.('instance', 2);
    observer.leaderStatus?.('vmfleet-leader', true);

    const total = await samplesOf(registry, 'controller_runtime_reconcile_total');
    expect(valueOf(total, { controller: 'instance', result: 'success' })).toBe(1);
    expect(valueOf(total, { controller: 'instance', result: 'error' })).toBe(2);
    expect(valueOf(total, { controller: 'instance', result: 'requeue' })).toBe(0);
    expect(
      valueOf(await samplesOf(registry, 'controller_runtime_reconcile_errors_total'), {
        controller: 'instance',
      }),
    ).toBe(2);
    expect(
      valueOf(await samplesOf(registry, 'controller_runtime_terminal_reconcile_errors_total'), {
        controller: 'instance',
      }),
    ).toBe(1);
    expect(
      valueOf(await samplesOf(registry, 'controller_runtime_active_workers'), { controller: 'instance' }),
    ).toBe(2);
    expect(
      valueOf(await samplesOf(registry, 'leader_election_master_status'), { name: 'vmfleet-leader' }),
    ).toBe(1);

    const text = await registry.metrics();
    const buckets = bucketsOf(text, 'controller_runtime_reconcile_time_seconds', 'controller="instance"');
    expect(buckets).toEqual([...RECONCILE_TIME_BUCKETS.map(String), '+Inf']);
    expect(text).toContain('controller_runtime_reconcile_time_seconds_count{controller="instance"} 4');
    const queueBuckets = bucketsOf(
      text,
      'workqueue_queue_duration_seconds',
      'name="instance",controller="instance"',
    );
    expect(queueBuckets).toEqual([
      '1e-8',
      '1e-7',
      '0.000001',
      '0.00001',
      '0.0001',
      '0.001',
      '0.01',
      '0.1',
      '1',
      '10',
      '100',
      '1000',
      '+Inf',
    ]);
  });

  it('are fed by the runtime’s WorkQueue through the observer interface', async () => {
    const { registry, observer } = createMetrics({ defaultMetrics: false });
    const queue = new WorkQueue({ name: 'scaleset', observer });
    queue.add('default/web');
    queue.add('default/web');
    queue.add('default/api');
    const key = await queue.get();
    if (key === undefined) throw new Error('queue closed');
    queue.done(key);
    const labels = { name: 'scaleset', controller: 'scaleset' };
    expect(valueOf(await samplesOf(registry, 'workqueue_adds_total'), labels)).toBe(2);
    expect(valueOf(await samplesOf(registry, 'workqueue_depth'), labels)).toBe(1);
    queue.shutDown();
    const text = await registry.metrics();
    expect(text).toContain('workqueue_queue_duration_seconds_count{name="scaleset",controller="scaleset"} 1');
    expect(text).toContain('workqueue_work_duration_seconds_count{name="scaleset",controller="scaleset"} 1');
  });
});
