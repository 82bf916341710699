#!/usr/bin/env node
import { runCli } from './program.js';

// The exit code is set, not forced: `vigil serve` keeps running, every other command ends once
// its services are closed and its output is flushed.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  // Only touched by commands that read it, so the others never open stdin.
  get stdin() {
    return process.stdin;
  },
  env: process.env,
});
