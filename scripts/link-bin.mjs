// Runs after `npm install` / `npm ci`: links this project's own `evidence-anchor` command into
// node_modules/.bin, so that `npx evidence-anchor …` finds it locally. npm does not link a root package's
// own bins, and npx's fallback (reading the installed tree) fails here on a package the `node` package
// installs for itself, outside the lockfile. The command is not on npm: outside this folder, `npx
// evidence-anchor` would look it up in the registry.
import { chmodSync, existsSync, lstatSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";

const BIN = "bin/evidence-anchor.js";
const LINK = "node_modules/.bin/evidence-anchor";
// The command's first name, `evidence`, is an unrelated package on npm: an old link of ours goes.
const OLD_LINK = "node_modules/.bin/evidence";

mkdirSync("node_modules/.bin", { recursive: true });
if (linkTarget(OLD_LINK) === "../../bin/evidence.js") rmSync(OLD_LINK);
if (existsSync(LINK) || linkTarget(LINK) !== null) rmSync(LINK);
symlinkSync(`../../${BIN}`, LINK);
chmodSync(BIN, 0o755);

function linkTarget(path) {
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : null;
  } catch {
    return null;
  }
}
