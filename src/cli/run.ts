// `vmfleet run`: the operator process. Configuration from flags and environment (validated), the current
// kubeconfig or the in-cluster config, CRDs and the default Region installed when run from a checkout,
// then the manager until SIGTERM (exit 0 after a graceful stop) or a lost lease (exit 1, to be restarted).
import { pino } from 'pino';
import { createOperator } from '../controllers/operator.ts';
import { KubeClient, loadKubeConfig } from '../runtime/index.ts';
import type { Io } from './commands.ts';
import { wantsHelp } from './help.ts';
import { installCrdsAndDefaultRegion } from './install.ts';
import { parseRunConfig, runHelp } from './run-config.ts';

export async function runOperator(
  argv: string[],
  io: Io,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (wantsHelp(argv)) {
    io.stdout(runHelp());
    return 0;
  }
  const parsed = parseRunConfig(argv, env);
  if (!parsed.ok) {
    io.stderr(`vmfleet run: ${parsed.message}\n`);
    return 2;
  }
  const config = parsed.config;
  // Tokens and client keys never reach the logs, whatever object a log line carries.
  const logger = pino({
    level: config.logLevel,
    redact: [
      '*.token',
      '*.password',
      '*.authorization',
      '*.Authorization',
      '*.bearerToken',
      '*.client-key-data',
    ],
  });
  let client: KubeClient;
  try {
    client = new KubeClient(loadKubeConfig(config.kubeconfig));
  } catch (error) {
    // Name the file: the loader's own messages ("No active cluster!", a YAML position) do not.
    const source = config.kubeconfig ?? '(default: $KUBECONFIG, ~/.kube/config or in-cluster)';
    io.stderr(
      `vmfleet run: cannot load kubeconfig ${source}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 2;
  }
  if (config.installCrds) await installCrdsAndDefaultRegion(client, logger);
  const operator = createOperator({
    client,
    logger,
    namespace: config.namespace,
    leaderElection: config.leaderElect,
    ...(config.identity === undefined ? {} : { identity: config.identity }),
    workers: config.workers,
    healthPort: config.healthPort,
    metricsPort: config.metricsPort,
  });
  const removeSignalHandlers = operator.manager.handleSignals();
  await operator.start();
  logger.info(
    { metricsPort: operator.metricsPort, leaderElection: config.leaderElect },
    'vmfleet operator started',
  );
  const exit = await operator.manager.done;
  removeSignalHandlers();
  await operator.stop();
  return exit.reason === 'stopped' ? 0 : 1;
}
