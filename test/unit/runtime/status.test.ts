import { describe, expect, it } from 'vitest';
import type { ObjectRef, Patch, ResourceType } from '../../../src/runtime/index.ts';
import { canonicalJson, semanticEqual, StatusWriter } from '../../../src/runtime/status.ts';
import { deepFreeze } from '../../../src/runtime/objects.ts';

const scaleSets: ResourceType = {
  group: 'compute.vmfleet.io',
  version: 'v1alpha1',
  plural: 'scalesets',
  kind: 'ScaleSet',
  namespaced: true,
};

describe('semanticEqual', () => {
  it('ignores key order and undefined members but not array order or values', () => {
    expect(
      semanticEqual({ a: 1, b: { c: 2, d: [1, 2] } }, { b: { d: [1, 2], c: 2 }, a: 1, e: undefined }),
    ).toBe(true);
    expect(semanticEqual({ d: [1, 2] }, { d: [2, 1] })).toBe(false);
    expect(semanticEqual({ a: 1 }, { a: '1' })).toBe(false);
    expect(semanticEqual({ a: null }, {})).toBe(false);
    expect(canonicalJson({ b: 1, a: [{ y: 1, x: 2 }] })).toBe('{"a":[{"x":2,"y":1}],"b":1}');
  });
});

/** Records the patches the writer sends; answers like the API server would with the applied object. */
function recordingClient(): {
  calls: { ref: ObjectRef; patch: Patch }[];
  client: { patchStatus: (r: ResourceType, ref: ObjectRef, patch: Patch) => Promise<unknown> };
} {
  const calls: { ref: ObjectRef; patch: Patch }[] = [];
  return {
    calls,
    client: {
      patchStatus: (_resource, ref, patch) => {
        calls.push({ ref, patch });
        return Promise.resolve(patch.type === 'apply' ? patch.body : undefined);
      },
    },
  };
}

function scaleSet(resourceVersion: string, status?: Record<string, unknown>) {
  return deepFreeze({
    apiVersion: 'compute.vmfleet.io/v1alpha1',
    kind: 'ScaleSet',
    metadata: { name: 'web', namespace: 'team-a', generation: 7, resourceVersion },
    ...(status === undefined ? {} : { status }),
  });
}

describe('StatusWriter', () => {
  it('applies the status with SSA under its field manager, force, with observedGeneration = generation', async () => {
    const { calls, client } = recordingClient();
    const writer = new StatusWriter({ client, fieldManager: 'vmfleet' });
    const result = await writer.update(scaleSets, scaleSet('10'), { readyInstances: 3 });
    expect(result.written).toBe(true);
    expect(calls).toEqual([
      {
        ref: { name: 'web', namespace: 'team-a' },
        patch: {
          type: 'apply',
          fieldManager: 'vmfleet',
          force: true,
          body: {
            apiVersion: 'compute.vmfleet.io/v1alpha1',
            kind: 'ScaleSet',
            metadata: { name: 'web', namespace: 'team-a' },
            status: { readyInstances: 3, observedGeneration: 7 },
          },
        },
      },
    ]);
  });

  it('writes nothing when the cached status already equals the computed one', async () => {
    const { calls, client } = recordingClient();
    const writer = new StatusWriter({ client, fieldManager: 'vmfleet' });
    const cached = scaleSet('11', { observedGeneration: 7, readyInstances: 3, zones: { '1': 2, '2': 1 } });
    const result = await writer.update(scaleSets, cached, { zones: { '2': 1, '1': 2 }, readyInstances: 3 });
    expect(result.written).toBe(false);
    expect(calls).toHaveLength(0);
  });

  it('does not resend the same status while the cache has not caught up with its own write', async () => {
    const { calls, client } = recordingClient();
    const writer = new StatusWriter({ client, fieldManager: 'vmfleet' });
    const stale = scaleSet('12', { observedGeneration: 7, readyInstances: 1 });
    await writer.update(scaleSets, stale, { readyInstances: 2 });
    await writer.update(scaleSets, stale, { readyInstances: 2 });
    expect(calls).toHaveLength(1);
    // A different computed status is still written from the same stale cache.
    await writer.update(scaleSets, stale, { readyInstances: 3 });
    expect(calls).toHaveLength(2);
    // Once the cache moved on to another version, a difference is written again.
    await writer.update(scaleSets, scaleSet('13', { observedGeneration: 7, readyInstances: 1 }), {
      readyInstances: 3,
    });
    expect(calls).toHaveLength(3);
  });

  it('treats fields present in the cache but missing from the computed status as a change', async () => {
    const { calls, client } = recordingClient();
    const writer = new StatusWriter({ client, fieldManager: 'vmfleet' });
    await writer.update(
      scaleSets,
      scaleSet('14', { observedGeneration: 7, readyInstances: 3, plan: { add: 1 } }),
      { readyInstances: 3 },
    );
    expect(calls).toHaveLength(1);
  });

  it('writes when only the generation moved (observedGeneration must follow)', async () => {
    const { calls, client } = recordingClient();
    const writer = new StatusWriter({ client, fieldManager: 'vmfleet' });
    await writer.update(scaleSets, scaleSet('15', { observedGeneration: 6, readyInstances: 3 }), {
      readyInstances: 3,
    });
    expect(calls).toHaveLength(1);
  });
});
