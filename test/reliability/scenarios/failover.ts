// Leader failover. Two `vmfleet run` processes with leader election, each with its own ServiceAccount token
// (same user, same RBAC; the API server's audit log tells them apart by the token's credential id):
//  1. SIGKILL the leader in the middle of a scale-out: the standby must act (its first write to anything
//     but the Lease) within the bound and finish the job.
//  2. The killed one comes back as the standby. The leader is frozen (SIGSTOP) in the middle of the next
//     scale-out for longer than the lease, so the standby takes over while the old leader is not dead but
//     stalled, and then it is resumed (SIGCONT). The answers to its last requests are waiting for it: it
//     must not act on them (no write after it resumes) and it must exit to be restarted.
//     The freeze is timed so that nothing the leader has started is still inside its process: its
//     connection runs through a relay that holds the server's answers back for a moment, and the freeze
//     comes once the leader has sent nothing for a while. Writes it had already sent reach the server
//     before the freeze; any write the server receives from it after SIGCONT was started after it.
// Throughout: ordered by arrival at the API server, the non-Lease writes of the two credentials form one
// run per leadership term (a, b, a) — never both in the same period.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { INSTANCES, REGIONS, SCALESETS } from '../../../src/controllers/resources.ts';
import { OPERATOR_NAMESPACE } from '../../cluster/controlplane.ts';
import {
  AuditTail,
  credentialOf,
  isLease,
  isOperator,
  isWrite,
  readAudit,
  timeOf,
  type AuditRecord,
} from '../lib/audit.ts';
import { waitConsistent } from '../lib/consistency.ts';
import { refOf, regionManifest, scaleSet, setTarget, type GroupRef } from '../lib/fleet.ts';
import type { OperatorProcess } from '../lib/operator-process.ts';
import { issueOperatorCredential, type OperatorCredential } from '../lib/plane.ts';
import { withScenario, type Scenario, type CommonOptions } from '../lib/scenario.ts';
import { TcpRelay } from '../lib/tcp-proxy.ts';

export interface FailoverOptions extends CommonOptions {
  /** Instances per scale-out step (the work in flight when the leader goes). */
  step: number;
  convergeTimeoutMs: number;
}

export interface FailoverResult {
  /** SIGKILL of the leader → the standby's first non-Lease write. */
  killTakeoverMs: number;
  /** SIGSTOP of the leader → the standby's first non-Lease write. */
  freezeTakeoverMs: number;
  /** Non-Lease writes per identity over the whole scenario. */
  writesByIdentity: Record<string, number>;
  /** Runs of consecutive non-Lease writes per identity, in arrival order ([op-a, op-b, op-a] expected). */
  writerRuns: string[];
  /** Writes the frozen ex-leader made after it was resumed. */
  writesAfterResume: number;
  /** How the frozen ex-leader ended after SIGCONT (its exit code). */
  resumedExit: string;
}

const NAMESPACE = 'failover';
const REGION = 'failover-region';
const LEASE = 'vmfleet-operator';
/** How long the relay holds answers back before the freeze, and how long the leader must have been quiet. */
const HOLD_MS = 2_000;
const QUIET_MS = 400;

interface Candidate {
  identity: string;
  credential: OperatorCredential;
  logPath: string;
  process?: OperatorProcess;
}

export async function runFailoverScenario(options: FailoverOptions): Promise<FailoverResult> {
  return withScenario('failover', options, async (s) => {
    await s.plane.kubectlOk(['create', 'namespace', NAMESPACE]);
    await s.plane.admin.create(REGIONS, regionManifest(REGION));
    const server = new URL(s.plane.plane.server);
    const relay = await TcpRelay.start({ host: server.hostname, port: Number(server.port) });
    try {
      const a = await candidate(s, 'op-a');
      const b = await candidate(s, 'op-b', relay.port);
      const start = async (c: Candidate): Promise<OperatorProcess> => {
        c.process = s.operators.start({
          kubeconfig: c.credential.kubeconfig,
          identity: c.identity,
          logPath: c.logPath,
        });
        await c.process.waitStarted();
        return c.process;
      };
      await start(a);
      await waitForHolder(s, a.identity, 30_000);
      await start(b);

      const manifest = scaleSet({ namespace: NAMESPACE, name: 'web' }, REGION, options.step);
      await s.plane.admin.create(SCALESETS, manifest);
      const ref = refOf(manifest);
      const converge = () =>
        waitConsistent(s.plane.admin, {
          exactTargets: true,
          timeoutMs: options.convergeTimeoutMs,
          namespace: NAMESPACE,
        });
      await converge();

      // 1. SIGKILL the leader mid-scale-out.
      await waitForHolder(s, a.identity, 5_000);
      await scaleOutUntil(s, ref, 2 * options.step, a);
      const killedAt = Date.now();
      await a.process?.kill();
      const killTakeover = await firstWriteAfter(s, b, killedAt, 60_000);
      s.log(`SIGKILL of ${a.identity}: ${b.identity} wrote ${killTakeover - killedAt} ms later`);
      await converge();

      // 2. The killed one is back as the standby; freeze the leader mid-scale-out with nothing in flight.
      await start(a);
      const frozen = b.process;
      if (frozen === undefined) throw new Error('no leader process');
      await waitForHolder(s, b.identity, 5_000);
      await scaleOutUntil(s, ref, 3 * options.step, b);
      relay.holdResponses(HOLD_MS);
      await waitFor(() => relay.quietForMs() >= QUIET_MS, 30_000, `${b.identity} never went quiet`);
      const frozenAt = Date.now();
      frozen.signal('SIGSTOP');
      relay.holdResponses(0);
      const freezeTakeover = await firstWriteAfter(s, a, frozenAt, 60_000);
      s.log(`SIGSTOP of ${b.identity}: ${a.identity} wrote ${freezeTakeover - frozenAt} ms later`);
      const resumedAt = Date.now();
      frozen.signal('SIGCONT');
      const resumedExit = await Promise.race([
        frozen.exited,
        delay(30_000, 'still running 30 s after SIGCONT'),
      ]);
      await converge();

      const writes = await readAudit(
        s.plane.auditLogPath,
        0,
        (r) => isOperator(r) && isWrite(r) && !isLease(r),
      );
      const identityOf = new Map([a, b].map((c) => [c.credential.credentialId, c.identity]));
      const identity = (r: AuditRecord): string => identityOf.get(credentialOf(r) ?? '') ?? 'unknown';
      const writesByIdentity: Record<string, number> = {};
      for (const record of writes)
        writesByIdentity[identity(record)] = (writesByIdentity[identity(record)] ?? 0) + 1;
      const afterResume = writes.filter((r) => identity(r) === b.identity && timeOf(r) >= resumedAt);
      for (const r of afterResume.slice(0, 5))
        s.log(
          `after SIGCONT ${b.identity} wrote: ${r.verb} ${r.requestURI} → ${r.responseStatus?.code ?? '?'}`,
        );
      return {
        killTakeoverMs: killTakeover - killedAt,
        freezeTakeoverMs: freezeTakeover - frozenAt,
        writesByIdentity,
        writerRuns: writerRuns(writes, identity),
        writesAfterResume: afterResume.length,
        resumedExit,
      };
    } finally {
      await relay.stop();
    }
  });
}

/** An identity with its own token and log; `relayPort` routes its API traffic through the relay. */
async function candidate(s: Scenario, identity: string, relayPort?: number): Promise<Candidate> {
  const logPath = join(s.logDir, `${identity}.log`);
  await writeFile(logPath, '');
  const credential = await issueOperatorCredential(s.plane, identity, relayPort);
  return { identity, credential, logPath };
}

async function waitFor(check: () => boolean, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(message);
    await delay(20);
  }
}

async function waitForHolder(s: Scenario, identity: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lease = await s.plane.admin.readLease(OPERATOR_NAMESPACE, LEASE);
    if (lease?.holderIdentity === identity) return;
    if (Date.now() > deadline)
      throw new Error(`${identity} does not hold the Lease (holder: ${lease?.holderIdentity ?? 'none'})`);
    await delay(200);
  }
}

/**
 * Raises the target to `to` and returns once the leader has made a seeded share (20–70 %) of the Instance
 * writes that takes (a create and a status write per VM).
 */
async function scaleOutUntil(s: Scenario, ref: GroupRef, to: number, leader: Candidate): Promise<void> {
  const tail = new AuditTail(s.plane.auditLogPath);
  const group = (await s.plane.admin.get(SCALESETS, ref)) as { spec: { capacity: number } };
  const expected = 2 * (to - group.spec.capacity);
  const share = 0.2 + 0.5 * s.random();
  let writes = 0;
  await setTarget(s.plane.admin, ref, to);
  const deadline = Date.now() + 60_000;
  while (writes < share * expected) {
    if (Date.now() > deadline)
      throw new Error(`${leader.identity} made only ${writes} of ${expected} writes`);
    await delay(10);
    await tail.poll((r) => {
      if (
        credentialOf(r) === leader.credential.credentialId &&
        isWrite(r) &&
        r.objectRef?.resource === INSTANCES.plural
      )
        writes++;
    });
  }
}

/** Local time of `who`'s first non-Lease write received after `after`, waiting for it up to `timeoutMs`. */
async function firstWriteAfter(
  s: Scenario,
  who: Candidate,
  after: number,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const writes = await readAudit(
      s.plane.auditLogPath,
      0,
      (r) =>
        credentialOf(r) === who.credential.credentialId && isWrite(r) && !isLease(r) && timeOf(r) >= after,
    );
    const first = writes[0];
    if (first !== undefined) return timeOf(first);
    if (Date.now() > deadline) throw new Error(`${who.identity} wrote nothing within ${timeoutMs} ms`);
    await delay(250);
  }
}

/**
 * The writers in the order the API server received their non-Lease writes, one entry per run of
 * consecutive writes by the same identity: [a, b, a] for two clean takeovers; anything longer means both
 * wrote in the same period.
 */
export function writerRuns(writes: readonly AuditRecord[], identityOf: (r: AuditRecord) => string): string[] {
  const ordered = [...writes].sort((x, y) => timeOf(x) - timeOf(y));
  const runs: string[] = [];
  for (const record of ordered) {
    const identity = identityOf(record);
    if (runs.at(-1) !== identity) runs.push(identity);
  }
  return runs;
}
