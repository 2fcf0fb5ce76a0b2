// The client's shared connection pool speaks HTTP/1.1 even to a server that offers HTTP/2. undici's
// HTTP/2 session, shared by every request, wedged after a kube-apiserver crash in the reliability suite
// (all of the operator's requests timed out for minutes while other clients were served). A loopback TLS
// server that accepts both protocols records what each request arrived with.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KubeClient } from '../../../src/runtime/index.ts';
import { REGIONS } from '../../../src/controllers/resources.ts';

let dir: string;
let server: Http2SecureServer;
let ca: string;
const seen: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vmfleet-h1-'));
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  execFileSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
  ca = await readFile(cert, 'utf8');
  server = createSecureServer(
    { key: await readFile(key), cert: ca, allowHTTP1: true },
    (request, response) => {
      seen.push(request.httpVersion);
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          apiVersion: 'compute.vmfleet.io/v1alpha1',
          kind: 'Region',
          metadata: { name: 'eastus', resourceVersion: '1' },
        }),
      );
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function clientFor(address: AddressInfo): KubeClient {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: 'loopback',
        server: `https://127.0.0.1:${address.port}`,
        caData: Buffer.from(ca).toString('base64'),
      },
    ],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'loopback', user: 'u' }],
    currentContext: 'c',
  });
  return new KubeClient(kubeConfig);
}

it('sends every request of the shared pool over HTTP/1.1', async () => {
  const client = clientFor(server.address() as AddressInfo);
  // Sequential and concurrent requests: the first one sets up the pool, the others reuse it.
  expect(await client.get(REGIONS, { name: 'eastus' })).toMatchObject({ metadata: { name: 'eastus' } });
  await Promise.all([1, 2, 3].map(() => client.get(REGIONS, { name: 'eastus' })));
  expect(seen).toHaveLength(4);
  expect(new Set(seen)).toEqual(new Set(['1.1']));
});
