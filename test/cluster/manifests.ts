// Reading the repository's manifests (crds/, deploy/, test/fixtures/invalid/) for the integration tests.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = join(import.meta.dirname, '..', '..');

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** The YAML files of a repository directory (relative to the root), sorted, kustomization files excluded. */
export function yamlFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir))
    .filter((name) => /\.ya?ml$/.test(name) && !name.startsWith('kustomization.'))
    .sort()
    .map((name) => join(ROOT, dir, name));
}

export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc) => doc.toJS() as unknown)
    .filter(isKubeObject);
}

export function readObjects(path: string): KubeObject[] {
  return parseObjects(readFileSync(path, 'utf8'));
}

function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<KubeObject>;
  return typeof candidate.kind === 'string' && typeof candidate.metadata?.name === 'string';
}

/** Kinds served by the CRDs of crds/, with their scope. */
export function crdKinds(): Map<string, { name: string; namespaced: boolean }> {
  const kinds = new Map<string, { name: string; namespaced: boolean }>();
  for (const file of yamlFiles('crds')) {
    for (const crd of readObjects(file)) {
      const spec = crd['spec'] as { scope: string; names: { kind: string } };
      kinds.set(spec.names.kind, { name: crd.metadata.name, namespaced: spec.scope === 'Namespaced' });
    }
  }
  return kinds;
}

export interface InvalidFixture {
  file: string;
  field: string;
  side: 'server' | 'operator';
  reason: string;
  /** Two documents: the first is created, the second must be refused as an update. */
  update: boolean;
  objects: KubeObject[];
}

/** The invalid-manifest catalogue: one rule per file, described by its leading comment lines. */
export function invalidFixtures(): InvalidFixture[] {
  return yamlFiles('test/fixtures/invalid').map((path) => {
    const text = readFileSync(path, 'utf8');
    const header = (key: string): string =>
      new RegExp(`^# ${key}: *(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
    return {
      file: path.slice(ROOT.length + 1),
      field: header('field'),
      side: header('side') === 'operator' ? 'operator' : 'server',
      reason: header('reason'),
      update: header('update') !== '',
      objects: parseObjects(text),
    };
  });
}
