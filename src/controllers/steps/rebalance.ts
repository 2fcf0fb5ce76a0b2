// Automatic zone rebalancing (best-effort zone balance only): one VM at a time, a new VM in the emptiest
// placeable zone first (the place step adds it while a move is in flight), then the old one in the fullest
// zone goes once the new one runs. The engine decides (engine/rebalance.ts); this step keeps the move in
// flight in the set's memory, asks for the old VM's delete, and reports the phase in status. A move that
// cannot finish is abandoned: its extra VM is taken back by the next plan (reported as that, not as a
// scale-in), and no new move starts for a while.
import type { Region, ScaleSetSpec } from '../../api/index.ts';
import type { Plan } from '../../engine/index.ts';
import { blockingEntry } from '../../engine/pools.ts';
import { decideRebalance, skewOf, zoneCounts } from '../../engine/rebalance.ts';
import { formatTime, type DeepReadonly, type EventRecorder } from '../../runtime/index.ts';
import { phaseOf } from '../instances.ts';
import type { RebalanceMemory, ScaleSetMemory } from './scaleset-memory.ts';
import { unsettledReason } from './settled.ts';
import type { EventSubject, GroupStep, StepInput, StepResult } from './step.ts';

/** Azure waits up to 90 minutes for the new VM of a move to be healthy. */
const MOVE_TIMEOUT_MS = 90 * 60_000;
const MOVE_COOLDOWN_MS = 10 * 60_000;
/** Look again soon after starting or abandoning a move, so the plan acts on it without waiting for an event. */
const SOON_MS = 200;

/**
 * Whether automatic zone rebalancing applies: enabled, zonal with more than one zone, and best-effort
 * balance (Azure: it works only without strict zoneBalance).
 */
export function rebalancingApplies(spec: ScaleSetSpec): boolean {
  return (
    spec.resiliencyPolicy?.automaticZoneRebalancing.enabled === true &&
    spec.zones.length > 1 &&
    !spec.zoneBalance
  );
}

/**
 * Zones where the set's sizes can take a new VM of one of its priorities: available in the Region and not
 * every size blocked there by the unavailable-offerings cache (a move must not aim at such a zone).
 */
export function placeableZones(
  spec: ScaleSetSpec,
  region: DeepReadonly<Region>,
  unavailable: Plan['unavailable'],
): string[] {
  const sizes =
    spec.vmSize !== undefined ? [spec.vmSize] : (spec.skuProfile?.vmSizes.map((s) => s.name) ?? []);
  const priorities: ('Regular' | 'Spot')[] =
    spec.priorityMix === undefined ? [spec.priority] : ['Regular', 'Spot'];
  return region.spec.zones
    .filter((z) => z.available)
    .map((z) => z.name)
    .filter((zone) =>
      sizes.some((size) => priorities.some((p) => !blockingEntry(unavailable, size, zone, p))),
    );
}

export function rebalanceStep(deps: { events: EventRecorder }): GroupStep<ScaleSetSpec, ScaleSetMemory> {
  return {
    name: 'rebalance',
    run(input) {
      const m = input.memory.rebalance;
      if (rebalancingApplies(input.state.spec)) return Promise.resolve(rebalance(deps.events, input));
      if (m.inFlight !== undefined && !input.paused) {
        // Turned off (or strict zoneBalance turned on) mid-move: the move ends, the next plan takes its
        // extra VM back.
        abandon(
          deps.events,
          input.subject,
          m,
          input.now.getTime(),
          'zone rebalancing no longer applies to this set',
        );
        return Promise.resolve({ requeueAfterMs: SOON_MS });
      }
      return Promise.resolve({});
    },
  };
}

/** Ends the move in flight without finishing it; the next plan takes its extra VM back. */
function abandon(
  events: EventRecorder,
  subject: EventSubject,
  m: RebalanceMemory,
  nowMs: number,
  message: string,
): void {
  m.inFlight = undefined;
  m.cooldownUntil = nowMs + MOVE_COOLDOWN_MS;
  m.message = message;
  m.undo = {
    reason: 'rebalance',
    event: 'ZoneRebalanceAbandoned',
    note: `zone move abandoned (${message}): its extra VM is taken back`,
  };
  events.record(subject, {
    type: 'Warning',
    reason: 'ZoneRebalanceAbandoned',
    action: 'Rebalance',
    note: message,
  });
}

function rebalance(
  events: EventRecorder,
  input: StepInput<ScaleSetSpec, ScaleSetMemory>,
): StepResult<ScaleSetSpec> {
  const m = input.memory.rebalance;
  const nowMs = input.now.getTime();
  const { spec, instances: owned, plan } = input.state;
  const settled = unsettledReason(
    owned,
    spec.capacity + (m.inFlight !== undefined ? 1 : 0),
    plan,
    input.paused,
  );
  const instances = owned.map((i) => ({
    id: i.spec.instanceId,
    name: i.metadata.name,
    zone: i.spec.zone,
    phase: phaseOf(i),
    protectedFromScaleSetActions: i.spec.protection.fromScaleSetActions,
  }));
  const availableZones = placeableZones(spec, input.region, plan?.unavailable ?? []);
  let phase: 'Balanced' | 'Moving' | 'Blocked' | 'Waiting';
  let recheckMs: number | undefined;
  const base = {
    zones: spec.zones,
    availableZones,
    instances,
    capacity: spec.capacity,
    nowMs,
    moveTimeoutMs: MOVE_TIMEOUT_MS,
  };
  if (input.paused) {
    phase = 'Waiting';
    m.message = 'paused';
  } else if (m.inFlight !== undefined) {
    const decision = decideRebalance({ ...base, inFlight: m.inFlight });
    if (decision.kind === 'wait') {
      phase = 'Moving';
    } else if (decision.kind === 'finish') {
      const victim = owned.find((i) => i.metadata.name === decision.victim);
      const message = `moved one VM from zone ${decision.move.fromZone} to zone ${decision.move.toZone}`;
      const done: RebalanceMemory = {
        ...m,
        moved: m.moved + 1,
        lastMoveAt: formatTime(input.now),
        message,
        inFlight: undefined,
      };
      return {
        deletes: victim === undefined ? undefined : { victims: [{ instance: victim, reason: 'rebalance' }] },
        commit: () => {
          Object.assign(m, done);
          events.record(input.subject, {
            type: 'Normal',
            reason: 'ZoneRebalanced',
            action: 'Rebalance',
            note: `${message} (deleted ${decision.victim})`,
          });
        },
        // Status shows the move as done: the delete is sent before status is written.
        status: { rebalance: rebalanceStatus('Moving', done) },
      };
    } else {
      abandon(events, input.subject, m, nowMs, decision.kind === 'abandon' ? decision.message : 'move ended');
      phase = 'Blocked';
      // Right away: the next reconcile takes the extra VM back.
      recheckMs = SOON_MS;
    }
  } else if (skewOf(zoneCounts(spec.zones, instances)) <= 1) {
    // Balanced, whatever an earlier move or block said: nothing stale stays in status.
    phase = 'Balanced';
    m.message = undefined;
  } else if (settled !== undefined || input.state.repairing) {
    phase = 'Waiting';
    m.message = `waiting: ${settled ?? 'repairs in progress'}`;
  } else if (m.cooldownUntil !== undefined && nowMs < m.cooldownUntil) {
    phase = 'Blocked';
    recheckMs = m.cooldownUntil - nowMs;
  } else {
    const decision = decideRebalance({ ...base, inFlight: undefined });
    if (decision.kind === 'start') {
      m.inFlight = decision.move;
      m.message = `creating a VM in zone ${decision.move.toZone} to replace one of zone ${decision.move.fromZone}`;
      events.record(input.subject, {
        type: 'Normal',
        reason: 'ZoneRebalancing',
        action: 'Rebalance',
        note: m.message,
      });
      phase = 'Moving';
      recheckMs = SOON_MS;
    } else if (decision.kind === 'blocked') {
      phase = 'Blocked';
      m.message = decision.message;
    } else {
      phase = 'Balanced';
      m.message = undefined;
    }
  }
  return { status: { rebalance: rebalanceStatus(phase, m) }, requeueAfterMs: recheckMs };
}

function rebalanceStatus(
  phase: 'Balanced' | 'Moving' | 'Blocked' | 'Waiting',
  m: RebalanceMemory,
): Record<string, unknown> {
  return {
    phase,
    moved: m.moved,
    ...(m.lastMoveAt === undefined ? {} : { lastMoveAt: m.lastMoveAt }),
    ...(m.inFlight === undefined
      ? {}
      : {
          inFlight: {
            fromZone: m.inFlight.fromZone,
            toZone: m.inFlight.toZone,
            startedAt: formatTime(new Date(m.inFlight.startedAt)),
          },
        }),
    ...(m.message === undefined ? {} : { message: m.message }),
  };
}
