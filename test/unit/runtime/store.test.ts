import { describe, expect, it } from 'vitest';
import { deepFreeze, objectKey, type DeepReadonly, type KubeObject } from '../../../src/runtime/objects.ts';
import { diffForReplace, ObjectStore } from '../../../src/runtime/store.ts';

interface Instance extends KubeObject {
  spec: { zone: string };
}

function instance(name: string, rv: string, zone = '1', owner = 'web'): DeepReadonly<Instance> {
  return deepFreeze({
    metadata: { name, namespace: 'ns', resourceVersion: rv, labels: { 'vmfleet.io/scaleset': owner } },
    spec: { zone },
  });
}

describe('ObjectStore', () => {
  it('stores by namespace/name and keeps secondary indexes current across updates and deletes', () => {
    const store = new ObjectStore<Instance>();
    store.addIndex('owner', (o) => {
      const owner = o.metadata.labels?.['vmfleet.io/scaleset'];
      return owner === undefined ? [] : [`${o.metadata.namespace ?? ''}/${owner}`];
    });
    store.set(instance('web-0', '1'));
    store.set(instance('web-1', '2'));
    store.set(instance('api-0', '3', '2', 'api'));
    expect(store.size).toBe(3);
    expect(store.get('ns/web-0')?.metadata.resourceVersion).toBe('1');
    expect(store.byIndex('owner', 'ns/web').map(objectKey).sort()).toEqual(['ns/web-0', 'ns/web-1']);

    // Moving an object to another owner moves it between index buckets.
    store.set(instance('web-1', '4', '1', 'api'));
    expect(store.byIndex('owner', 'ns/web').map(objectKey)).toEqual(['ns/web-0']);
    expect(store.byIndex('owner', 'ns/api').map(objectKey).sort()).toEqual(['ns/api-0', 'ns/web-1']);
    expect(store.countByIndex('owner', 'ns/api')).toBe(2);

    store.delete('ns/web-0');
    expect(store.byIndex('owner', 'ns/web')).toEqual([]);
    expect(store.countByIndex('owner', 'ns/web')).toBe(0);
    expect(store.countByIndex('owner', 'ns/nobody')).toBe(0);
    expect(() => store.countByIndex('nothing', 'x')).toThrow(/no index named nothing/);
    expect(store.has('ns/web-0')).toBe(false);
  });

  it('indexes existing objects when an index is added late, and survives an index function that throws', () => {
    const store = new ObjectStore<Instance>();
    store.set(instance('a', '1', '1'));
    store.set(instance('b', '2', '2'));
    store.addIndex('zone', (o) => [o.spec.zone]);
    store.addIndex('broken', () => {
      throw new Error('bad index');
    });
    expect(store.byIndex('zone', '2').map(objectKey)).toEqual(['ns/b']);
    expect(store.byIndex('broken', 'x')).toEqual([]);
    store.set(instance('c', '3', '2'));
    expect(store.byIndex('zone', '2')).toHaveLength(2);
    expect(() => store.byIndex('missing', 'x')).toThrow(/no index/);
  });

  it('hands out frozen objects that cannot be modified', () => {
    const store = new ObjectStore<Instance>();
    store.set(instance('a', '1'));
    const cached = store.get('ns/a') as unknown as Instance;
    expect(() => {
      cached.spec.zone = '3';
    }).toThrow(TypeError);
    expect(Object.isFrozen(cached.metadata.labels)).toBe(true);
  });
});

describe('diffForReplace', () => {
  it('reports new keys as added, moved resourceVersions as updated and vanished keys as deleted', () => {
    const store = new ObjectStore<Instance>();
    store.set(instance('same', '1'));
    store.set(instance('changed', '2'));
    store.set(instance('gone', '3'));
    const diff = diffForReplace(store, [
      instance('same', '1'),
      instance('changed', '5'),
      instance('new', '6'),
    ]);
    expect(diff.added.map(objectKey)).toEqual(['ns/new']);
    expect(
      diff.updated.map((u) => [u.previous.metadata.resourceVersion, u.current.metadata.resourceVersion]),
    ).toEqual([['2', '5']]);
    expect(diff.deleted.map(objectKey)).toEqual(['ns/gone']);
    expect(diff.deleted[0]?.metadata.resourceVersion).toBe('3');
  });
});
