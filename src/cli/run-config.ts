// Configuration of `vmfleet run`: flags override environment variables, and both are validated by one zod
// schema so a typo fails at start with the flag's name instead of misbehaving later.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { formatPath } from '../api/index.ts';

const BooleanText = z.enum(['true', 'false']).transform((value) => value === 'true');
const Port = z.coerce.number().int().min(0).max(65535);

export const RunConfig = z.object({
  kubeconfig: z
    .string()
    .min(1)
    .optional()
    .describe('Path of a kubeconfig; default: $KUBECONFIG, ~/.kube/config, in-cluster'),
  namespace: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    .default('vmfleet-system')
    .describe('Namespace of the leader-election Lease (default vmfleet-system)'),
  leaderElect: BooleanText.default(false).describe(
    'true|false: campaign for the Lease before acting (default false; true in deploy/)',
  ),
  installCrds: BooleanText.default(true).describe(
    'true|false: install the CRDs and the default Region (default true; false in deploy/)',
  ),
  metricsPort: Port.default(8080).describe('Port of /metrics (default 8080; 0 picks a free one)'),
  healthPort: Port.default(8081).describe('Port of /healthz and /readyz (default 8081)'),
  workers: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(4)
    .describe('Concurrent reconciles per controller (default 4)'),
  logLevel: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info')
    .describe('pino level (default info)'),
  identity: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe('Lease holder identity; default <hostname>_<uuid>'),
});
export type RunConfig = z.output<typeof RunConfig>;

/** Flag name → environment variable, documented together in `vmfleet run --help`. */
export const RUN_OPTIONS = {
  kubeconfig: { flag: 'kubeconfig', env: 'KUBECONFIG' },
  namespace: { flag: 'namespace', env: 'POD_NAMESPACE' },
  leaderElect: { flag: 'leader-elect', env: 'VMFLEET_LEADER_ELECT' },
  installCrds: { flag: 'install-crds', env: 'VMFLEET_INSTALL_CRDS' },
  metricsPort: { flag: 'metrics-port', env: 'VMFLEET_METRICS_PORT' },
  healthPort: { flag: 'health-port', env: 'VMFLEET_HEALTH_PORT' },
  workers: { flag: 'workers', env: 'VMFLEET_WORKERS' },
  logLevel: { flag: 'log-level', env: 'VMFLEET_LOG_LEVEL' },
  identity: { flag: 'identity', env: 'POD_NAME' },
} as const satisfies Record<keyof RunConfig, { flag: string; env: string }>;

export type ConfigResult = { ok: true; config: RunConfig } | { ok: false; message: string };

export function runHelp(): string {
  const lines = Object.entries(RUN_OPTIONS).map(([key, { flag, env }]) => {
    const field = RunConfig.shape[key as keyof RunConfig];
    return `  --${flag.padEnd(14)} ${env.padEnd(22)} ${field.description ?? ''}`;
  });
  return `usage: vmfleet run [flags]\n\nflag              environment            meaning\n${lines.join('\n')}\n`;
}

/** Reads flags (`--name value` or `--name=value`) and environment into a validated config. */
export function parseRunConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ConfigResult {
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        Object.values(RUN_OPTIONS).map(({ flag }) => [flag, { type: 'string' as const }]),
      ),
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  const raw: Record<string, string> = {};
  for (const [key, { flag, env: variable }] of Object.entries(RUN_OPTIONS)) {
    const value = flags[flag] ?? env[variable];
    if (typeof value === 'string' && value !== '') raw[key] = value;
  }
  const parsed = RunConfig.safeParse(raw);
  if (parsed.success) return { ok: true, config: parsed.data };
  const messages = parsed.error.issues.map((issue) => {
    const key = formatPath(issue.path) as keyof RunConfig;
    const option = RUN_OPTIONS[key];
    return `--${option.flag} (${option.env}): ${issue.message}`;
  });
  return { ok: false, message: messages.join('; ') };
}
