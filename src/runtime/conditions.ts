// metav1.Condition helpers. Conditions are observations: a controller recomputes all of them on every
// reconcile, and these helpers keep `lastTransitionTime` from the previous status unless `status` flips,
// so an unchanged world produces a byte-identical status and therefore no write.

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  /** CamelCase, e.g. `Ready`. */
  type: string;
  status: ConditionStatus;
  /** The `metadata.generation` the condition was computed from. */
  observedGeneration: number;
  /** RFC 3339, seconds precision, as the API server itself writes times. */
  lastTransitionTime: string;
  /** One CamelCase word, e.g. `CapacityShortfall`. */
  reason: string;
  message: string;
}

/** What a reconcile decides about one condition; the helper adds the times. */
export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message?: string;
}

const REASON_PATTERN = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

/** `2026-11-23T17:55:52Z`: the format metav1.Time serialises to. */
export function formatTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

/**
 * Returns a new condition list with `update` set. The condition keeps its previous
 * `lastTransitionTime` when its status is unchanged, otherwise gets `now`; `observedGeneration` is
 * always the generation being reconciled. Other conditions are left as they are, in their order.
 */
export function setCondition(
  existing: readonly Condition[] | undefined,
  update: ConditionUpdate,
  context: { generation: number; now: Date },
): Condition[] {
  if (!REASON_PATTERN.test(update.reason)) {
    throw new Error(
      `condition ${update.type}: reason ${JSON.stringify(update.reason)} is not a CamelCase word`,
    );
  }
  const previous = findCondition(existing, update.type);
  const next: Condition = {
    type: update.type,
    status: update.status,
    observedGeneration: context.generation,
    lastTransitionTime:
      previous !== undefined && previous.status === update.status
        ? previous.lastTransitionTime
        : formatTime(context.now),
    reason: update.reason,
    message: update.message ?? '',
  };
  const result = (existing ?? []).map((condition) =>
    condition.type === update.type ? next : { ...condition },
  );
  if (previous === undefined) result.push(next);
  return result;
}

/**
 * Sets every condition in `updates` and drops conditions of other types, so the list describes exactly
 * what this reconcile observed. Order follows `updates`.
 */
export function computeConditions(
  existing: readonly Condition[] | undefined,
  updates: readonly ConditionUpdate[],
  context: { generation: number; now: Date },
): Condition[] {
  return updates.map((update) => {
    const [condition] = setCondition(
      (existing ?? []).filter((c) => c.type === update.type),
      update,
      context,
    );
    if (condition === undefined) throw new Error('unreachable: setCondition returned no condition');
    return condition;
  });
}
