// Process plumbing for the control plane: every binary runs in its own process group (so a stop reaches
// anything it forks), logs to a file (so it never dies of SIGPIPE when our pipes close), and is stopped by
// PID. A small reaper process guards against the test runner dying without calling stop().
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export interface Managed {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  readonly exited: Promise<string>;
  hasExited(): boolean;
}

export interface LaunchOptions {
  /** Keep running after this Node process exits (cluster:up). */
  readonly persistent?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

export function launch(name: string, bin: string, args: string[], logPath: string, opts: LaunchOptions = {}) {
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(bin, args, {
      detached: true, // own process group: kill(-pid) reaches it, and a terminal ^C does not
      stdio: ['ignore', fd, fd],
      env: opts.env ?? process.env,
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${name} (${bin})`);
  let done = false;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      resolve(signal ?? String(code));
    });
    child.once('error', (err) => {
      done = true;
      resolve(err.message);
    });
  });
  if (opts.persistent === true) child.unref();
  const managed: Managed = { name, pid, logPath, exited, hasExited: () => done };
  return managed;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** SIGTERM the process group, SIGKILL it if it lingers (at once if graceMs is 0); resolves once it exited. */
export async function stopProcess(pid: number, exited?: Promise<string>, graceMs = 5_000): Promise<void> {
  signalGroup(pid, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  const gone = exited ?? waitUntilDead(pid);
  const timedOut = await Promise.race([gone.then(() => false), delay(graceMs, true)]);
  if (timedOut) {
    signalGroup(pid, 'SIGKILL');
    await gone;
  }
}

async function waitUntilDead(pid: number): Promise<string> {
  while (isAlive(pid)) await delay(50);
  return 'gone';
}

/** Synchronous last resort for process 'exit' handlers, where nothing async runs any more. */
export function killGroupsNow(pids: Iterable<number>): void {
  for (const pid of pids) signalGroup(pid, 'SIGKILL');
}

/** The command line of a live process, used to make sure a recorded PID was not reused by someone else. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

export async function tail(path: string, lines = 30): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// Plain JavaScript run by `node -e`: it holds the read end of a pipe from the parent. When the parent dies
// for any reason (crash, SIGKILL, ^C) the pipe reaches EOF and the reaper kills the recorded process groups
// and deletes the recorded directories. On a normal stop the parent sends "clear" first.
const REAPER_SOURCE = `
const fs = require('node:fs');
const groups = new Set(); const dirs = new Set(); let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  buf += d; let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const [op, arg] = [buf.slice(0, i).split(' ')[0], buf.slice(0, i).split(' ').slice(1).join(' ')];
    buf = buf.slice(i + 1);
    if (op === 'add') groups.add(Number(arg));
    else if (op === 'del') groups.delete(Number(arg));
    else if (op === 'dir') dirs.add(arg);
    else if (op === 'clear') { groups.clear(); dirs.clear(); }
  }
});
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const reap = () => {
  for (const pid of groups) { try { process.kill(-pid, 'SIGKILL'); } catch {} }
  const deadline = Date.now() + 5000;
  const finish = () => {
    if ([...groups].some(alive) && Date.now() < deadline) return setTimeout(finish, 50);
    for (const dir of dirs) { try { fs.rmSync(dir, { recursive: true, force: true }); } catch {} }
    process.exit(0);
  };
  finish();
};
process.stdin.on('end', reap);
process.stdin.on('error', reap);
`;

export interface Reaper {
  track(pid: number): void;
  untrack(pid: number): void;
  removeOnCrash(dir: string): void;
  /** Normal shutdown: the parent cleaned up itself. */
  release(): void;
}

export function startReaper(): Reaper {
  const child = spawn(process.execPath, ['-e', REAPER_SOURCE], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.unref();
  const stdin = child.stdin;
  // The pipe must not keep the test runner alive on its own; the children it guards do that already.
  if (stdin instanceof Socket) stdin.unref();
  stdin.on('error', () => {
    // The reaper died; nothing useful to do about it here.
  });
  const send = (line: string): void => {
    if (!stdin.destroyed) stdin.write(`${line}\n`);
  };
  return {
    track: (pid) => {
      send(`add ${pid}`);
    },
    untrack: (pid) => {
      send(`del ${pid}`);
    },
    removeOnCrash: (dir) => {
      send(`dir ${dir}`);
    },
    release: () => {
      send('clear');
      stdin.end();
    },
  };
}
