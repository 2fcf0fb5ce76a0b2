// The cache behind a reflector: objects by key, plus optional secondary indexes (e.g. Instances by
// owner) so controllers can find the children of one group without scanning thousands of objects.
//
// Cached objects are shared and frozen: every reader gets the same instance, and any attempt to modify
// one throws in strict-mode code. Clone (`cloneObject`) before building a changed version.

import { objectKey, type DeepReadonly, type KubeObject } from './objects.ts';

/** Maps an object to the index values it should be found under (none, one or many). */
export type IndexFunction<T extends KubeObject> = (object: DeepReadonly<T>) => readonly string[];

export interface ReadonlyStore<T extends KubeObject> {
  readonly size: number;
  get(key: string): DeepReadonly<T> | undefined;
  has(key: string): boolean;
  keys(): string[];
  list(): DeepReadonly<T>[];
  /** Objects whose index function returned `value` for the index `indexName`. */
  byIndex(indexName: string, value: string): DeepReadonly<T>[];
  /** How many objects `byIndex` would return, in O(1). */
  countByIndex(indexName: string, value: string): number;
}

export class ObjectStore<T extends KubeObject> implements ReadonlyStore<T> {
  private readonly objects = new Map<string, DeepReadonly<T>>();
  private readonly indexFunctions = new Map<string, IndexFunction<T>>();
  /** index name → index value → keys */
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  get size(): number {
    return this.objects.size;
  }

  /** Declares an index; existing objects are indexed right away. */
  addIndex(name: string, indexFunction: IndexFunction<T>): void {
    if (this.indexFunctions.has(name)) throw new Error(`index ${name} already exists`);
    this.indexFunctions.set(name, indexFunction);
    this.indexes.set(name, new Map());
    for (const [key, object] of this.objects) this.indexObject(name, indexFunction, key, object);
  }

  get(key: string): DeepReadonly<T> | undefined {
    return this.objects.get(key);
  }

  has(key: string): boolean {
    return this.objects.has(key);
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  list(): DeepReadonly<T>[] {
    return [...this.objects.values()];
  }

  /** How many objects `byIndex` would return, in O(1). */
  countByIndex(indexName: string, value: string): number {
    const index = this.indexes.get(indexName);
    if (index === undefined) throw new Error(`no index named ${indexName}`);
    return index.get(value)?.size ?? 0;
  }

  byIndex(indexName: string, value: string): DeepReadonly<T>[] {
    const index = this.indexes.get(indexName);
    if (index === undefined) throw new Error(`no index named ${indexName}`);
    const keys = index.get(value);
    if (keys === undefined) return [];
    const result: DeepReadonly<T>[] = [];
    for (const key of keys) {
      const object = this.objects.get(key);
      if (object !== undefined) result.push(object);
    }
    return result;
  }

  /** Stores `object` and returns what was there before. */
  set(object: DeepReadonly<T>): DeepReadonly<T> | undefined {
    const key = objectKey(object);
    const previous = this.objects.get(key);
    if (previous !== undefined) this.unindex(key, previous);
    this.objects.set(key, object);
    for (const [name, indexFunction] of this.indexFunctions)
      this.indexObject(name, indexFunction, key, object);
    return previous;
  }

  /** Removes the object under `key` and returns it. */
  delete(key: string): DeepReadonly<T> | undefined {
    const previous = this.objects.get(key);
    if (previous === undefined) return undefined;
    this.unindex(key, previous);
    this.objects.delete(key);
    return previous;
  }

  private indexObject(
    name: string,
    indexFunction: IndexFunction<T>,
    key: string,
    object: DeepReadonly<T>,
  ): void {
    const index = this.indexes.get(name);
    if (index === undefined) return;
    for (const value of safeIndexValues(indexFunction, object)) {
      let keys = index.get(value);
      if (keys === undefined) {
        keys = new Set();
        index.set(value, keys);
      }
      keys.add(key);
    }
  }

  private unindex(key: string, object: DeepReadonly<T>): void {
    for (const [name, indexFunction] of this.indexFunctions) {
      const index = this.indexes.get(name);
      if (index === undefined) continue;
      for (const value of safeIndexValues(indexFunction, object)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}

function safeIndexValues<T extends KubeObject>(
  indexFunction: IndexFunction<T>,
  object: DeepReadonly<T>,
): readonly string[] {
  try {
    return indexFunction(object);
  } catch {
    // An index function that throws on an odd object leaves that object out of the index rather than
    // breaking the watch stream that is storing it.
    return [];
  }
}

export interface ReplaceDiff<T extends KubeObject> {
  added: DeepReadonly<T>[];
  updated: { previous: DeepReadonly<T>; current: DeepReadonly<T> }[];
  /** Objects gone from the new list: their last known state, since the final one was never seen. */
  deleted: DeepReadonly<T>[];
}

/**
 * What a relist changes in a cache: new keys are adds, keys whose resourceVersion moved are updates,
 * keys missing from the list are deletes whose final state is unknown (client-go's tombstones).
 */
export function diffForReplace<T extends KubeObject>(
  current: ReadonlyStore<T>,
  listed: readonly DeepReadonly<T>[],
): ReplaceDiff<T> {
  const diff: ReplaceDiff<T> = { added: [], updated: [], deleted: [] };
  const seen = new Set<string>();
  for (const object of listed) {
    const key = objectKey(object);
    seen.add(key);
    const previous = current.get(key);
    if (previous === undefined) diff.added.push(object);
    else if (previous.metadata.resourceVersion !== object.metadata.resourceVersion)
      diff.updated.push({ previous, current: object });
  }
  for (const key of current.keys()) {
    if (seen.has(key)) continue;
    const previous = current.get(key);
    if (previous !== undefined) diff.deleted.push(previous);
  }
  return diff;
}
