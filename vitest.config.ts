import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing but Node; `integration` runs against one real control plane
// (etcd + kube-apiserver + kube-controller-manager, see test/cluster/) started by its global setup.
// `vitest run` runs both; `vitest run --project unit` runs without a cluster.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**', 'test/reliability/**', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          // Crash, fault, failover, bad-input, load and security scenarios (test/reliability/), each on a
          // control plane of its own. After the other projects (groupOrder) and one file at a time: they
          // time leader takeovers and restarts, which a 2-core runner busy with other suites would skew.
          name: 'reliability',
          include: ['test/reliability/**/*.test.ts'],
          globalSetup: ['test/reliability/global-setup.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 420_000,
        },
      },
    ],
  },
});
