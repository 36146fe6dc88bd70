#!/usr/bin/env node
// The `evidence` command (package.json "bin"). Node >= 22.18 runs the TypeScript source directly.
import { runCli } from "../src/cli/evidence.ts";

process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text + "\n"),
  err: (text) => process.stderr.write(text + "\n"),
  env: process.env,
});
