// Injected faults (Region spec.simulation.faults): new allocations in a fault's scope fail with its code.
import type { RegionSpec, SimulatedFault } from '../../api/index.ts';
import type { Placement } from '../ledger.ts';
import type { DeepReadonly } from '../readonly.ts';

export interface ActiveFault {
  fault: DeepReadonly<SimulatedFault>;
  index: number;
}

/**
 * The first fault, in list order, whose set fields all match and whose `until` (if any) is still ahead.
 * A fault naming a zone does not match a regional (zone "") VM: we cannot tell which zone it would land in.
 */
export function activeFault(
  spec: DeepReadonly<RegionSpec>,
  placement: Placement,
  now: Date,
): ActiveFault | undefined {
  const nowMs = now.getTime();
  const index = spec.simulation.faults.findIndex(
    (f) =>
      (f.vmSize === undefined || f.vmSize === placement.vmSize) &&
      (f.zone === undefined || f.zone === placement.zone) &&
      (f.priority === undefined || f.priority === placement.priority) &&
      (f.until === undefined || Date.parse(f.until) > nowMs),
  );
  const fault = spec.simulation.faults[index];
  return fault ? { fault, index } : undefined;
}
