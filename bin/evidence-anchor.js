#!/usr/bin/env node
// The `evidence-anchor` command, which comes with this project (it is not published on npm): `npx
// evidence-anchor …` in the project folder (scripts/link-bin.mjs links it into node_modules/.bin at
// install), or `node bin/evidence-anchor.js …`. Node >= 22.18 runs the TypeScript directly.
import { runCli } from "../src/cli/evidence.ts";

process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text + "\n"),
  err: (text) => process.stderr.write(text + "\n"),
  env: process.env,
  stdin: process.stdin,
});
