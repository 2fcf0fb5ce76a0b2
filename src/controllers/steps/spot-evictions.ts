// The evictions step of a ComputeFleet: Spot VMs an eviction deleted are not replaced unless the fleet
// `maintain`s its Spot capacity, so its Spot target shrinks by what it lost. The Region's controller records
// each eviction in the ledger as it happens; this step adds what status does not show yet to what it does,
// for the plan and the status of this reconcile, and tells the ledger once a status write carried it.
import type { ComputeFleetSpec } from '../../api/index.ts';
import { cachedLostToEviction } from '../computefleet.ts';
import type { EvictionLedger } from '../eviction-ledger.ts';
import type { GroupStep } from './step.ts';

export function spotEvictionsStep(ledger: EvictionLedger): GroupStep<ComputeFleetSpec, object> {
  return {
    name: 'evictions',
    run({ group }) {
      const key = `${group.metadata.namespace ?? ''}/${group.metadata.name}`;
      const lostToEviction = ledger.total(key, cachedLostToEviction(group));
      return Promise.resolve({
        placement: { lostToEviction },
        onStatusWritten: (status) => {
          const spot = status['spot'] as { lostToEviction?: number } | undefined;
          if (spot?.lostToEviction !== undefined) ledger.written(key, spot.lostToEviction);
        },
      });
    },
  };
}
