// What `kubectl get scalesets -o wide` shows right after a spec change. The columns are evaluated as the
// API server evaluates them: the CRD's additionalPrinterColumns JSONPaths, read from the cluster and run by
// kubectl's JSONPath on one consistent read of the object, together with its generation and
// status.observedGeneration. Once the operator has observed the new generation, no column may present the
// previous generation's reason; and it observes it promptly, before acting on the plan: the Instance
// creates of the scale-out are held until the test has seen the new generation observed.
import { it } from 'vitest';
import { describeCluster, eventually, kubectlOk } from '../cluster.ts';
import { createGroup, newWorld, patchSpec, scaleSet, waitReady, type CreateInterceptor } from './support.ts';

interface PrinterColumn {
  name: string;
  jsonPath: string;
}

interface Sample {
  generation: number;
  observedGeneration: number;
  columns: Record<string, string>;
}

async function printerColumns(crd: string): Promise<PrinterColumn[]> {
  const out = await kubectlOk(['get', 'crd', crd, '-o', 'json']);
  const parsed = JSON.parse(out) as {
    spec: { versions: { served: boolean; additionalPrinterColumns?: PrinterColumn[] }[] };
  };
  return parsed.spec.versions.find((v) => v.served)?.additionalPrinterColumns ?? [];
}

/** One read of the object, every printer column evaluated on it. */
async function sample(namespace: string, name: string, columns: PrinterColumn[]): Promise<Sample> {
  const template = ['.metadata.generation', '.status.observedGeneration', ...columns.map((c) => c.jsonPath)]
    .map((path) => `{${path}}`)
    .join('{"\\t"}');
  const out = await kubectlOk(['get', 'scaleset', name, '-n', namespace, '-o', `jsonpath=${template}`]);
  const [generation = '', observed = '', ...values] = out.split('\t');
  return {
    generation: Number(generation),
    observedGeneration: Number(observed || '0'),
    columns: Object.fromEntries(columns.map((c, i) => [c.name, values[i] ?? ''])),
  };
}

describeCluster('printer columns after a spec change', () => {
  it.concurrent(
    'never show the previous generation’s reason once the new one is observed, which happens before any VM is created',
    async ({ expect, onTestFinished }) => {
      const world = await newWorld({ onTestFinished }, 'columns');
      let hold = false;
      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const held: CreateInterceptor = async (send, resource) => {
        if (hold && resource.plural === 'instances') await released;
        return send();
      };
      onTestFinished(() => {
        release();
      });
      await world.startOperator({ interceptCreate: held });
      await createGroup(
        world,
        scaleSet(world, 'web', {
          orchestrationMode: 'Uniform',
          vmSize: 'Standard_D2s_v5',
          capacity: 2,
          zones: ['1', '2', '3'],
        }),
      );
      await waitReady(world, 'ScaleSet', 'web', 2);
      const columns = await printerColumns('scalesets.compute.vmfleet.io');
      expect(columns.map((c) => c.name)).toContain('Status');
      const before = await sample(world.namespace, 'web', columns);
      expect(before.columns['Status']).toBe('AllInstancesRunning');

      hold = true;
      const changed = await patchSpec(world, 'ScaleSet', 'web', { capacity: 6 });
      const generation = changed.metadata.generation;
      expect(generation).toBeGreaterThan(before.generation);
      const samples: Sample[] = [];
      // The window is short: the new generation is observed within 10 s (normally well under one), while
      // every create is still held, i.e. before the operator acts on the plan.
      const observed = await eventually(
        async () => {
          const s = await sample(world.namespace, 'web', columns);
          samples.push(s);
          expect(s.observedGeneration).toBe(generation);
          return s;
        },
        { timeoutMs: 10_000, intervalMs: 50 },
      );
      expect(observed.columns['Ready']).toBe('2');
      expect(observed.columns['Capacity']).toBe('6');
      expect(observed.columns['Status']).toBe('Provisioning');

      release();
      await eventually(
        async () => {
          const s = await sample(world.namespace, 'web', columns);
          samples.push(s);
          expect(s.columns['Status']).toBe('AllInstancesRunning');
          expect(s.columns['Ready']).toBe('6');
        },
        { timeoutMs: 45_000, intervalMs: 50 },
      );
      const stale = samples.filter(
        (s) =>
          s.observedGeneration === generation &&
          s.columns['Status'] === before.columns['Status'] &&
          s.columns['Ready'] !== '6',
      );
      expect(stale).toEqual([]);
    },
    120_000,
  );
});
