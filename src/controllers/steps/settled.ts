// Whether the set is settled enough for repairs and zone moves: nothing being created or deleted, as many
// VMs as its capacity (plus a zone move's extra VM), every one Running or Deallocated. The reason it is not,
// for status, or undefined.
import type { Instance } from '../../api/index.ts';
import type { Plan } from '../../engine/index.ts';
import type { DeepReadonly } from '../../runtime/index.ts';
import { phaseOf } from '../instances.ts';

export function unsettledReason(
  instances: readonly DeepReadonly<Instance>[],
  capacity: number,
  plan: Plan | undefined,
  paused: boolean,
): string | undefined {
  if (paused) return 'paused';
  if (plan !== undefined && (plan.creates.length > 0 || plan.deletes.length > 0)) return 'scaling';
  if (instances.length !== capacity) return 'scaling';
  if (instances.some((i) => !['Running', 'Deallocated'].includes(phaseOf(i))))
    return 'waiting for VMs to start';
  return undefined;
}
