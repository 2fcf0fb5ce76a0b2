// What changed in the simulated cloud for a region's VMs since the previous pass (CloudProvider.observe):
// Spot evictions (./evictions.ts) and health (./health.ts), asked together so they agree, and when to ask
// again. The seeded rates of the Region's spec.simulation are drawn over time, so with a rate set the
// Region controller must come back even when nothing in the cluster changes; so must a repair finishing.
// Pure.
import { instanceKey } from '../ledger.ts';
import type { CloudChanges, ObserveRequest } from '../provider.ts';
import { findEvictions } from './evictions.ts';
import { findHealthChanges, repairDueAt } from './health.ts';

/** With a random eviction rate, evictions are drawn this often. */
const RANDOM_EVICTION_PERIOD_MS = 10_000;
/** With a random unhealthy rate, health is drawn this often. */
const RANDOM_HEALTH_PERIOD_MS = 10_000;
/** A repair due now or overdue is looked at again after this, not in a tight loop. */
const MIN_REPAIR_RECHECK_MS = 100;

export function findChanges(request: ObserveRequest, restartDelayMs: number): CloudChanges {
  const { region, instances, now, lastEvaluatedAt } = request;
  const simulation = region.spec.simulation;
  const evictions = findEvictions(request);
  // An evicted VM is deallocated or deleted by this same pass: a health write built from the list's older
  // status would undo the deallocation, and a VM on its way out has no health worth reporting.
  const evicted = new Set(evictions.map((n) => `${n.namespace}/${n.name}`));
  const health = findHealthChanges({ simulation, instances, now, lastEvaluatedAt, restartDelayMs }).filter(
    (change) => !evicted.has(`${change.namespace}/${change.name}`),
  );

  let recheckMs = Infinity;
  if (simulation.spotEvictionRatePerHour > 0) recheckMs = RANDOM_EVICTION_PERIOD_MS;
  if (simulation.unhealthyRatePerHour > 0) recheckMs = Math.min(recheckMs, RANDOM_HEALTH_PERIOD_MS);
  const repaired = new Set(health.filter((c) => c.repairCompleted).map((c) => `${c.namespace}/${c.name}`));
  for (const instance of instances) {
    if (repaired.has(instanceKey(instance))) continue;
    const due = repairDueAt(instance, restartDelayMs);
    if (due !== undefined) {
      recheckMs = Math.min(recheckMs, Math.max(MIN_REPAIR_RECHECK_MS, due - now.getTime()));
    }
  }
  return { evictions, health, ...(Number.isFinite(recheckMs) ? { recheckAfterMs: recheckMs } : {}) };
}
