// etcd's own API, for forcing watch expiry: its JSON gateway (POST /v3/kv/range for the current revision,
// /v3/kv/compaction to drop history), no etcdctl needed. The plane does not publish etcd's URL; the API
// server's command line carries it (--etcd-servers), which is what we read.
import { commandLine } from '../../cluster/processes.ts';
import type { ControlPlane } from '../../cluster/controlplane.ts';

export function etcdUrl(plane: ControlPlane): string {
  for (const pid of plane.pids()) {
    const match = /--etcd-servers=(\S+)/.exec(commandLine(pid));
    if (match?.[1] !== undefined) return match[1];
  }
  throw new Error('no running kube-apiserver to read --etcd-servers from');
}

async function post(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

/** etcd's current revision. */
export async function currentRevision(etcd: string): Promise<number> {
  const answer = (await post(`${etcd}/v3/kv/range`, {
    key: Buffer.from('/').toString('base64'),
    limit: 1,
  })) as { header?: { revision?: string } };
  const revision = Number(answer.header?.revision);
  if (!Number.isFinite(revision)) throw new Error('etcd answered without a revision');
  return revision;
}

/** Writes a key outside the API server's prefix: moves the revision on without touching any object. */
export async function bumpRevision(etcd: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    await post(`${etcd}/v3/kv/put`, {
      key: Buffer.from('/reliability/bump').toString('base64'),
      value: Buffer.from(String(i)).toString('base64'),
    });
  }
}

/** Compacts etcd's history up to its current revision (physical: waits until it is done). */
export async function compactNow(etcd: string): Promise<number> {
  const revision = await currentRevision(etcd);
  await post(`${etcd}/v3/kv/compaction`, { revision: String(revision), physical: true });
  return revision;
}
