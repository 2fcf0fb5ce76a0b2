// Events written as the operator's ServiceAccount (deploy/'s RBAC: events.k8s.io create and patch):
// the first occurrence creates an Event, repeats become one series whose count grows, and the core/v1
// view shows the same object.
import { afterEach, beforeAll, expect, it } from 'vitest';
import { EventRecorder, type EventSubject } from '../../../src/runtime/events.ts';
import { describeCluster, eventually, kubectlOk, uniqueName, useCluster } from '../cluster.ts';
import { clientFor, createNamespace, testLogger } from './support.ts';

interface EventJson {
  metadata: { name: string };
  reason: string;
  action: string;
  type: string;
  note: string;
  eventTime: string;
  reportingController: string;
  reportingInstance: string;
  regarding: { kind: string; name: string; namespace?: string; uid?: string };
  series?: { count: number; lastObservedTime: string };
}

async function eventsIn(namespace: string): Promise<EventJson[]> {
  const out = await kubectlOk(['get', 'events.v1.events.k8s.io', '-n', namespace, '-o', 'json']);
  return (JSON.parse(out) as { items: EventJson[] }).items;
}

describeCluster('EventRecorder on a real API server', () => {
  let namespace = '';
  const recorders: EventRecorder[] = [];

  beforeAll(async () => {
    namespace = await createNamespace('rt-events');
  });

  afterEach(async () => {
    await Promise.all(recorders.splice(0).map((recorder) => recorder.stop()));
  });

  function newRecorder(): EventRecorder {
    const recorder = new EventRecorder({
      client: clientFor(useCluster(), 'operator'),
      reportingController: 'vmfleet.io/operator',
      reportingInstance: 'test-pod',
      logger: testLogger(),
    });
    recorders.push(recorder);
    return recorder;
  }

  function subject(name: string): EventSubject {
    return {
      apiVersion: 'compute.vmfleet.io/v1alpha1',
      kind: 'ScaleSet',
      metadata: { name, namespace, uid: `uid-${name}` },
    };
  }

  it('creates an events.k8s.io/v1 Event with MicroTime, reporting fields and the regarding object', async () => {
    const recorder = newRecorder();
    recorder.record(subject('web'), {
      type: 'Normal',
      reason: 'InstancesCreated',
      action: 'Create',
      note: 'created 3 instances in zones 1, 2, 3',
    });
    await recorder.flush();
    const events = (await eventsIn(namespace)).filter((e) => e.regarding.name === 'web');
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({
      reason: 'InstancesCreated',
      action: 'Create',
      type: 'Normal',
      note: 'created 3 instances in zones 1, 2, 3',
      reportingController: 'vmfleet.io/operator',
      reportingInstance: 'test-pod',
      regarding: { kind: 'ScaleSet', name: 'web', namespace, uid: 'uid-web' },
    });
    expect(event?.eventTime).toMatch(/\.\d{6}Z$/);
    expect(event?.series).toBeUndefined();
    expect(event?.metadata.name.startsWith('web.')).toBe(true);

    // The core/v1 view of the same object, as `kubectl describe` shows it.
    const core = await kubectlOk([
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector',
      'involvedObject.name=web',
      '-o',
      'name',
    ]);
    expect(core.trim().split('\n')).toHaveLength(1);
  });

  it('aggregates repeats into one series instead of new Events', async () => {
    const recorder = newRecorder();
    const repeated = subject('repeat');
    const details = {
      type: 'Warning' as const,
      reason: 'CapacityShortfall',
      action: 'Place',
      note: '2 of 5 instances could not be placed',
    };
    recorder.record(repeated, details);
    recorder.record(repeated, details);
    await recorder.flush();
    await eventually(async () => {
      const events = (await eventsIn(namespace)).filter((e) => e.regarding.name === 'repeat');
      expect(events).toHaveLength(1);
      expect(events[0]?.series?.count).toBe(2);
    });

    for (let i = 0; i < 5; i++) recorder.record(repeated, details);
    await recorder.flush();
    const events = (await eventsIn(namespace)).filter((e) => e.regarding.name === 'repeat');
    expect(events).toHaveLength(1);
    expect(events[0]?.series?.count).toBe(7);
    expect(events[0]?.series?.lastObservedTime).toMatch(/\.\d{6}Z$/);

    // A different note is a different event.
    recorder.record(repeated, { ...details, note: '1 of 5 instances could not be placed' });
    await recorder.flush();
    expect((await eventsIn(namespace)).filter((e) => e.regarding.name === 'repeat')).toHaveLength(2);
  });

  it('puts events about cluster-scoped objects in the default namespace', async () => {
    const recorder = newRecorder();
    const region = uniqueName('region');
    recorder.record(
      { apiVersion: 'compute.vmfleet.io/v1alpha1', kind: 'Region', metadata: { name: region } },
      { type: 'Normal', reason: 'SpotEvicted', action: 'Evict', note: 'evicted 2 Spot VMs in zone 2' },
    );
    await recorder.flush();
    const events = (await eventsIn('default')).filter((e) => e.regarding.name === region);
    expect(events).toHaveLength(1);
  });

  it('cuts notes longer than 1 kB instead of failing', async () => {
    const recorder = newRecorder();
    recorder.record(subject('long'), {
      type: 'Normal',
      reason: 'Planned',
      action: 'Plan',
      note: 'é'.repeat(2000),
    });
    await recorder.flush();
    const [event] = (await eventsIn(namespace)).filter((e) => e.regarding.name === 'long');
    expect(Buffer.byteLength(event?.note ?? '')).toBeLessThanOrEqual(1024);
    expect(event?.note.endsWith('...')).toBe(true);
  });
});
