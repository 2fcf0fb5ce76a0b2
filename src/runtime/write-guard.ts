// A view of a KubeClient whose writes (create, replace, patch, status, delete, events) first ask a guard;
// reads, watches and Lease calls pass straight through. The manager gives its controllers this view with a
// guard that holds only while the process's lease is fresh. The election loop alone is not enough: a
// leader frozen for longer than the lease (SIGSTOP, a stalled VM, a long pause) wakes up with responses to
// its last requests already waiting, and Node runs those I/O callbacks — and the next batch of writes they
// start — before the timer that would tell the election loop it lost. The reliability suite's failover
// scenario saw a resumed ex-leader create Instances next to the new leader that way.
import { KubeApiError, type KubeClient } from './client.ts';

const WRITES: ReadonlySet<PropertyKey> = new Set([
  'create',
  'replace',
  'patch',
  'patchStatus',
  'delete',
  'createEvent',
  'patchEvent',
]);

/** `allowed` is asked before every write; when it says no, the write fails with reason `NotLeader`. */
export function guardWrites(client: KubeClient, allowed: () => boolean): KubeClient {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!WRITES.has(property)) return method.bind(target);
      return (...args: unknown[]) => {
        if (!allowed()) {
          return Promise.reject(
            new KubeApiError(
              0,
              'NotLeader',
              `${String(property)}: refused, this process does not hold a fresh lease`,
            ),
          );
        }
        return method.apply(target, args);
      };
    },
  });
}
