// Status writes: server-side apply to the status subresource under one field manager, and only when the
// computed status differs from the cached one. In steady state a reconcile therefore writes nothing.
//
// The computed status must be the whole status this controller owns. With SSA, fields we applied before
// and leave out now are removed, and the change check compares the complete status, so anything the
// cached status has that the computed one lacks counts as a difference (and is then removed).

import type { Logger } from 'pino';
import type { ResourceClient } from './client.ts';
import { apiVersionOf, objectKey, type DeepReadonly, type KubeObject, type ResourceType } from './objects.ts';

/** JSON-equality that ignores key order and `undefined` members, as the API server does. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** JSON text with object keys sorted and `undefined` members dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => {
    if (member === null || typeof member !== 'object' || Array.isArray(member)) return member;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(member).sort()) sorted[key] = (member as Record<string, unknown>)[key];
    return sorted;
  });
}

export interface StatusWriterOptions {
  client: Pick<ResourceClient, 'patchStatus'>;
  /** The SSA field manager owning our status fields; one name for the whole operator. */
  fieldManager: string;
  logger?: Logger;
}

export interface StatusWriteResult {
  written: boolean;
  /** The object the API server returned when a write happened. */
  object?: unknown;
}

interface LastWrite {
  /** resourceVersion of the cached object the write was computed from. */
  fromResourceVersion: string | undefined;
  status: string;
}

export class StatusWriter {
  private readonly client: Pick<ResourceClient, 'patchStatus'>;
  private readonly fieldManager: string;
  private readonly logger: Logger | undefined;
  /**
   * What we last wrote per object. Until the watch delivers our own write, the cache still shows the old
   * status; without this memo a reconcile in that window would send the same status again.
   */
  private readonly lastWrites = new Map<string, LastWrite>();

  constructor(options: StatusWriterOptions) {
    this.client = options.client;
    this.fieldManager = options.fieldManager;
    this.logger = options.logger;
  }

  /**
   * Applies `status` to `object` unless it already has it. `status.observedGeneration` is set to the
   * generation of `object` (the one the status was computed from).
   */
  async update(
    resource: ResourceType,
    object: DeepReadonly<KubeObject & { status?: unknown }>,
    status: Record<string, unknown>,
  ): Promise<StatusWriteResult> {
    const desired = { ...status, observedGeneration: object.metadata.generation ?? 0 };
    const key = `${resource.plural}/${objectKey(object)}`;
    if (semanticEqual(object.status ?? {}, desired)) {
      this.lastWrites.delete(key);
      return { written: false };
    }
    const canonical = canonicalJson(desired);
    const last = this.lastWrites.get(key);
    if (
      last !== undefined &&
      last.fromResourceVersion === object.metadata.resourceVersion &&
      last.status === canonical
    ) {
      return { written: false };
    }
    const body = {
      apiVersion: apiVersionOf(resource),
      kind: resource.kind,
      metadata: {
        name: object.metadata.name,
        ...(object.metadata.namespace === undefined ? {} : { namespace: object.metadata.namespace }),
      },
      status: desired,
    };
    const updated = await this.client.patchStatus(
      resource,
      { name: object.metadata.name, namespace: object.metadata.namespace },
      // force: we are the only writer of these fields; take them over from any earlier manager.
      { type: 'apply', body, fieldManager: this.fieldManager, force: true },
    );
    this.lastWrites.set(key, { fromResourceVersion: object.metadata.resourceVersion, status: canonical });
    if (this.lastWrites.size > 50_000) this.lastWrites.clear();
    this.logger?.debug({ key }, 'status written');
    return { written: true, object: updated };
  }

  /** Drops the memo for an object (call when it is deleted). */
  forget(resource: ResourceType, object: { metadata: { name: string; namespace?: string } }): void {
    this.lastWrites.delete(`${resource.plural}/${objectKey(object)}`);
  }
}
