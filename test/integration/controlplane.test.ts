// The manifests of this repository against a real API server: CRDs, deploy/, examples, the invalid
// catalogue, garbage collection through ownerReferences, and the operator's RBAC.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  crdKinds,
  invalidFixtures,
  parseObjects,
  readObjects,
  ROOT,
  yamlFiles,
  type KubeObject,
} from '../cluster/manifests.ts';
import { OPERATOR_USER, readAuditEvents } from '../cluster/controlplane.ts';
import {
  describeCluster,
  eventually,
  installProblems,
  kubectl,
  kubectlOk,
  uniqueName,
  useCluster,
} from './cluster.ts';

const GROUP_VERSION = 'compute.vmfleet.io/v1alpha1';

const toYaml = (objects: KubeObject[]): string => objects.map((o) => stringify(o)).join('---\n');
const fileArgs = (files: string[]): string[] => files.flatMap((f) => ['-f', f]);

async function createNamespace(prefix: string): Promise<string> {
  const ns = uniqueName(prefix);
  await kubectlOk(['create', 'namespace', ns]);
  return ns;
}

/** Moves namespaced objects into `ns` so tests never share names with each other. */
function intoNamespace(objects: KubeObject[], ns: string): KubeObject[] {
  const kinds = crdKinds();
  return objects.map((o) =>
    kinds.get(o.kind)?.namespaced === false ? o : { ...o, metadata: { ...o.metadata, namespace: ns } },
  );
}

describeCluster('crds/ and deploy/ on a real API server', () => {
  it('applies every CRD cleanly and each one is Established', async () => {
    const kinds = [...crdKinds().values()];
    expect(kinds.length).toBeGreaterThan(0);
    expect(installProblems()).toEqual([]);
    // The global setup applied them already; applying again must still be accepted.
    await kubectlOk(['apply', '--server-side', '--dry-run=server', ...fileArgs(yamlFiles('crds'))]);
    for (const { name } of kinds) {
      const established = await kubectlOk([
        'get',
        'crd',
        name,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Established")].status}',
      ]);
      expect(established, name).toBe('True');
    }
  });

  it.each(yamlFiles('deploy/examples').concat(yamlFiles('deploy/regions')))('accepts %s', async (file) => {
    const result = await kubectl(['create', '--dry-run=server', '-f', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('accepts every object of `kubectl kustomize deploy/` in a server-side dry run, then applies it', async () => {
    const rendered = await kubectlOk(['kustomize', join(ROOT, 'deploy')]);
    const objects = parseObjects(rendered);
    expect(objects.length).toBeGreaterThan(0);
    const dryRun = await kubectlOk(['apply', '--server-side', '--dry-run=server', '-f', '-'], {
      input: rendered,
    });
    for (const o of objects)
      expect(dryRun).toContain(`/${o.metadata.name} serverside-applied (server dry run)`);
    const applied = await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', '-'], {
      input: rendered,
    });
    for (const o of objects) expect(applied).toContain(`/${o.metadata.name} serverside-applied`);
  });
});

describeCluster('the invalid-manifest catalogue (test/fixtures/invalid/)', () => {
  const fixtures = invalidFixtures();
  let ns = '';

  beforeAll(async () => {
    ns = await createNamespace('invalid');
  });

  it('is not empty and every entry names its field', () => {
    expect(fixtures.length).toBeGreaterThan(0);
    for (const f of fixtures) {
      expect(f.field, f.file).toMatch(/^(spec|metadata)\b/);
      expect(f.objects.length, f.file).toBe(f.update ? 2 : 1);
      if (f.side === 'operator') expect(f.reason, `${f.file} needs a # reason:`).not.toBe('');
    }
  });

  const serverSide = fixtures.filter((f) => f.side === 'server');
  it.each(serverSide.map((f) => [f.file, f] as const))('server rejects %s naming its field', async (_, f) => {
    const [first, second] = intoNamespace(f.objects, ns);
    if (first === undefined) throw new Error(`${f.file} has no object`);
    let refused;
    if (f.update && second !== undefined) {
      await kubectlOk(['create', '-f', '-'], { input: toYaml([first]) });
      refused = await kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], {
        input: toYaml([second]),
      });
    } else {
      refused = await kubectl(['create', '--dry-run=server', '-f', '-'], { input: toYaml([first]) });
    }
    expect(refused.code, refused.stdout).not.toBe(0);
    expect(refused.stderr).toContain(`${f.field}:`);
  });

  // Rules that need the Region catalogue: the server must accept them (else they are not operator-side),
  // and the operator reports them (Ready=False, InvalidSpec), tested with the controllers.
  const operatorSide = fixtures.filter((f) => f.side === 'operator');
  it.each(operatorSide.map((f) => [f.file, f.reason, f] as const))(
    'operator-side: %s (%s) is accepted by the server',
    async (_, __, f) => {
      const objects = intoNamespace(f.objects, ns);
      const result = await kubectl(['create', '--dry-run=server', '-f', '-'], { input: toYaml(objects) });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    },
  );
});

function instance(name: string, ns: string, owner?: { kind: string; name: string; uid: string }): KubeObject {
  return {
    apiVersion: GROUP_VERSION,
    kind: 'Instance',
    metadata: {
      name,
      namespace: ns,
      ...(owner && {
        ownerReferences: [
          { apiVersion: GROUP_VERSION, ...owner, controller: true, blockOwnerDeletion: true },
        ],
      }),
    },
    spec: {
      region: 'eastus',
      instanceId: 0,
      vmSize: 'Standard_D2s_v5',
      zone: '1',
      faultDomain: 0,
      priority: 'Regular',
    },
  };
}

async function notFound(args: string[]): Promise<void> {
  const result = await kubectl(['get', ...args]);
  expect(result.stderr).toContain('NotFound');
}

describeCluster('kube-controller-manager', () => {
  it('garbage-collects an Instance whose owning ScaleSet is deleted', async () => {
    const ns = await createNamespace('gc');
    const [scaleSet] = intoNamespace(readObjects(join(ROOT, 'deploy/examples/scaleset-web.yaml')), ns);
    if (scaleSet === undefined) throw new Error('deploy/examples/scaleset-web.yaml is empty');
    const owner = scaleSet.metadata.name;
    await kubectlOk(['create', '-f', '-'], { input: toYaml([scaleSet]) });
    const uid = await kubectlOk(['get', 'scalesets', owner, '-n', ns, '-o', 'jsonpath={.metadata.uid}']);
    const child = `${owner}-0`;
    await kubectlOk(['create', '-f', '-'], {
      input: toYaml([instance(child, ns, { kind: 'ScaleSet', name: owner, uid })]),
    });

    await kubectlOk(['delete', 'scalesets', owner, '-n', ns, '--wait=false']);

    await eventually(() => notFound(['instances', child, '-n', ns]), { timeoutMs: 60_000 });
  });

  it('removes a deleted namespace together with its objects', async () => {
    const ns = await createNamespace('nsdel');
    await kubectlOk(['create', '-f', '-'], { input: toYaml([instance('orphan-0', ns)]) });

    await kubectlOk(['delete', 'namespace', ns, '--wait=false']);

    await eventually(() => notFound(['namespace', ns]), { timeoutMs: 60_000 });
  });
});

describeCluster("the operator's identity gets exactly what deploy/ grants", () => {
  const canI = async (args: string[]): Promise<string> =>
    (await kubectl(['auth', 'can-i', ...args], { as: 'operator' })).stdout.trim();

  it.each([
    'list scalesets.compute.vmfleet.io -A',
    'watch computefleets.compute.vmfleet.io -A',
    'get regions.compute.vmfleet.io',
    // The in-use finalizer of a Region (metadata.finalizers).
    'patch regions.compute.vmfleet.io',
    'create instances.compute.vmfleet.io -n default',
    'delete instances.compute.vmfleet.io -n default',
    'patch scalesets.compute.vmfleet.io --subresource=status -n default',
    'patch instances.compute.vmfleet.io --subresource=status -n default',
    'create events.events.k8s.io -n default',
    'get leases.coordination.k8s.io -n vmfleet-system',
    'update leases.coordination.k8s.io -n vmfleet-system',
  ])('may %s', async (what) => {
    expect(await canI(what.split(' '))).toBe('yes');
  });

  it.each([
    'get secrets -n vmfleet-system',
    'list secrets -A',
    'list pods -A',
    'update leases.coordination.k8s.io -n default',
    'create leases.coordination.k8s.io -n kube-system',
    'update scalesets.compute.vmfleet.io -n default',
    'update regions.compute.vmfleet.io',
    'delete regions.compute.vmfleet.io',
    'create customresourcedefinitions.apiextensions.k8s.io',
  ])('may not %s', async (what) => {
    expect(await canI(what.split(' '))).toBe('no');
  });

  describe('with its own kubeconfig', () => {
    let ns = '';
    beforeAll(async () => {
      ns = await createNamespace('rbac');
    });
    afterAll(async () => {
      if (ns !== '') await kubectl(['delete', 'namespace', ns, '--wait=false']);
    });

    it('creates an Instance, patches its status and records an Event', async () => {
      const asOperator = { as: 'operator' } as const;
      await kubectlOk(['create', '-f', '-'], { ...asOperator, input: toYaml([instance('op-0', ns)]) });
      await kubectlOk(
        [
          'patch',
          'instances',
          'op-0',
          '-n',
          ns,
          '--subresource=status',
          '--type=merge',
          '-p',
          '{"status":{"phase":"Running"}}',
        ],
        asOperator,
      );
      const event = {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: 'op-0.created', namespace: ns },
        eventTime: new Date().toISOString().replace(/\.\d+Z$/, '.000000Z'),
        reportingController: 'vmfleet.io/operator',
        reportingInstance: 'vmfleet-test',
        action: 'Create',
        reason: 'Created',
        type: 'Normal',
        note: 'integration test',
        regarding: { apiVersion: GROUP_VERSION, kind: 'Instance', name: 'op-0', namespace: ns },
      };
      await kubectlOk(['create', '-f', '-'], { ...asOperator, input: JSON.stringify(event) });

      // The audit log (blocking mode: on disk when the request returned) counts these writes per user.
      const auditLog = useCluster().auditLogPath;
      if (auditLog === null) throw new Error('the shared plane runs with an audit log');
      const mine = (await readAuditEvents(auditLog)).filter(
        (e) => e.user.username === OPERATOR_USER && e.objectRef?.namespace === ns,
      );
      expect(
        mine.map((e) => `${e.verb} ${e.objectRef?.resource ?? ''}/${e.objectRef?.subresource ?? ''}`),
      ).toEqual(['create instances/', 'patch instances/status', 'create events/']);
    });

    it('holds a Lease in vmfleet-system but not elsewhere, and cannot read Secrets', async () => {
      const lease = (namespace: string): string =>
        JSON.stringify({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: uniqueName('vmfleet-leader'), namespace },
          spec: { holderIdentity: 'test', leaseDurationSeconds: 15 },
        });
      await kubectlOk(['create', '-f', '-'], { as: 'operator', input: lease('vmfleet-system') });
      const elsewhere = await kubectl(['create', '-f', '-'], { as: 'operator', input: lease(ns) });
      expect(elsewhere.stderr).toContain('Forbidden');
      const secrets = await kubectl(['get', 'secrets', '-n', 'vmfleet-system'], { as: 'operator' });
      expect(secrets.stderr).toContain('Forbidden');
    });
  });
});
