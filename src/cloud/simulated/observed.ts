// The simulated cloud's answer to "what state is this VM in" (CloudProvider.get/list). The simulation has
// no VMs of its own: a VM's state is what its Instance records (the Instance controller writes each
// allocation's answer there), completed by the allocations accepted that the Instance does not show yet
// (the reservation overlay), and by time: a VM runs once the Region's provisioningDelay has passed since it
// was launched. Pure.
import type { Instance } from '../../api/index.ts';
import type { AllocationSuccess, ObservedVm } from '../provider.ts';
import type { DeepReadonly } from '../readonly.ts';

/** An accepted allocation the Instance does not show yet (see ReservationOverlay.unsettledFor). */
export interface Accepted {
  result: AllocationSuccess;
  reservedAt: Date;
}

/** Provisioning until `launchedMs + delayMs`, Running from then on. */
function launched(
  base: Pick<ObservedVm, 'namespace' | 'name' | 'providerID' | 'pricePerHour'>,
  launchedMs: number,
  delayMs: number,
  now: Date,
): ObservedVm {
  const readyAtMs = launchedMs + delayMs;
  return now.getTime() < readyAtMs
    ? { ...base, phase: 'Provisioning', readyAt: new Date(readyAtMs) }
    : { ...base, phase: 'Running' };
}

export function observeInstance(
  instance: DeepReadonly<Instance>,
  accepted: Accepted | undefined,
  delayMs: number,
  now: Date,
): ObservedVm {
  const namespace = instance.metadata.namespace ?? '';
  const name = instance.metadata.name;
  if (accepted !== undefined) {
    const { providerID, pricePerHour } = accepted.result;
    return launched(
      { namespace, name, providerID, pricePerHour },
      accepted.reservedAt.getTime(),
      delayMs,
      now,
    );
  }
  const status = instance.status;
  const billing = { namespace, name, providerID: status?.providerID, pricePerHour: status?.pricePerHour };
  switch (status?.phase) {
    case 'Running':
      // Once Running, always Running: a longer provisioningDelay set later does not stop a VM.
      return { ...billing, phase: 'Running', health: status.health };
    case 'Provisioning': {
      // An unreadable launch time counts from now, as the Instance controller always has.
      const launchedMs = Date.parse(status.launchedAt ?? '') || now.getTime();
      return launched(billing, launchedMs, delayMs, now);
    }
    case 'Deallocated':
      return { ...billing, phase: 'Deallocated' };
    case 'Pending':
    case 'Failed':
    case undefined:
      return { namespace, name, phase: 'Absent' };
  }
}

/** A VM the cloud accepted whose Instance the caller's list does not show (its cache lags). */
export function observeUnlisted(key: string, accepted: Accepted, delayMs: number, now: Date): ObservedVm {
  // Namespaces and names hold no '/', so the first one splits the key.
  const slash = key.indexOf('/');
  const { providerID, pricePerHour } = accepted.result;
  return launched(
    { namespace: key.slice(0, slash), name: key.slice(slash + 1), providerID, pricePerHour },
    accepted.reservedAt.getTime(),
    delayMs,
    now,
  );
}
