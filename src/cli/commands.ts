// vmfleet command dispatcher: `vmfleet crds` and `vmfleet generate` (the files generated from src/). Later commands
// (`run`, `plan`) are added here as they land.
import { parseArgs } from 'node:util';
import { crdFiles, generatedFiles, type GeneratedFile } from './generated-files.ts';
import { runPlan } from './plan.ts';
import { runOperator } from './run.ts';
import { driftedFiles, writeGeneratedFiles } from './write-generated.ts';

const USAGE = `usage: vmfleet <command> [flags]

commands:
  run [flags]                       run the operator (see: vmfleet run --help)
  plan -f FILE [--region FILE] [--current FILE] [-o table|json|yaml]
                                    print the placement the engine would make, with no cluster
  crds [--root DIR] [--check]       write the CRDs to DIR/crds/ (default: the current directory)
  generate [--root DIR] [--check]   write every generated file (CRDs, default Region, README API reference,
                                    Grafana dashboard; needs the dev dependencies)

With --check nothing is written; the exit code is 1 when a file differs from the generator.
`;

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
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.stderr(`vmfleet: unknown command "${command}"\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    io.stderr(`vmfleet ${command}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}
