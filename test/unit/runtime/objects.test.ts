import { describe, expect, it } from 'vitest';
import {
  mapAll,
  mapByLabel,
  mapToControllerOwner,
  mapToSelf,
  generationChanged,
} from '../../../src/runtime/controller.ts';
import {
  apiVersionOf,
  cloneObject,
  controllerReference,
  deepFreeze,
  keyOf,
  objectKey,
  parseKey,
  type KubeObject,
  type ResourceType,
} from '../../../src/runtime/objects.ts';

const scaleSets: ResourceType = {
  group: 'compute.vmfleet.io',
  version: 'v1alpha1',
  plural: 'scalesets',
  kind: 'ScaleSet',
  namespaced: true,
};

function child(meta: Partial<KubeObject['metadata']>): KubeObject {
  return { metadata: { name: 'web-3', namespace: 'team-a', ...meta } };
}

describe('keys', () => {
  it('round-trips namespaced and cluster-scoped keys', () => {
    expect(keyOf({ namespace: 'ns', name: 'a' })).toBe('ns/a');
    expect(keyOf({ name: 'eastus' })).toBe('eastus');
    expect(parseKey('ns/a')).toEqual({ namespace: 'ns', name: 'a' });
    expect(parseKey('eastus')).toEqual({ name: 'eastus' });
    expect(objectKey({ metadata: { name: 'a', namespace: 'ns' } })).toBe('ns/a');
    expect(apiVersionOf(scaleSets)).toBe('compute.vmfleet.io/v1alpha1');
  });
});

describe('owner references', () => {
  it('builds a controller reference from a read object', () => {
    const owner = deepFreeze({ metadata: { name: 'web', namespace: 'team-a', uid: 'u-1' } });
    expect(controllerReference(owner, scaleSets)).toEqual({
      apiVersion: 'compute.vmfleet.io/v1alpha1',
      kind: 'ScaleSet',
      name: 'web',
      uid: 'u-1',
      controller: true,
      blockOwnerDeletion: true,
    });
    expect(() => controllerReference(deepFreeze({ metadata: { name: 'x' } }), scaleSets)).toThrow(/uid/);
  });

  it('maps a child to its controlling owner of the right group and kind only', () => {
    const map = mapToControllerOwner({ group: 'compute.vmfleet.io', kind: 'ScaleSet' });
    const owned = child({
      ownerReferences: [
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'not-controller', uid: '1' },
        {
          apiVersion: 'compute.vmfleet.io/v1alpha1',
          kind: 'ScaleSet',
          name: 'web',
          uid: '2',
          controller: true,
        },
      ],
    });
    expect([...map(deepFreeze(owned))]).toEqual(['team-a/web']);
    const fleetOwned = child({
      ownerReferences: [
        {
          apiVersion: 'compute.vmfleet.io/v1alpha1',
          kind: 'ComputeFleet',
          name: 'batch',
          uid: '3',
          controller: true,
        },
      ],
    });
    expect([...map(deepFreeze(fleetOwned))]).toEqual([]);
    const otherGroup = child({
      ownerReferences: [
        { apiVersion: 'example.com/v1', kind: 'ScaleSet', name: 'web', uid: '4', controller: true },
      ],
    });
    expect([...map(deepFreeze(otherGroup))]).toEqual([]);
    expect([...map(deepFreeze(child({})))]).toEqual([]);
  });

  it('maps by label and unions mappings without duplicates', () => {
    const byLabel = mapByLabel('vmfleet.io/scaleset');
    const byOwner = mapToControllerOwner({ group: 'compute.vmfleet.io', kind: 'ScaleSet' });
    const labelled = deepFreeze(
      child({
        labels: { 'vmfleet.io/scaleset': 'web' },
        ownerReferences: [
          {
            apiVersion: 'compute.vmfleet.io/v1alpha1',
            kind: 'ScaleSet',
            name: 'web',
            uid: '2',
            controller: true,
          },
        ],
      }),
    );
    expect([...byLabel(labelled)]).toEqual(['team-a/web']);
    expect([...mapAll(byOwner, byLabel)(labelled)]).toEqual(['team-a/web']);
    expect([...byLabel(deepFreeze(child({ labels: { 'vmfleet.io/scaleset': '' } })))]).toEqual([]);
    expect(mapToSelf(labelled)).toEqual(['team-a/web-3']);
  });
});

describe('generationChanged', () => {
  it('passes spec changes and deletion, skips status and metadata-only updates', () => {
    const base = deepFreeze(child({ generation: 1, resourceVersion: '1' }));
    expect(
      generationChanged(base, deepFreeze(child({ generation: 1, resourceVersion: '2', labels: { a: 'b' } }))),
    ).toBe(false);
    expect(generationChanged(base, deepFreeze(child({ generation: 2, resourceVersion: '3' })))).toBe(true);
    expect(
      generationChanged(
        base,
        deepFreeze(child({ generation: 1, deletionTimestamp: '2026-11-23T10:00:00Z' })),
      ),
    ).toBe(true);
  });
});

describe('deepFreeze / cloneObject', () => {
  it('freezes nested values and clones back into a mutable copy', () => {
    const frozen = deepFreeze({ metadata: { name: 'a', labels: { x: '1' } }, spec: { zones: ['1', '2'] } });
    expect(Object.isFrozen(frozen.spec.zones)).toBe(true);
    const copy = cloneObject(frozen);
    copy.spec.zones.push('3');
    expect(copy.spec.zones).toEqual(['1', '2', '3']);
    expect(frozen.spec.zones).toEqual(['1', '2']);
  });
});
