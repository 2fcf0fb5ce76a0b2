// A private control plane for one reliability scenario: etcd, kube-apiserver and kube-controller-manager
// (its garbage collector removes the Instances of a deleted group, which the orphan checks rely on), the
// CRDs of crds/ and the ServiceAccount and RBAC of deploy/. Scenarios restart the API server and kill
// operators, so none of them shares the integration suite's plane.
//
// The audit policy here records every request of the operator's ServiceAccount (reads and watches too,
// for requests per second) and every write of anyone else, at Metadata level.
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../../src/runtime/index.ts';
import {
  OPERATOR_NAMESPACE,
  OPERATOR_USER,
  startControlPlane,
  type ControlPlane,
  type KubectlResult,
} from '../../cluster/controlplane.ts';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
const DEPLOY_RBAC = ['namespace.yaml', 'serviceaccount.yaml', 'rbac.yaml'];

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    users: ["${OPERATOR_USER}"]
  - level: Metadata
    verbs: [create, update, patch, delete, deletecollection]
  - level: None
`;

export interface TestPlane {
  plane: ControlPlane;
  /** Typed client as the cluster admin (the user of the scenarios). */
  admin: KubeClient;
  /** JSON-lines audit log (every operator request, everyone's writes). */
  auditLogPath: string;
  kubectl(args: string[], input?: string): Promise<KubectlResult>;
  /** kubectl that throws on a non-zero exit; returns stdout. */
  kubectlOk(args: string[], input?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface TestPlaneOptions {
  /** The plane's binaries (the reliability global setup finds them once); default: test/cluster/build.sh. */
  binDir?: string;
  apiServerFlags?: string[];
  log?: (message: string) => void;
}

export function clientFor(kubeconfigPath: string): KubeClient {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  return new KubeClient(config);
}

export async function startTestPlane(options: TestPlaneOptions = {}): Promise<TestPlane> {
  const policyDir = await mkdtemp(join(tmpdir(), 'vmfleet-rel-policy-'));
  const policyPath = join(policyDir, 'audit-policy.yaml');
  await writeFile(policyPath, AUDIT_POLICY);
  let plane: ControlPlane | undefined;
  try {
    plane = await startControlPlane({
      auditLog: true,
      // Later flags win: our policy replaces the plane's writes-only one.
      apiServerFlags: [`--audit-policy-file=${policyPath}`, ...(options.apiServerFlags ?? [])],
      ...(options.binDir === undefined ? {} : { binDir: options.binDir }),
      ...(options.log === undefined ? {} : { log: options.log }),
    });
    const started = plane;
    const kubectl = (args: string[], input?: string) =>
      started.kubectl(args, input === undefined ? {} : { input });
    const kubectlOk = async (args: string[], input?: string): Promise<string> => {
      const result = await kubectl(args, input);
      if (result.code !== 0)
        throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
      return result.stdout;
    };
    const crds = readdirSync(join(ROOT, 'crds'))
      .filter((name) => name.endsWith('.yaml') && !name.startsWith('kustomization.'))
      .map((name) => join(ROOT, 'crds', name));
    for (const file of crds) await kubectlOk(['apply', '--server-side', '-f', file]);
    for (const file of DEPLOY_RBAC)
      await kubectlOk(['apply', '--server-side', '-f', join(ROOT, 'deploy', file)]);
    await kubectlOk([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      ...crds.flatMap((f) => ['-f', f]),
    ]);
    // After the CRDs: the garbage collector discovers resource types when it starts.
    await started.startControllerManager();
    const auditLogPath = started.auditLogPath;
    if (auditLogPath === null) throw new Error('the plane has no audit log');
    return {
      plane: started,
      admin: clientFor(started.adminKubeconfig),
      auditLogPath,
      kubectl,
      kubectlOk,
      async stop() {
        await started.stop();
        await rm(policyDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await plane?.stop();
    await rm(policyDir, { recursive: true, force: true });
    throw error;
  }
}

export interface OperatorCredential {
  /** A kubeconfig holding only this credential. */
  kubeconfig: string;
  token: string;
  /**
   * How the audit log tells this credential apart: `user.extra["authentication.kubernetes.io/credential-id"]`
   * of every request it authenticates (`JTI=<the token's JWT id>`).
   */
  credentialId: string;
}

/**
 * A fresh token for the operator's ServiceAccount (TokenRequest, as a kubelet obtains one per pod). Every
 * token authenticates as the same user, so RBAC is exactly deploy/'s, but the API server records each
 * token's JWT id in the audit log: two operator processes with their own token can be told apart by the
 * server itself, not by anything the client claims (a User-Agent could be set to anything).
 */
export async function issueOperatorCredential(
  plane: TestPlane,
  name: string,
  /** Reach the API server through a relay on this loopback port instead of directly. */
  relayPort?: number,
): Promise<OperatorCredential> {
  const token = (
    await plane.kubectlOk(['create', 'token', 'vmfleet', '-n', OPERATOR_NAMESPACE, '--duration=6h'])
  ).trim();
  const payload = token.split('.')[1];
  if (payload === undefined) throw new Error('TokenRequest returned something that is not a JWT');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { jti?: unknown };
  if (typeof claims.jti !== 'string') throw new Error('the service account token has no jti claim');
  const base = JSON.parse(await readFile(plane.plane.operatorKubeconfig, 'utf8')) as {
    clusters: { cluster: { server: string } }[];
    users: { user: { token?: string } }[];
  };
  for (const user of base.users) user.user.token = token;
  if (relayPort !== undefined) {
    // Same address, another port: the server certificate (issued for 127.0.0.1) still verifies.
    for (const cluster of base.clusters) cluster.cluster.server = `https://127.0.0.1:${relayPort}`;
  }
  const kubeconfig = join(plane.plane.baseDir, `operator-${name}.kubeconfig`);
  await writeFile(kubeconfig, `${JSON.stringify(base, null, 2)}\n`, { mode: 0o600 });
  return { kubeconfig, token, credentialId: `JTI=${claims.jti}` };
}
