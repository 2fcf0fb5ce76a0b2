// Usage texts of the vmfleet commands, in one place so `vmfleet help <command>`, `<command> --help` and the
// usage line printed with a usage error say the same thing. Help goes to stdout with exit 0; a usage error
// prints the same text to stderr with exit 2.

export const MAIN_USAGE = `usage: vmfleet <command> [flags]

commands:
  run [flags]                       run the operator (see: vmfleet run --help)
  plan -f FILE [--region FILE] [--current FILE] [--gallery FILE] [-o table|json|yaml]
                                    print the placement the engine would make, with no cluster
  crds [--root DIR] [--check]       write the CRDs to DIR/crds/ (default: the current directory)
  generate [--root DIR] [--check]   write every generated file (CRDs, default Region, README API reference,
                                    Grafana dashboard; needs the dev dependencies)
  help [command]                    print this text, or a command's (also: vmfleet <command> --help)

With --check nothing is written; the exit code is 1 when a file differs from the generator.
`;

export const PLAN_USAGE = `usage: vmfleet plan -f FILE [--region FILE] [--current FILE] [--gallery FILE] [-o table|json|yaml]

Prints the placement the strategy engine would make for a ScaleSet or ComputeFleet, with no cluster: counts
per size, zone, fault domain and priority, cost, spread, shortfall with reasons, and the decisions.

flags:
  -f, --filename FILE   the ScaleSet or ComputeFleet manifest (its first document)
  --region FILE         the Region to place in (default: the built-in eastus catalogue)
  --current FILE        the instances that exist now (kubectl get inst -o yaml): the plan adds and removes
                        the difference, and lists the stale VMs an upgrade would replace
  --gallery FILE        the GalleryImage(s) a ScaleSet on a Gallery image "latest" resolves against
                        (kubectl get gimg -o yaml); needed with --current to tell which VMs are stale
  -o, --output FORMAT   table (default), json or yaml
  -h, --help            print this text

Files are checked as the API server would check them (unknown fields, types, enums, bounds, the CRDs'
rules) and against the Region (sizes, zones, quotas).

exit codes:
  0  the plan was printed
  2  bad input or usage: one line per problem on stderr, naming the file and the field; nothing on stdout
  3  the plan was printed, but the optimiser's search limit stopped it (searchLimitReached in -o json)
`;

export const CRDS_USAGE = `usage: vmfleet crds [--root DIR] [--check]

Writes the CustomResourceDefinitions generated from the API schemas to DIR/crds/ (default: the current
directory). With --check nothing is written; the exit code is 1 when a file differs from the generator.
`;

export const GENERATE_USAGE = `usage: vmfleet generate [--root DIR] [--check]

Writes every generated file under DIR (default: the current directory): the CRDs, the default Region, the
README API reference and the Grafana dashboard (needs the dev dependencies). With --check nothing is written;
the exit code is 1 when a file differs from the generator.
`;

/** The usage line of a command's help plus a pointer to the rest: what a usage error prints. */
export function usageError(usage: string, command: string): string {
  return `${usage.slice(0, usage.indexOf('\n'))}\n(see: vmfleet ${command} --help)\n`;
}

/** True when the arguments ask for help rather than for the command to run. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
