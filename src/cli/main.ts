#!/usr/bin/env node
// Entry point of the `vmfleet` binary; the commands live in ./commands.ts so tests can call them in-process.
import { main, type Io } from './commands.ts';

const io: Io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };
process.exitCode = await main(process.argv.slice(2), io);
