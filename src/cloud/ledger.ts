// The Instances are the ledger: what a VM holds in the simulated cloud follows from its phase alone.
//
//   phase            pool capacity   vCPU quota   why
//   (none)/Pending   no              no           not accepted yet (an accepted-but-unwritten allocation is held
//                                                 by the provider's reservation overlay instead)
//   Provisioning     yes             yes          accepted by the cloud
//   Running          yes             yes
//   Deallocated      no              yes          Azure: a deallocated VM gives its compute back (that is why a
//                                                 Spot VM is evicted), but keeps counting toward vCPU quota
//   Failed           no              no           the cloud refused it; nothing was created
//
// Deallocated Spot VMs still count toward their *group's* capacity (DESIGN §3.4): that is the group
// controllers' business, not the pool's.
import type { Instance, InstancePhase, Priority } from '../api/index.ts';
import type { DeepReadonly } from './readonly.ts';

/** Where a VM sits: one pool of the region. Zone "" is a regional (non-zonal) VM. */
export interface Placement {
  vmSize: string;
  zone: string;
  priority: Priority;
}

/** One VM as the ledger sees it. */
export interface LedgerEntry extends Placement {
  /** `namespace/name` of the Instance. */
  key: string;
  holdsCapacity: boolean;
  holdsQuota: boolean;
}

export function holdsCapacity(phase: InstancePhase | undefined): boolean {
  return phase === 'Provisioning' || phase === 'Running';
}

export function holdsQuota(phase: InstancePhase | undefined): boolean {
  return phase === 'Provisioning' || phase === 'Running' || phase === 'Deallocated';
}

/** Instances are namespaced; names are only unique within a namespace. */
export function instanceKey(instance: DeepReadonly<Instance>): string {
  return `${instance.metadata.namespace ?? ''}/${instance.metadata.name}`;
}

export function placementOf(instance: DeepReadonly<Instance>): Placement {
  return { vmSize: instance.spec.vmSize, zone: instance.spec.zone, priority: instance.spec.priority };
}

/** The ledger entry of an Instance, or undefined when it holds nothing (Pending, Failed). */
export function ledgerEntryOf(instance: DeepReadonly<Instance>): LedgerEntry | undefined {
  const phase = instance.status?.phase;
  if (!holdsQuota(phase)) return undefined;
  return {
    key: instanceKey(instance),
    ...placementOf(instance),
    holdsCapacity: holdsCapacity(phase),
    holdsQuota: true,
  };
}

export function ledgerOf(instances: readonly DeepReadonly<Instance>[]): LedgerEntry[] {
  return instances.flatMap((instance) => {
    const entry = ledgerEntryOf(instance);
    return entry ? [entry] : [];
  });
}
