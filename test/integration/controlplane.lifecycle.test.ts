// The harness itself: a private plane (so restarting its API server disturbs no other test) keeps its
// port and data across restartApiServer(), and stop() leaves no process or directory behind.
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { startControlPlane } from '../cluster/controlplane.ts';
import { isAlive } from '../cluster/processes.ts';
import { describeCluster, eventually, useCluster } from './cluster.ts';

describeCluster('control plane lifecycle', () => {
  it('restarts kube-apiserver on the same port with its data, and stops cleanly', async () => {
    const plane = await startControlPlane({ binDir: useCluster().binDir, withControllerManager: true });
    const pids = plane.pids();
    try {
      expect(pids).toHaveLength(3);
      await expect(
        plane.kubectl(['create', 'configmap', 'survivor', '--from-literal=k=v']),
      ).resolves.toMatchObject({
        code: 0,
      });
      const server = plane.server;

      await plane.restartApiServer();

      expect(plane.server).toBe(server);
      const after = await plane.kubectl(['get', 'configmap', 'survivor', '-o', 'jsonpath={.data.k}']);
      expect(after).toMatchObject({ code: 0, stdout: 'v' });
      // The operator identity still authenticates (same token file) after the restart.
      const whoami = await plane.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], {
        as: 'operator',
      });
      expect(whoami.stdout).toBe('system:serviceaccount:vmfleet-system:vmfleet');
    } finally {
      await plane.stop();
    }
    expect(existsSync(plane.baseDir)).toBe(false);
    await eventually(() => {
      expect(pids.filter(isAlive)).toEqual([]);
    });
  });
});
