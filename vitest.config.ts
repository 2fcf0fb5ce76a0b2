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
          exclude: ['test/integration/**', '**/node_modules/**'],
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
    ],
  },
});
