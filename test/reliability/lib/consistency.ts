// What "converged and consistent" means, checked on a snapshot read from the API server. Each check returns
// human-readable violations; an empty list is the pass. Used after every crash, fault and load phase.
import { setTimeout as delay } from 'node:timers/promises';
import { INSTANCE_LABELS, type Instance } from '../../../src/api/index.ts';
import { computeRegionUsage } from '../../../src/cloud/index.ts';
import { semanticEqual, type KubeClient } from '../../../src/runtime/index.ts';
import { phaseOf, snapshot, targetOf, type GroupObjectView, type Snapshot } from './fleet.ts';

export interface ConsistencyOptions {
  /**
   * Every group holds exactly its spec's target, all Running, Ready=True (no capacity shortfall in the
   * scenario). Without it, a group may be short of its target if its status says why (Degraded).
   */
  exactTargets?: boolean;
}

const MAX_LISTED = 8;

function controllerOwner(instance: Instance) {
  return instance.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

function ownedBy(group: GroupObjectView, instances: readonly Instance[]): Instance[] {
  return instances.filter((i) => {
    const owner = controllerOwner(i);
    return owner?.uid === group.metadata.uid && i.metadata.namespace === group.metadata.namespace;
  });
}

function condition(group: GroupObjectView, type: string) {
  return group.status?.conditions?.find((c) => c.type === type);
}

/** Identity: names `<owner>-<instanceId>`, ids unique per owner, labels naming the owner. */
export function identityViolations(snapshot: Snapshot): string[] {
  const out: string[] = [];
  const ids = new Map<string, string>();
  for (const instance of snapshot.instances) {
    const owner = controllerOwner(instance);
    const name = instance.metadata.name;
    if (owner === undefined) {
      out.push(`${name}: no controller owner reference`);
      continue;
    }
    if (name !== `${owner.name}-${instance.spec.instanceId}`)
      out.push(`${name}: name is not <owner>-<instanceId> (${owner.name}, ${instance.spec.instanceId})`);
    const label = owner.kind === 'ScaleSet' ? INSTANCE_LABELS.scaleSet : INSTANCE_LABELS.computeFleet;
    if (instance.metadata.labels?.[label] !== owner.name) out.push(`${name}: owner label missing`);
    const idKey = `${owner.uid}/${instance.spec.instanceId}`;
    const previous = ids.get(idKey);
    if (previous !== undefined)
      out.push(`duplicate instanceId ${instance.spec.instanceId}: ${previous}, ${name}`);
    ids.set(idKey, name);
  }
  return out;
}

/** Every Instance has a live owner; nothing lingers with a deletionTimestamp. */
export function ownershipViolations(snapshot: Snapshot): string[] {
  const out: string[] = [];
  const live = new Set(
    snapshot.groups.filter((g) => g.metadata.deletionTimestamp === undefined).map((g) => g.metadata.uid),
  );
  for (const instance of snapshot.instances) {
    const owner = controllerOwner(instance);
    if (owner !== undefined && !live.has(owner.uid))
      out.push(
        `orphan ${instance.metadata.namespace ?? ''}/${instance.metadata.name} (owner ${owner.kind}/${owner.name})`,
      );
    if (instance.metadata.deletionTimestamp !== undefined)
      out.push(
        `${instance.metadata.name} deleting since ${instance.metadata.deletionTimestamp} (finalizers ${JSON.stringify(instance.metadata.finalizers ?? [])})`,
      );
  }
  for (const group of snapshot.groups) {
    if (group.metadata.deletionTimestamp !== undefined)
      out.push(
        `${group.kind} ${group.metadata.namespace}/${group.metadata.name} deleting since ${group.metadata.deletionTimestamp}`,
      );
  }
  return out;
}

/** Region status (instances, usage per pool, quota usage) equals what the Instances add up to. */
export function regionViolations(snapshot: Snapshot): string[] {
  const out: string[] = [];
  for (const region of snapshot.regions) {
    const inRegion = snapshot.instances.filter((i) => i.spec.region === region.metadata.name);
    const expected = computeRegionUsage(region.spec, inRegion);
    const status = region.status ?? {};
    if (status.observedGeneration !== region.metadata.generation)
      out.push(
        `Region ${region.metadata.name}: observedGeneration ${String(status.observedGeneration)} ≠ ${region.metadata.generation}`,
      );
    if (status.instances !== expected.instances)
      out.push(
        `Region ${region.metadata.name}: status.instances ${String(status.instances)} ≠ ${expected.instances} Instances`,
      );
    if (!semanticEqual(status.usage ?? [], expected.usage))
      out.push(`Region ${region.metadata.name}: status.usage differs from the Instances`);
    if (!semanticEqual(status.quotaUsage ?? [], expected.quotaUsage))
      out.push(`Region ${region.metadata.name}: status.quotaUsage differs from the Instances`);
  }
  return out;
}

/** Each group's status describes its current generation and the Instances it owns, and it is settled. */
export function groupViolations(snapshot: Snapshot, options: ConsistencyOptions = {}): string[] {
  const out: string[] = [];
  for (const group of snapshot.groups) {
    if (group.metadata.deletionTimestamp !== undefined) continue;
    const id = `${group.kind} ${group.metadata.namespace}/${group.metadata.name}`;
    const owned = ownedBy(group, snapshot.instances);
    const running = owned.filter((i) => phaseOf(i) === 'Running').length;
    const status = group.status;
    const generation = group.metadata.generation;
    if (status?.observedGeneration !== generation) {
      out.push(
        `${id}: status.observedGeneration ${String(status?.observedGeneration)} ≠ generation ${generation}`,
      );
      continue;
    }
    for (const type of ['Ready', 'Progressing', 'Degraded']) {
      const c = condition(group, type);
      if (c?.observedGeneration !== generation)
        out.push(`${id}: ${type} condition not at generation ${generation}`);
    }
    const progressing = condition(group, 'Progressing');
    if (progressing?.status !== 'False') out.push(`${id}: still Progressing (${progressing?.reason ?? '?'})`);
    if ((status.plan?.creates?.length ?? 0) > 0 || (status.plan?.deletes?.length ?? 0) > 0)
      out.push(`${id}: status.plan still has creates or deletes`);
    const unsettled = owned.filter((i) => phaseOf(i) !== 'Running' && phaseOf(i) !== 'Deallocated');
    if (unsettled.length > 0)
      out.push(
        `${id}: ${unsettled.length} instance(s) not Running: ${unsettled
          .slice(0, 3)
          .map((i) => `${i.metadata.name}=${phaseOf(i)}`)
          .join(', ')}`,
      );
    if (group.kind === 'ScaleSet') {
      if (status.capacity !== owned.length)
        out.push(`${id}: status.capacity ${String(status.capacity)} ≠ ${owned.length} Instances`);
      if (status.readyInstances !== running)
        out.push(`${id}: status.readyInstances ${String(status.readyInstances)} ≠ ${running} Running`);
    } else {
      for (const [key, priority] of [
        ['regular', 'Regular'],
        ['spot', 'Spot'],
      ] as const) {
        const count = owned.filter((i) => i.spec.priority === priority).length;
        const view = status[key];
        if (view !== undefined && view.instances !== count)
          out.push(`${id}: status.${key}.instances ${view.instances} ≠ ${count} ${priority} Instances`);
      }
    }
    const target = targetOf(group);
    const ready = condition(group, 'Ready');
    if (options.exactTargets === true) {
      if (owned.length !== target) out.push(`${id}: ${owned.length} Instances, target ${target}`);
      if (ready?.status !== 'True')
        out.push(`${id}: Ready=${ready?.status ?? '?'} (${ready?.reason ?? ''}: ${ready?.message ?? ''})`);
    } else if (owned.length !== target) {
      // Short (capacity, quota) or over (protected VMs) is fine only when the status says so.
      const degraded = condition(group, 'Degraded');
      if (owned.length > target || degraded?.status !== 'True')
        out.push(`${id}: ${owned.length} Instances for target ${target} and not Degraded`);
    }
  }
  return out;
}

export function consistencyViolations(snapshot: Snapshot, options: ConsistencyOptions = {}): string[] {
  return [
    ...identityViolations(snapshot),
    ...ownershipViolations(snapshot),
    ...regionViolations(snapshot),
    ...groupViolations(snapshot, options),
  ];
}

export function summarize(violations: readonly string[]): string {
  const shown = violations.slice(0, MAX_LISTED).join('\n  ');
  return violations.length > MAX_LISTED ? `${shown}\n  … and ${violations.length - MAX_LISTED} more` : shown;
}

export interface Converged {
  snapshot: Snapshot;
  /** Milliseconds from the call until the check passed. */
  elapsedMs: number;
}

/**
 * Polls snapshots until `consistencyViolations` is empty; throws with the last violations after
 * `timeoutMs`. `namespace` limits groups and Instances (Regions are cluster-wide).
 */
export async function waitConsistent(
  admin: KubeClient,
  options: ConsistencyOptions & { timeoutMs: number; intervalMs?: number; namespace?: string },
): Promise<Converged> {
  const started = Date.now();
  for (;;) {
    const current = await snapshot(admin, options.namespace);
    const last = consistencyViolations(current, options);
    if (last.length === 0) return { snapshot: current, elapsedMs: Date.now() - started };
    if (Date.now() - started > options.timeoutMs)
      throw new Error(`not consistent after ${options.timeoutMs} ms:\n  ${summarize(last)}`);
    await delay(options.intervalMs ?? 500);
  }
}
