// Finalizer helpers. The finalizer list is written with a JSON merge patch that carries the
// resourceVersion of the object the new list was computed from: the API server treats that as a
// precondition and answers 409 Conflict if anyone changed the object since, so we never drop a finalizer
// another controller added meanwhile. On a conflict the reconcile fails and is retried from a fresh cache.

import type { ResourceClient } from './client.ts';
import { isBeingDeleted, type DeepReadonly, type KubeObject, type ResourceType } from './objects.ts';
import type { ReconcileResult } from './controller.ts';

export function hasFinalizer(object: DeepReadonly<KubeObject>, finalizer: string): boolean {
  return object.metadata.finalizers?.includes(finalizer) ?? false;
}

function finalizerPatch(object: DeepReadonly<KubeObject>, finalizers: readonly string[]): unknown {
  const resourceVersion = object.metadata.resourceVersion;
  if (resourceVersion === undefined)
    throw new Error(`${object.metadata.name}: no resourceVersion to guard the finalizer write`);
  return { metadata: { resourceVersion, finalizers } };
}

/** Adds `finalizer` unless present. Returns the updated object, or `undefined` when nothing was written. */
export async function addFinalizer(
  client: Pick<ResourceClient, 'patch'>,
  resource: ResourceType,
  object: DeepReadonly<KubeObject>,
  finalizer: string,
): Promise<unknown> {
  if (hasFinalizer(object, finalizer)) return undefined;
  const finalizers = [...(object.metadata.finalizers ?? []), finalizer];
  return client.patch(resource, object.metadata, { type: 'merge', body: finalizerPatch(object, finalizers) });
}

/** Removes `finalizer` if present. Returns the updated object, or `undefined` when nothing was written. */
export async function removeFinalizer(
  client: Pick<ResourceClient, 'patch'>,
  resource: ResourceType,
  object: DeepReadonly<KubeObject>,
  finalizer: string,
): Promise<unknown> {
  if (!hasFinalizer(object, finalizer)) return undefined;
  const finalizers = (object.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  return client.patch(resource, object.metadata, { type: 'merge', body: finalizerPatch(object, finalizers) });
}

export interface FinalizerSteps {
  /** The normal reconcile, run while the object is alive and carries the finalizer. */
  apply(): Promise<ReconcileResult>;
  /** Releases what the object holds; the finalizer is removed only after this resolves. */
  cleanup(): Promise<ReconcileResult>;
}

/**
 * kube-rs's finalizer flow: not deleting and no finalizer → add it and stop (the write triggers the next
 * reconcile); not deleting → `apply`; deleting with our finalizer → `cleanup`, then remove the finalizer;
 * deleting without it → nothing. Guarantees that once `apply` ran, `cleanup` succeeds before the object
 * can disappear. `cleanup` may return `requeueAfterMs` to say it is not finished yet; the finalizer then
 * stays.
 */
export async function reconcileWithFinalizer(
  client: Pick<ResourceClient, 'patch'>,
  resource: ResourceType,
  object: DeepReadonly<KubeObject>,
  finalizer: string,
  steps: FinalizerSteps,
): Promise<ReconcileResult> {
  if (isBeingDeleted(object)) {
    if (!hasFinalizer(object, finalizer)) return {};
    const result = await steps.cleanup();
    if ((result.requeueAfterMs ?? 0) > 0) return result;
    await removeFinalizer(client, resource, object, finalizer);
    return {};
  }
  if (!hasFinalizer(object, finalizer)) {
    await addFinalizer(client, resource, object, finalizer);
    return {};
  }
  return steps.apply();
}
