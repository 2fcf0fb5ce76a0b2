// `npm start` from a checkout installs what the operator needs: the CRDs of this version (server-side
// applied, so an older copy is brought up to date) and the default Region when none of that name exists
// (never overwriting a Region the user edited). In-cluster this is off: the Deployment's RBAC has no CRD
// writes, and `kubectl apply -k deploy/` installs the CRDs.
import type { Logger } from 'pino';
import { EASTUS, RESOURCES, customResourceDefinition } from '../api/index.ts';
import { CUSTOM_RESOURCE_DEFINITIONS, REGIONS } from '../controllers/resources.ts';
import { isNotFound, sleep, systemClock, type Clock, type ResourceClient } from '../runtime/index.ts';

const FIELD_MANAGER = 'vmfleet-install';

interface CrdStatus {
  status?: { conditions?: { type: string; status: string }[] };
}

function established(crd: unknown): boolean {
  const conditions = (crd as CrdStatus).status?.conditions ?? [];
  return conditions.some((c) => c.type === 'Established' && c.status === 'True');
}

export async function installCrdsAndDefaultRegion(
  client: ResourceClient,
  logger: Logger,
  options: { timeoutMs?: number; clock?: Clock } = {},
): Promise<void> {
  const clock = options.clock ?? systemClock;
  const names: string[] = [];
  for (const resource of RESOURCES) {
    const body = customResourceDefinition(resource) as { metadata: { name: string } };
    names.push(body.metadata.name);
    await client.patch(
      CUSTOM_RESOURCE_DEFINITIONS,
      { name: body.metadata.name },
      { type: 'apply', body, fieldManager: FIELD_MANAGER, force: true },
    );
  }
  const deadline = clock.now() + (options.timeoutMs ?? 60_000);
  for (const name of names) {
    while (!established(await client.get(CUSTOM_RESOURCE_DEFINITIONS, { name }))) {
      if (clock.now() > deadline) throw new Error(`CRD ${name} did not become Established`);
      await sleep(clock, 200);
    }
  }
  logger.info({ crds: names }, 'CRDs installed');
  try {
    await client.get(REGIONS, { name: EASTUS.metadata.name });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await client.create(REGIONS, EASTUS);
    logger.info({ region: EASTUS.metadata.name }, 'default Region created');
  }
}
