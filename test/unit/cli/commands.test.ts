import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/commands.ts';

const ROOT = join(import.meta.dirname, '../../..');

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe('vmfleet help', () => {
  it.each(['--help', '-h', 'help', 'help help'])(
    'vmfleet %s prints the overview to stdout and exits 0',
    async (args) => {
      const result = await run(args.split(' '));
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/^usage: vmfleet <command>/);
      for (const command of ['run', 'plan', 'crds', 'generate', 'help'])
        expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    },
  );

  it.each([
    ['plan', /^usage: vmfleet plan -f FILE/],
    ['run', /^usage: vmfleet run \[flags\]/],
    ['crds', /^usage: vmfleet crds /],
    ['generate', /^usage: vmfleet generate /],
  ])(
    'vmfleet %s --help, -h and vmfleet help %s print its usage to stdout and exit 0',
    async (command, usage) => {
      for (const argv of [
        [command, '--help'],
        [command, '-h'],
        ['help', command],
      ]) {
        const result = await run(argv);
        expect(result, argv.join(' ')).toMatchObject({ code: 0, stderr: '' });
        expect(result.stdout, argv.join(' ')).toMatch(usage);
      }
    },
  );

  it('plan --help documents every flag and the exit codes', async () => {
    const { stdout } = await run(['plan', '--help']);
    for (const flag of ['--filename', '--region', '--current', '--gallery', '--output', '--help'])
      expect(stdout).toContain(flag);
    expect(stdout).toMatch(/^ {2}0 {2}/m);
    expect(stdout).toMatch(/^ {2}2 {2}bad input/m);
  });

  it('a usage error goes to stderr with exit 2, leaving stdout empty', async () => {
    for (const argv of [[], ['frobnicate'], ['help', 'frobnicate'], ['plan'], ['plan', '--bogus']]) {
      const result = await run(argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stdout, argv.join(' ')).toBe('');
      expect(result.stderr, argv.join(' ')).toMatch(/usage: vmfleet/);
    }
  });

  it('the vmfleet binary prints help to stdout with exit 0', () => {
    const node = join(ROOT, 'node_modules/.bin/node');
    for (const argv of [['--help'], ['plan', '--help']]) {
      const result = spawnSync(node, [join(ROOT, 'src/cli/main.ts'), ...argv], { encoding: 'utf8' });
      expect(result.status, argv.join(' ')).toBe(0);
      expect(result.stderr, argv.join(' ')).toBe('');
      expect(result.stdout, argv.join(' ')).toMatch(/^usage: vmfleet /);
    }
    // Two Node processes that load the whole CLI: seconds each on a busy 2-core runner.
  }, 60_000);
});
