// Shared setup for the runtime's integration tests: two test-only CRDs (so these tests do not depend on
// the vmfleet schemas, which evolve on their own), clients for the admin and operator identities, and
// small helpers. The runtime itself is generic over kinds, so a Probe exercises exactly the code a
// ScaleSet does.
import { KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { KubeClient } from '../../../src/runtime/client.ts';
import type { KubeObject, ResourceType } from '../../../src/runtime/objects.ts';
import type { ClusterInfo } from '../../cluster/controlplane.ts';
import { kubectlOk, uniqueName } from '../cluster.ts';

export const PROBE_GROUP = 'runtime.test.vmfleet.io';

/** Namespaced, with a status subresource whose conditions merge by type under SSA. */
export const probes: ResourceType = {
  group: PROBE_GROUP,
  version: 'v1',
  plural: 'probes',
  kind: 'Probe',
  namespaced: true,
};

/** Cluster-scoped, standing in for Region: a change fans out to every Probe naming it. */
export const probeClusters: ResourceType = {
  group: PROBE_GROUP,
  version: 'v1',
  plural: 'probeclusters',
  kind: 'ProbeCluster',
  namespaced: false,
};

export interface Probe extends KubeObject {
  spec?: { cluster?: string; size?: number; [key: string]: unknown };
  status?: Record<string, unknown>;
}

const statusSchema = {
  type: 'object',
  'x-kubernetes-preserve-unknown-fields': true,
  properties: {
    observedGeneration: { type: 'integer' },
    conditions: {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
      items: {
        type: 'object',
        required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
        properties: {
          type: { type: 'string' },
          status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
          observedGeneration: { type: 'integer' },
          lastTransitionTime: { type: 'string', format: 'date-time' },
          reason: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  },
};

function crd(resource: ResourceType): unknown {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${resource.plural}.${resource.group}` },
    spec: {
      group: resource.group,
      scope: resource.namespaced ? 'Namespaced' : 'Cluster',
      names: { plural: resource.plural, singular: resource.kind.toLowerCase(), kind: resource.kind },
      versions: [
        {
          name: resource.version,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                status: statusSchema,
              },
            },
          },
        },
      ],
    },
  };
}

/** The CRDs as one YAML stream (JSON documents are YAML). */
export function probeCrdsYaml(): string {
  return [crd(probes), crd(probeClusters)].map((doc) => JSON.stringify(doc)).join('\n---\n');
}

/** Installs the probe CRDs on the shared plane (idempotent, safe from parallel files). */
export async function ensureProbeCrds(): Promise<void> {
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: probeCrdsYaml() });
  await kubectlOk([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    `crd/${probes.plural}.${PROBE_GROUP}`,
    `crd/${probeClusters.plural}.${PROBE_GROUP}`,
  ]);
}

export function kubeConfigFor(cluster: ClusterInfo, as: 'admin' | 'operator'): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(as === 'admin' ? cluster.adminKubeconfig : cluster.operatorKubeconfig);
  return config;
}

export function clientFor(cluster: ClusterInfo, as: 'admin' | 'operator' = 'admin'): KubeClient {
  return new KubeClient(kubeConfigFor(cluster, as));
}

export async function createNamespace(prefix: string): Promise<string> {
  const namespace = uniqueName(prefix);
  await kubectlOk(['create', 'namespace', namespace]);
  return namespace;
}

export function probe(namespace: string, name: string, spec: Probe['spec'] = {}): Probe {
  return { apiVersion: `${PROBE_GROUP}/v1`, kind: 'Probe', metadata: { name, namespace }, spec };
}

/** Logs only what matters when a test fails. Set RUNTIME_TEST_LOG=debug to see everything. */
export function testLogger(): Logger {
  return pino({ level: process.env['RUNTIME_TEST_LOG'] ?? 'silent' });
}

/** A resolvable promise, for waiting on a callback without polling. */
export function signalled<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}
