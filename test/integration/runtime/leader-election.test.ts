// Lease election on the real API server, as the operator's ServiceAccount (deploy/'s RBAC): one of two
// candidates leads, MicroTime is written in the format the server accepts, a released lease hands over
// at once, and a leader that cannot renew stops acting within the renew deadline.
import { afterEach, beforeAll, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/runtime/client.ts';
import { LeaderElector, type ElectionOutcome } from '../../../src/runtime/leader-election.ts';
import { OPERATOR_NAMESPACE } from '../../cluster/controlplane.ts';
import { describeCluster, eventually, kubectlOk, uniqueName, useCluster } from '../cluster.ts';
import { clientFor, signalled, testLogger } from './support.ts';

interface Candidate {
  elector: LeaderElector;
  abort: AbortController;
  outcome: Promise<ElectionOutcome>;
  started: Promise<AbortSignal>;
  stopped: Promise<'lost' | 'released'>;
  leaderships: number;
}

interface LeaseJson {
  metadata: { resourceVersion: string };
  spec: {
    holderIdentity?: string;
    renewTime?: string;
    acquireTime?: string;
    leaseTransitions?: number;
    leaseDurationSeconds?: number;
  };
}

async function readLease(name: string): Promise<LeaseJson> {
  return JSON.parse(
    await kubectlOk(['get', 'lease', '-n', OPERATOR_NAMESPACE, name, '-o', 'json']),
  ) as LeaseJson;
}

describeCluster('Lease leader election on a real API server', () => {
  let client: KubeClient;
  const candidates: Candidate[] = [];

  beforeAll(() => {
    client = clientFor(useCluster(), 'operator');
  });

  afterEach(async () => {
    for (const candidate of candidates.splice(0)) {
      candidate.abort.abort();
      await candidate.outcome;
    }
  });

  function campaign(leaseName: string, identity: string): Candidate {
    const abort = new AbortController();
    const started = signalled<AbortSignal>();
    const stopped = signalled<'lost' | 'released'>();
    const elector = new LeaderElector({
      client,
      namespace: OPERATOR_NAMESPACE,
      name: leaseName,
      identity,
      logger: testLogger(),
    });
    const candidate: Candidate = {
      elector,
      abort,
      started: started.promise,
      stopped: stopped.promise,
      leaderships: 0,
      outcome: elector.run(abort.signal, {
        onStartedLeading: (leadership) => {
          candidate.leaderships++;
          started.resolve(leadership);
        },
        onStoppedLeading: (reason) => {
          stopped.resolve(reason);
        },
      }),
    };
    candidates.push(candidate);
    return candidate;
  }

  it('elects exactly one of two candidates and writes MicroTime with six fractional digits', async () => {
    const leaseName = uniqueName('rt-lease');
    const a = campaign(leaseName, 'candidate-a');
    const b = campaign(leaseName, 'candidate-b');
    const winner = await Promise.race([a.started.then(() => a), b.started.then(() => b)]);
    const loser = winner === a ? b : a;
    expect(winner.elector.isLeader).toBe(true);

    const lease = await readLease(leaseName);
    expect(lease.spec.holderIdentity).toBe(winner.elector.identity);
    expect(lease.spec.leaseDurationSeconds).toBe(15);
    expect(lease.spec.renewTime).toMatch(/\.\d{6}Z$/);
    expect(lease.spec.acquireTime).toMatch(/\.\d{6}Z$/);

    // The leader keeps renewing (renewTime moves) and the other candidate never leads meanwhile.
    const firstRenew = lease.spec.renewTime;
    await eventually(
      async () => {
        expect((await readLease(leaseName)).spec.renewTime).not.toBe(firstRenew);
      },
      {
        timeoutMs: 10_000,
      },
    );
    expect(loser.elector.isLeader).toBe(false);
    expect(loser.leaderships).toBe(0);
    await eventually(() => {
      expect(loser.elector.observedLeader).toBe(winner.elector.identity);
    });
  });

  it('releases the lease on shutdown so the standby takes over well before the lease would expire', async () => {
    const leaseName = uniqueName('rt-handover');
    const a = campaign(leaseName, 'first');
    await a.started;
    const b = campaign(leaseName, 'second');
    await eventually(() => {
      expect(b.elector.observedLeader).toBe('first');
    });

    const handoverStarted = Date.now();
    a.abort.abort();
    expect(await a.outcome).toBe('released');
    expect(await a.stopped).toBe('released');
    expect(a.elector.isLeader).toBe(false);

    await b.started;
    // A released lease is free at once: the standby needs a retry period (2 s, jittered), not 15 s.
    expect(Date.now() - handoverStarted).toBeLessThan(10_000);
    const lease = await readLease(leaseName);
    expect(lease.spec.holderIdentity).toBe('second');
    expect(lease.spec.leaseTransitions).toBe(1);
  });

  it('a leader that cannot renew stops leading within the renew deadline', async () => {
    const leaseName = uniqueName('rt-lost');
    const a = campaign(leaseName, 'victim');
    const leadership = await a.started;

    // Someone else takes the lease over behind the leader's back (e.g. after a network partition).
    const lease = await readLease(leaseName);
    const takenAt = Date.now();
    await kubectlOk(['replace', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: leaseName,
          namespace: OPERATOR_NAMESPACE,
          resourceVersion: lease.metadata.resourceVersion,
        },
        spec: {
          holderIdentity: 'intruder',
          leaseDurationSeconds: 15,
          renewTime: new Date().toISOString().replace('Z', '000Z'),
          acquireTime: new Date().toISOString().replace('Z', '000Z'),
          leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1,
        },
      }),
    });

    expect(await a.stopped).toBe('lost');
    expect(await a.outcome).toBe('lost');
    expect(leadership.aborted).toBe(true);
    expect(a.elector.isLeader).toBe(false);
    const elapsed = Date.now() - takenAt;
    // renewDeadline is 10 s, and the intruder's 15 s lease has not expired for the victim yet.
    expect(elapsed).toBeGreaterThanOrEqual(7_000);
    expect(elapsed).toBeLessThan(15_000);
    expect((await readLease(leaseName)).spec.holderIdentity).toBe('intruder');
  });
});
