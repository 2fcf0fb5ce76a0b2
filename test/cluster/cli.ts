// `npm run cluster:up` / `npm run cluster:down`: the test control plane as a local cluster for people
// without Docker/kind. Runs under Node's type stripping: `npx node test/cluster/cli.ts up`.
import {
  ClusterUnavailableError,
  RUN_DIR,
  livePids,
  readRunState,
  startControlPlane,
  stopRunState,
  writeRunState,
} from './controlplane.ts';

const log = (message: string): void => {
  process.stderr.write(`[cluster] ${message}\n`);
};

async function up(): Promise<number> {
  const existing = await readRunState();
  if (existing !== null && livePids(existing).length > 0) {
    log(`already running at ${existing.server}`);
    printExports(existing.adminKubeconfig, existing.operatorKubeconfig);
    return 0;
  }
  const started = Date.now();
  const plane = await startControlPlane({
    withControllerManager: true,
    auditLog: true,
    baseDir: RUN_DIR,
    persistent: true,
    log,
  });
  await writeRunState(plane);
  log(`up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${plane.server}; logs in ${RUN_DIR}`);
  log(`kubectl: ${plane.binDir}/kubectl (add it to PATH if you have none)`);
  printExports(plane.adminKubeconfig, plane.operatorKubeconfig);
  return 0;
}

function printExports(admin: string, operator: string): void {
  log(`the operator's own identity (deploy/ RBAC applies to it): KUBECONFIG=${operator}`);
  process.stdout.write(`export KUBECONFIG=${admin}\n`);
}

async function down(): Promise<number> {
  const state = await readRunState();
  if (state === null) {
    log('no cluster state found; nothing to stop');
    return 0;
  }
  const stopped = await stopRunState(state);
  log(stopped > 0 ? `stopped ${stopped} processes` : 'nothing was running');
  return 0;
}

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up':
      return up();
    case 'down':
      return down();
    default:
      process.stderr.write('usage: node test/cluster/cli.ts up|down\n');
      return 2;
  }
}

try {
  process.exitCode = await main(process.argv[2]);
} catch (err) {
  if (err instanceof ClusterUnavailableError) log(`cannot start: ${err.message} (install Go 1.26+)`);
  else log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
}
