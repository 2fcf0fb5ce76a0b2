// Least privilege and hardening:
//  - what the operator's identity may do, asked of the API server with the operator's own kubeconfig
//    (`kubectl auth can-i`, a SelfSubjectAccessReview): everything it uses is allowed, and Secrets, Pods,
//    Leases outside its namespace, spec writes, CRDs, RBAC, namespaces and impersonation are denied;
//  - the Deployment's pod passes the restricted Pod Security Standard: its pod template, as a bare Pod,
//    is created with server dry-run in a namespace that enforces `restricted` (PodSecurity admission
//    enforces on Pods; on Deployments it only warns), and the Deployment itself draws no warning there;
//    a copy with privilege escalation allowed is refused, which shows the namespace really enforces;
//  - no credential in the logs: the operator runs at --log-level=trace through work and errors (an API
//    server crash, and a second operator whose token the server rejects), and neither output contains a
//    bearer token, the kubeconfig's CA data or a private key.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import { REGIONS, SCALESETS } from '../../../src/controllers/resources.ts';
import { OPERATOR_NAMESPACE } from '../../cluster/controlplane.ts';
import { waitConsistent } from '../lib/consistency.ts';
import { regionManifest, scaleSet, setTarget } from '../lib/fleet.ts';
import { logLines } from '../lib/operator-process.ts';
import { ROOT, type TestPlane } from '../lib/plane.ts';
import type { Scenario } from '../lib/scenario.ts';

export interface AccessCheck {
  verb: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  allowed: boolean;
}

/** What the operator needs (allowed) and a sample of what it must not have (denied). */
export const ACCESS_CHECKS: AccessCheck[] = [
  // Needed.
  { verb: 'watch', resource: 'scalesets.compute.vmfleet.io', allowed: true },
  { verb: 'list', resource: 'computefleets.compute.vmfleet.io', allowed: true },
  { verb: 'get', resource: 'regions.compute.vmfleet.io', allowed: true },
  { verb: 'create', resource: 'instances.compute.vmfleet.io', namespace: 'default', allowed: true },
  { verb: 'delete', resource: 'instances.compute.vmfleet.io', namespace: 'default', allowed: true },
  {
    verb: 'patch',
    resource: 'scalesets.compute.vmfleet.io',
    subresource: 'status',
    namespace: 'default',
    allowed: true,
  },
  { verb: 'patch', resource: 'regions.compute.vmfleet.io', subresource: 'status', allowed: true },
  // The finalizer that holds back deleting a Region in use (metadata.finalizers).
  { verb: 'patch', resource: 'regions.compute.vmfleet.io', allowed: true },
  {
    verb: 'patch',
    resource: 'instances.compute.vmfleet.io',
    subresource: 'status',
    namespace: 'default',
    allowed: true,
  },
  { verb: 'create', resource: 'events.events.k8s.io', namespace: 'default', allowed: true },
  { verb: 'update', resource: 'leases.coordination.k8s.io', namespace: OPERATOR_NAMESPACE, allowed: true },
  { verb: 'create', resource: 'leases.coordination.k8s.io', namespace: OPERATOR_NAMESPACE, allowed: true },
  // Denied: secrets and pods anywhere.
  { verb: 'get', resource: 'secrets', namespace: OPERATOR_NAMESPACE, allowed: false },
  { verb: 'list', resource: 'secrets', allowed: false },
  { verb: 'watch', resource: 'secrets', namespace: 'kube-system', allowed: false },
  { verb: 'get', resource: 'pods', namespace: OPERATOR_NAMESPACE, allowed: false },
  { verb: 'list', resource: 'pods', allowed: false },
  { verb: 'create', resource: 'pods', namespace: 'default', allowed: false },
  { verb: 'create', resource: 'pods', subresource: 'exec', namespace: OPERATOR_NAMESPACE, allowed: false },
  {
    verb: 'create',
    resource: 'serviceaccounts',
    subresource: 'token',
    namespace: OPERATOR_NAMESPACE,
    allowed: false,
  },
  // Denied: other namespaces' Leases.
  { verb: 'get', resource: 'leases.coordination.k8s.io', namespace: 'kube-system', allowed: false },
  { verb: 'update', resource: 'leases.coordination.k8s.io', namespace: 'default', allowed: false },
  { verb: 'create', resource: 'leases.coordination.k8s.io', namespace: 'kube-node-lease', allowed: false },
  // Denied: writes it does not make.
  { verb: 'update', resource: 'scalesets.compute.vmfleet.io', namespace: 'default', allowed: false },
  { verb: 'patch', resource: 'computefleets.compute.vmfleet.io', namespace: 'default', allowed: false },
  { verb: 'delete', resource: 'scalesets.compute.vmfleet.io', namespace: 'default', allowed: false },
  { verb: 'create', resource: 'regions.compute.vmfleet.io', allowed: false },
  { verb: 'update', resource: 'regions.compute.vmfleet.io', allowed: false },
  { verb: 'delete', resource: 'regions.compute.vmfleet.io', allowed: false },
  { verb: 'update', resource: 'instances.compute.vmfleet.io', namespace: 'default', allowed: false },
  {
    verb: 'deletecollection',
    resource: 'instances.compute.vmfleet.io',
    namespace: 'default',
    allowed: false,
  },
  { verb: 'create', resource: 'customresourcedefinitions.apiextensions.k8s.io', allowed: false },
  { verb: 'patch', resource: 'customresourcedefinitions.apiextensions.k8s.io', allowed: false },
  { verb: 'create', resource: 'namespaces', allowed: false },
  { verb: 'delete', resource: 'namespaces', allowed: false },
  { verb: 'create', resource: 'clusterroles.rbac.authorization.k8s.io', allowed: false },
  { verb: 'create', resource: 'clusterrolebindings.rbac.authorization.k8s.io', allowed: false },
  { verb: 'bind', resource: 'clusterroles.rbac.authorization.k8s.io', allowed: false },
  {
    verb: 'escalate',
    resource: 'roles.rbac.authorization.k8s.io',
    namespace: OPERATOR_NAMESPACE,
    allowed: false,
  },
  { verb: 'impersonate', resource: 'users', allowed: false },
  { verb: 'create', resource: 'configmaps', namespace: OPERATOR_NAMESPACE, allowed: false },
  { verb: 'create', resource: 'events', namespace: 'default', allowed: false },
  { verb: 'patch', resource: 'deployments.apps', namespace: OPERATOR_NAMESPACE, allowed: false },
  { verb: 'create', resource: 'nodes', allowed: false },
];

export interface AccessOutcome extends AccessCheck {
  answer: string;
}

/** Asks the API server, as the operator, about every check. */
export async function checkAccess(plane: TestPlane): Promise<AccessOutcome[]> {
  return Promise.all(
    ACCESS_CHECKS.map(async (check) => {
      const args = ['auth', 'can-i', check.verb, check.resource];
      if (check.subresource !== undefined) args.push(`--subresource=${check.subresource}`);
      args.push(...(check.namespace === undefined ? ['--all-namespaces'] : ['-n', check.namespace]));
      const result = await plane.plane.kubectl(args, { as: 'operator' });
      return { ...check, answer: result.stdout.trim() || result.stderr.trim() };
    }),
  );
}

/** Rules the operator holds with a wildcard verb or resource (there must be none). */
export async function wildcardRules(plane: TestPlane): Promise<string[]> {
  const result = await plane.plane.kubectl(['auth', 'can-i', '--list', '-n', OPERATOR_NAMESPACE], {
    as: 'operator',
  });
  return result.stdout
    .split('\n')
    .slice(1)
    .filter((line) => /(^|\s)\*(\s|\.|$)|\[\*\]/.test(line));
}

export interface PodSecurityOutcome {
  /** The Deployment's pod template as a Pod, server dry-run in a namespace enforcing `restricted`. */
  pod: { code: number; stderr: string };
  /** The Deployment itself, server dry-run there (admission only warns for workloads). */
  deployment: { code: number; stderr: string };
  /** The same Pod with allowPrivilegeEscalation: true (must be refused). */
  control: { code: number; stderr: string };
}

interface DeploymentManifest {
  metadata: { name: string; namespace?: string };
  spec: {
    template: {
      metadata?: { labels?: Record<string, string> };
      spec: { containers: { securityContext?: Record<string, unknown> }[] } & Record<string, unknown>;
    };
  };
}

export async function checkPodSecurity(plane: TestPlane): Promise<PodSecurityOutcome> {
  const namespace = 'pss-restricted';
  await plane.kubectlOk(['create', 'namespace', namespace]);
  await plane.kubectlOk([
    'label',
    'namespace',
    namespace,
    'pod-security.kubernetes.io/enforce=restricted',
    'pod-security.kubernetes.io/enforce-version=latest',
    'pod-security.kubernetes.io/warn=restricted',
  ]);
  const deployment = parseYaml(
    await readFile(join(ROOT, 'deploy', 'deployment.yaml'), 'utf8'),
  ) as DeploymentManifest;
  const asPod = (edit?: (pod: DeploymentManifest['spec']['template']['spec']) => void) => {
    const spec = structuredClone(deployment.spec.template.spec);
    edit?.(spec);
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'vmfleet-pss', namespace, labels: deployment.spec.template.metadata?.labels ?? {} },
      spec,
    });
  };
  const run = async (args: string[], input: string) => {
    const result = await plane.kubectl(args, input);
    return { code: result.code, stderr: result.stderr.trim() };
  };
  const pod = await run(['create', '--dry-run=server', '-f', '-'], asPod());
  const control = await run(
    ['create', '--dry-run=server', '-f', '-'],
    asPod((spec) => {
      for (const container of spec.containers)
        container.securityContext = { ...container.securityContext, allowPrivilegeEscalation: true };
    }),
  );
  const inNamespace = { ...deployment, metadata: { ...deployment.metadata, namespace } };
  const workload = await run(['create', '--dry-run=server', '-f', '-'], JSON.stringify(inNamespace));
  return { pod, deployment: workload, control };
}

export interface SecretLeakOutcome {
  /** Which secret appeared in which output (must be empty). */
  leaks: string[];
  /** Log lines written at trace level, and warnings or errors among them (the error paths ran). */
  lines: number;
  problems: number;
  rejectedLines: number;
  rejectedProblems: number;
}

/** Pieces of the credentials: the tokens, the CA as base64 and as PEM body, any private key header. */
async function secretsOf(plane: TestPlane, badToken: string): Promise<Map<string, string>> {
  const secrets = new Map<string, string>([
    ['operator token', plane.plane.operatorToken],
    ['admin token', plane.plane.adminToken],
    ['rejected token', badToken],
    ['PRIVATE KEY', 'PRIVATE KEY'],
  ]);
  const kubeconfig = JSON.parse(await readFile(plane.plane.operatorKubeconfig, 'utf8')) as {
    clusters: { cluster: { 'certificate-authority-data': string } }[];
  };
  const caData = kubeconfig.clusters[0]?.cluster['certificate-authority-data'] ?? '';
  secrets.set('certificate-authority-data (base64)', caData.slice(0, 64));
  // A line from the middle of the PEM body.
  const pemLines = plane.plane.caCert.split('\n').filter((l) => l !== '' && !l.startsWith('-----'));
  secrets.set('CA certificate (PEM)', pemLines[Math.floor(pemLines.length / 2)] ?? 'unused');
  return secrets;
}

export async function checkSecretsInLogs(s: Scenario): Promise<SecretLeakOutcome> {
  const plane = s.plane;
  await plane.kubectlOk(['create', 'namespace', 'leaks']);
  await plane.admin.create(REGIONS, regionManifest('leaks-region'));
  // An operator whose token the API server rejects: every request fails with 401.
  const badToken = 'rejected0123456789abcdef0123456789abcdef0123';
  const rejectedKubeconfig = join(plane.plane.baseDir, 'rejected.kubeconfig');
  const config = JSON.parse(await readFile(plane.plane.operatorKubeconfig, 'utf8')) as {
    users: { user: { token: string } }[];
  };
  for (const user of config.users) user.user.token = badToken;
  await writeFile(rejectedKubeconfig, JSON.stringify(config), { mode: 0o600 });

  const logPath = join(s.logDir, 'trace.log');
  const rejectedLog = join(s.logDir, 'rejected.log');
  await writeFile(logPath, '');
  await writeFile(rejectedLog, '');
  const operator = s.operators.start({
    kubeconfig: plane.plane.operatorKubeconfig,
    identity: 'trace',
    logPath,
    logLevel: 'trace',
  });
  const rejected = s.operators.start({
    kubeconfig: rejectedKubeconfig,
    identity: 'rejected',
    logPath: rejectedLog,
    logLevel: 'trace',
    leaderElect: false,
  });
  await Promise.all([operator.waitStarted(), rejected.waitStarted()]);
  const ref = { kind: 'ScaleSet' as const, namespace: 'leaks', name: 'web' };
  await plane.admin.create(SCALESETS, scaleSet(ref, 'leaks-region', 5));
  await waitConsistent(plane.admin, { exactTargets: true, timeoutMs: 60_000, namespace: 'leaks' });
  // Errors on every path: a crashed API server mid-scale.
  await setTarget(plane.admin, ref, 12);
  await plane.plane.restartApiServer({ crash: true });
  await waitConsistent(plane.admin, { exactTargets: true, timeoutMs: 90_000, namespace: 'leaks' });
  // The rejected operator has had 401s on every reflector by now; let it log a little more.
  await delay(1_000);
  await Promise.all([operator.stop(), rejected.stop()]);

  const outputs = new Map([
    ['trace', await operator.output()],
    ['rejected', await rejected.output()],
  ]);
  const leaks: string[] = [];
  for (const [secretName, secret] of await secretsOf(plane, badToken)) {
    for (const [outputName, text] of outputs)
      if (secret !== '' && text.includes(secret)) leaks.push(`${secretName} in ${outputName}`);
  }
  for (const [outputName, text] of outputs)
    if (/bearer\s+[a-z0-9._-]{8,}/i.test(text)) leaks.push(`a bearer token in ${outputName}`);
  const lines = logLines(outputs.get('trace') ?? '');
  const rejectedLines = logLines(outputs.get('rejected') ?? '');
  return {
    leaks,
    lines: lines.length,
    problems: lines.filter((l) => (l.level ?? 0) >= 40).length,
    rejectedLines: rejectedLines.length,
    rejectedProblems: rejectedLines.filter((l) => (l.level ?? 0) >= 40).length,
  };
}
