// Write fencing: the client a manager with leader election hands its controllers refuses every write
// (any request but a GET) while the process does not hold a fresh lease, before the request leaves the
// process; reads and watches go through. Every public method of KubeClient is called, so a method added
// later is covered (the test fails until it has a call below), and each one's requests are observed on
// a loopback server rather than assumed from its name.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient, Manager, type ResourceType } from '../../../src/runtime/index.ts';

const instances: ResourceType = {
  group: 'compute.vmfleet.io',
  version: 'v1alpha1',
  plural: 'instances',
  kind: 'Instance',
  namespaced: true,
};
const regions: ResourceType = { ...instances, plural: 'regions', kind: 'Region', namespaced: false };
const ref = { namespace: 'ns', name: 'i' };
const leaseSpec = {
  holderIdentity: 'me',
  leaseDurationSeconds: 15,
  acquireTime: new Date(),
  renewTime: new Date(),
  leaseTransitions: 0,
};

/** One call of every public method of KubeClient, with arguments it accepts. */
const CALLS: Record<string, (client: KubeClient) => Promise<unknown>> = {
  list: (c) => c.list(instances, { namespace: 'ns' }),
  watch: (c) =>
    c
      .watch(
        instances,
        { namespace: 'ns', resourceVersion: '1', timeoutSeconds: 5, allowWatchBookmarks: true },
        () => undefined,
        () => undefined,
      )
      .then((handle) => {
        handle.stop();
      }),
  get: (c) => c.get(instances, ref),
  create: (c) => c.create(instances, { metadata: { name: 'i', namespace: 'ns' } }),
  replace: (c) => c.replace(regions, { name: 'r' }, { metadata: { name: 'r' } }),
  patch: (c) => c.patch(instances, ref, { type: 'merge', body: {} }),
  patchStatus: (c) =>
    c.patchStatus(regions, { name: 'r' }, { type: 'apply', body: {}, fieldManager: 'm', force: true }),
  patchScale: (c) => c.patchScale(instances, ref, 3),
  delete: (c) => c.delete(instances, ref, { propagationPolicy: 'Background' }),
  readLease: (c) => c.readLease('ns', 'l'),
  createLease: (c) => c.createLease('ns', 'l', leaseSpec),
  updateLease: (c) => c.updateLease('ns', 'l', '1', leaseSpec),
  createEvent: (c) =>
    c.createEvent('ns', {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'e', namespace: 'ns' },
      eventTime: new V1MicroTime(),
      reportingController: 'c',
      reportingInstance: 'i',
      action: 'A',
      reason: 'R',
      type: 'Normal',
      note: '',
      regarding: { apiVersion: 'v1', kind: 'Pod', name: 'p' },
    }),
  patchEvent: (c) => c.patchEvent('ns', 'e', { series: { count: 2 } }),
};

/** Helpers of the class that send nothing of their own (they serve the methods above). */
const INTERNAL = new Set(['constructor', 'options', 'call', 'sendPatch', 'fenced']);

function publicMethods(): string[] {
  const prototype = KubeClient.prototype as unknown as Record<string, unknown>;
  return Object.getOwnPropertyNames(prototype).filter(
    (name) => !INTERNAL.has(name) && typeof prototype[name] === 'function',
  );
}

let server: Server;
let port = 0;
/** `METHOD path` of every request the server received. */
const seen: string[] = [];

function answer(request: IncomingMessage, response: ServerResponse): void {
  seen.push(`${request.method ?? ''} ${new URL(request.url ?? '/', 'http://x').pathname}`);
  request.resume();
  const watching = new URL(request.url ?? '/', 'http://x').searchParams.get('watch') === 'true';
  response.writeHead(200, { 'Content-Type': 'application/json' });
  // A watch gets an open stream that ends at once; everything else an object good for any caller.
  response.end(
    watching ? '' : JSON.stringify({ metadata: { name: 'x', resourceVersion: '1' }, items: [], spec: {} }),
  );
}

function loopbackClient(): KubeClient {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${String(port)}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return new KubeClient(config, { requestTimeoutMs: 5_000 });
}

/** The client a manager's controllers write through, in a process that does not hold the lease. */
function clientWithoutLease(): KubeClient {
  const manager = new Manager({
    client: loopbackClient(),
    logger: pino({ level: 'silent' }),
    namespace: 'ns',
    leaderElection: { leaseName: 'l' },
    health: false,
  });
  return manager.client;
}

async function observe(
  call: () => Promise<unknown>,
): Promise<{ requests: string[]; error: unknown; ok: boolean }> {
  seen.length = 0;
  try {
    await call();
    return { requests: [...seen], error: undefined, ok: true };
  } catch (error) {
    return { requests: [...seen], error, ok: false };
  }
}

const isWrite = (request: string): boolean => !request.startsWith('GET ');

beforeAll(async () => {
  server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
});

describe('write fencing', () => {
  it('has a call for every public method of the client', () => {
    expect(publicMethods().filter((name) => !(name in CALLS))).toEqual([]);
  });

  it.each(publicMethods().filter((name) => name in CALLS))(
    '%s: a write is refused without reaching the server once the lease is not held; a read passes',
    async (name) => {
      const call = CALLS[name];
      if (call === undefined) throw new Error(`no call for ${name}`);
      const free = await observe(() => call(loopbackClient()));
      expect(free.requests.length, `${name} sends a request`).toBeGreaterThan(0);
      const fenced = await observe(() => call(clientWithoutLease()));
      if (free.requests.some(isWrite)) {
        expect(fenced.error).toMatchObject({ reason: 'NotLeader' });
        expect(fenced.requests.filter(isWrite)).toEqual([]);
      } else {
        expect(fenced.ok, String(fenced.error)).toBe(true);
        expect(fenced.requests).toEqual(free.requests);
      }
    },
  );

  it('classifies every kind of write the client can send as a write', async () => {
    const writes: string[] = [];
    for (const name of publicMethods()) {
      const call = CALLS[name];
      if (call === undefined) continue;
      const free = await observe(() => call(loopbackClient()));
      if (free.requests.some(isWrite)) writes.push(name);
    }
    expect(writes.sort()).toEqual(
      [
        'create',
        'createEvent',
        'createLease',
        'delete',
        'patch',
        'patchEvent',
        'patchScale',
        'patchStatus',
        'replace',
        'updateLease',
      ].sort(),
    );
  });
});
