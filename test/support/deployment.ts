// What the shipped Deployment gives the operator process, so measurements run it the way it is deployed.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';

const DEPLOYMENT = join(import.meta.dirname, '..', '..', 'deploy', 'deployment.yaml');

/** The NODE_OPTIONS of deploy/deployment.yaml (the V8 heap bounds), as node flags. */
export async function deploymentNodeOptions(): Promise<string[]> {
  const deployment = parse(await readFile(DEPLOYMENT, 'utf8')) as {
    spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
  };
  const env = deployment.spec.template.spec.containers[0]?.env ?? [];
  return (env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '').split(' ').filter(Boolean);
}
