// vmfleet command dispatcher: `run` (the operator), `plan` (the engine with no cluster), `crds` and `generate`
// (the files generated from src/), and `help`.
import { parseArgs } from 'node:util';
import { crdFiles, generatedFiles, type GeneratedFile } from './generated-files.ts';
import { CRDS_USAGE, GENERATE_USAGE, MAIN_USAGE, PLAN_USAGE, wantsHelp } from './help.ts';
import { runPlan } from './plan.ts';
import { runHelp } from './run-config.ts';
import { runOperator } from './run.ts';
import { driftedFiles, writeGeneratedFiles } from './write-generated.ts';

export type Io = { stdout: (s: string) => void; stderr: (s: string) => void };

/**
 * The dashboard is generated with the Grafana SDK, a dev dependency absent from the production image, so
 * it is loaded only when `generate` runs (from a checkout).
 */
async function allGeneratedFiles(): Promise<GeneratedFile[]> {
  const { dashboardFiles } = await import('../dashboards/index.ts');
  return [...generatedFiles(), ...dashboardFiles()];
}

async function runGenerator(argv: string[], which: 'crds' | 'generate', io: Io): Promise<number> {
  if (wantsHelp(argv)) {
    io.stdout(which === 'crds' ? CRDS_USAGE : GENERATE_USAGE);
    return 0;
  }
  const { values } = parseArgs({
    args: argv,
    options: { root: { type: 'string', default: '.' }, check: { type: 'boolean', default: false } },
    strict: true,
  });
  const root = values.root;
  const files = which === 'crds' ? crdFiles() : await allGeneratedFiles();
  if (values.check) {
    const drifted = driftedFiles(root, files);
    for (const path of drifted) io.stderr(`out of date: ${path} (run: npx vmfleet ${which})\n`);
    return drifted.length === 0 ? 0 : 1;
  }
  for (const path of writeGeneratedFiles(root, files)) io.stdout(`wrote ${path}\n`);
  return 0;
}

const COMMAND_USAGE: Record<string, () => string> = {
  run: runHelp,
  plan: () => PLAN_USAGE,
  crds: () => CRDS_USAGE,
  generate: () => GENERATE_USAGE,
  help: () => MAIN_USAGE,
};

/** `vmfleet help [command]`: the overview, or one command's usage. */
function printHelp(command: string | undefined, io: Io): number {
  if (command === undefined) {
    io.stdout(MAIN_USAGE);
    return 0;
  }
  const usage = Object.hasOwn(COMMAND_USAGE, command) ? COMMAND_USAGE[command] : undefined;
  if (usage === undefined) {
    io.stderr(`vmfleet help: unknown command "${command}"\n${MAIN_USAGE}`);
    return 2;
  }
  io.stdout(usage());
  return 0;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'crds':
      case 'generate':
        return await runGenerator(rest, command, io);
      case 'run':
        return await runOperator(rest, io);
      case 'plan':
        return runPlan(rest, io);
      case 'help':
      case '--help':
      case '-h':
        return printHelp(rest[0], io);
      case undefined:
        // No command is a usage error: the text goes where errors go, so a script's stdout stays empty.
        io.stderr(MAIN_USAGE);
        return 2;
      default:
        io.stderr(`vmfleet: unknown command "${command}"\n${MAIN_USAGE}`);
        return 2;
    }
  } catch (error) {
    io.stderr(`vmfleet ${command}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}
