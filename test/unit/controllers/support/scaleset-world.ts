// One ScaleSet "web" in namespace "team" on a MemoryCluster with the eastus catalogue, reconciled as the
// operator wires it (all its steps), and the moves a test makes on it.
import { API_GROUP_VERSION, EASTUS, type Instance, type Region } from '../../../../src/api/index.ts';
import type { GroupObject } from '../../../../src/controllers/group.ts';
import { REGIONS, SCALESETS } from '../../../../src/controllers/resources.ts';
import { scaleSetAdapter } from '../../../../src/controllers/scaleset.ts';
import { scaleSetSteps } from '../../../../src/controllers/steps/index.ts';
import { MemoryCluster } from './memory-cluster.ts';

export const NS = 'team';

export function scaleSetWorld(spec: Record<string, unknown>, editRegion?: (region: Region) => void) {
  const cluster = new MemoryCluster();
  const region = structuredClone(EASTUS);
  region.metadata = { name: 'eastus' };
  editRegion?.(region);
  cluster.add(REGIONS, region);
  const reconcile = cluster.reconciler(
    scaleSetAdapter,
    cluster.scaleSets,
    scaleSetSteps(scaleSetAdapter, cluster.groupDeps),
  );
  cluster.add(SCALESETS, {
    apiVersion: API_GROUP_VERSION,
    kind: 'ScaleSet',
    metadata: { name: 'web', namespace: NS },
    spec: { region: 'eastus', vmSize: 'Standard_D2s_v5', zones: ['1', '2', '3'], ...spec },
  });
  const group = () => cluster.scaleSets.get(`${NS}/web`) as GroupObject;
  /** The Instances not being deleted. */
  const live = () =>
    cluster.instances.list().filter((i) => i.metadata.deletionTimestamp === undefined) as Instance[];
  const byZone = () => {
    const counts: Record<string, number> = {};
    for (const i of live()) counts[i.spec.zone] = (counts[i.spec.zone] ?? 0) + 1;
    return counts;
  };
  const condition = (type: string) => {
    const found = group().status?.conditions?.find((c) => c.type === type);
    return found && { status: found.status, reason: found.reason };
  };
  /** Reconciles `ms` later (1 s: past the pacing of a group whose spec did not change). */
  const step = async (ms = 1_000) => {
    cluster.clock.advance(ms);
    await reconcile(NS, 'web');
  };
  /** The cloud runs every new VM; the Instance controller releases the deleted ones. */
  const cloud = () => {
    for (const i of live())
      if (i.status?.phase === undefined) cluster.setPhase(i.metadata.name, NS, 'Running');
    cluster.releaseDeleted();
  };
  /** A reconcile, the cloud, and the reconcile that sees it. */
  const settle = async () => {
    await step();
    cloud();
    await step();
  };
  const editSpec = (edit: (spec: Record<string, unknown>) => void) => {
    cluster.editSpec(SCALESETS, { namespace: NS, name: 'web' }, edit);
  };
  const reasons = () => cluster.events.map((e) => e.reason);
  return { cluster, group, live, byZone, condition, step, cloud, settle, editSpec, reasons };
}
