#!/usr/bin/env node
// The `evidence` command: `npx evidence …` in this project (scripts/link-bin.mjs links it into
// node_modules/.bin at install), or `node bin/evidence.js …`. Node >= 22.18 runs the TypeScript directly.
import { runCli } from "../src/cli/evidence.ts";

process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text + "\n"),
  err: (text) => process.stderr.write(text + "\n"),
  env: process.env,
  stdin: process.stdin,
});
