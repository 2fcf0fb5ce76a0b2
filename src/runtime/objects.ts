// The minimal shape of a Kubernetes object the runtime relies on, resource coordinates, and object keys.
// Controllers bring their own fuller types (from the zod schemas); anything with `metadata.name` fits.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export type { DeepReadonly } from '../api/common.ts';
import type { DeepReadonly } from '../api/common.ts';

/** Where a kind lives in the API: enough to build list, watch, get, patch and delete URLs. */
export interface ResourceType {
  /** API group; the runtime's generic calls need a named group (custom resources, leases, events). */
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export function apiVersionOf(resource: ResourceType): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

/** `group/version/plural`, a stable name for logs and metric labels. */
export function resourceId(resource: ResourceType): string {
  return `${resource.group}/${resource.version}/${resource.plural}`;
}

/** A reconcile request: which object, never what happened to it. */
export interface ObjectRef {
  namespace?: string;
  name: string;
}

/** `namespace/name`, or `name` for cluster-scoped objects (client-go's `MetaNamespaceKeyFunc`). */
export function keyOf(ref: ObjectRef): string {
  return ref.namespace === undefined || ref.namespace === '' ? ref.name : `${ref.namespace}/${ref.name}`;
}

export function objectKey(obj: {
  readonly metadata: { readonly name: string; readonly namespace?: string };
}): string {
  return keyOf({ name: obj.metadata.name, namespace: obj.metadata.namespace });
}

export function parseKey(key: string): ObjectRef {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The group of an `apiVersion` such as `compute.vmfleet.io/v1alpha1` (empty for the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** The ownerReference marked `controller: true`, if any. */
export function controllerOwner(
  obj: DeepReadonly<KubeObject> | KubeObject,
): DeepReadonly<OwnerReference> | undefined {
  return obj.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

/** An ownerReference that makes `owner` the controller of another object (controller-runtime's `SetControllerReference`). */
export function controllerReference(
  owner: DeepReadonly<KubeObject>,
  ownerResource: ResourceType,
): OwnerReference {
  const uid = owner.metadata.uid;
  if (uid === undefined)
    throw new Error(`controllerReference: ${objectKey(owner)} has no uid (not read from the API?)`);
  return {
    apiVersion: apiVersionOf(ownerResource),
    kind: ownerResource.kind,
    name: owner.metadata.name,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** True once the API server has accepted a delete and only finalizers hold the object. */
export function isBeingDeleted(obj: DeepReadonly<KubeObject>): boolean {
  return obj.metadata.deletionTimestamp !== undefined;
}

/** Recursively freezes a plain JSON value in place and returns it typed as read-only. */
export function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value as DeepReadonly<T>;
}

/** Undoes `DeepReadonly`: the type of a deep copy of a cached object. */
export type DeepMutable<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer E)[]
    ? DeepMutable<E>[]
    : T extends object
      ? { -readonly [K in keyof T]: DeepMutable<T[K]> }
      : T;

/** A mutable deep copy of a cached object, for building a modified version of it. */
export function cloneObject<T>(value: T): DeepMutable<T> {
  return structuredClone(value) as DeepMutable<T>;
}
