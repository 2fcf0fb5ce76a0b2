// What a ScaleSet's steps remember between reconciles, one record per ScaleSet uid. It is seeded from
// status when the operator first sees the set (after a restart or a failover): the cache may still show a
// status from before our last write, and acting on that would e.g. end a zone move twice, so after the
// first reconcile the memory, not the cached status, is the record.
import { AutoscaleStatus, RebalanceStatus, RepairsStatus, type UpgradeStatus } from '../../api/index.ts';
import type { InFlightMove } from '../../engine/rebalance.ts';
import type { UpgradeMemory } from '../../engine/upgrade.ts';
import type { DeepReadonly } from '../../runtime/index.ts';
import type { GroupObject } from '../group.ts';
import type { ScaleInUndo } from './step.ts';

export interface AutoscaleMemory {
  /** The profile in force ('' = the default capacity) and since when. */
  current?: { profile: string; since: string } | undefined;
  /** Capacity written through the scale subresource, until the cache shows a newer generation. */
  wroteCapacity?: { capacity: number; generation: number } | undefined;
}

export interface RepairsMemory {
  repaired: number;
  lastRepairAt?: string | undefined;
  lastBatch?: string[] | undefined;
}

export interface RebalanceMemory {
  inFlight?: InFlightMove | undefined;
  moved: number;
  lastMoveAt?: string | undefined;
  /** After an abandoned move, no new one before this (ms). */
  cooldownUntil?: number | undefined;
  message?: string | undefined;
  /** A move was abandoned with its extra VM still there: the next plan's scale-in takes it back. */
  undo?: ScaleInUndo | undefined;
}

/** The upgrade step's record of its last step (see steps/upgrade.ts for why it carries a revision). */
export interface UpgradeMemoryEntry {
  memory: UpgradeMemory;
  phase: UpgradeStatus['phase'];
  revision: number;
  /** Scale-in protections owed to replacements not created yet (see protectionOwed in status). */
  protectionOwed: number;
  /** The bookkeeping as status carries it (canonical JSON), to tell whether a step changed anything. */
  record: string;
}

export interface ScaleSetMemory {
  autoscale: AutoscaleMemory;
  repairs: RepairsMemory;
  rebalance: RebalanceMemory;
  /** Undefined until the upgrade step ran once in this process (status is the record until then). */
  upgrade?: UpgradeMemoryEntry | undefined;
}

export function seedScaleSetMemory(group: DeepReadonly<GroupObject>): ScaleSetMemory {
  const repairs = RepairsStatus.safeParse(group.status?.['repairs']);
  const rebalance = RebalanceStatus.safeParse(group.status?.['rebalance']);
  const autoscale = AutoscaleStatus.safeParse(group.status?.['autoscale']);
  const inFlight = rebalance.success ? rebalance.data.inFlight : undefined;
  return {
    autoscale: {
      current: autoscale.success
        ? { profile: autoscale.data.activeProfile ?? '', since: autoscale.data.since ?? '' }
        : undefined,
    },
    repairs: {
      repaired: repairs.success ? repairs.data.repairedTotal : 0,
      lastRepairAt: repairs.success ? repairs.data.lastRepairAt : undefined,
      lastBatch: repairs.success ? repairs.data.lastBatch : undefined,
    },
    rebalance: {
      moved: rebalance.success ? rebalance.data.moved : 0,
      lastMoveAt: rebalance.success ? rebalance.data.lastMoveAt : undefined,
      inFlight:
        inFlight === undefined
          ? undefined
          : {
              fromZone: inFlight.fromZone,
              toZone: inFlight.toZone,
              startedAt: Date.parse(inFlight.startedAt),
            },
    },
  };
}
