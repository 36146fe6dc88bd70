// Runs after `npm install` / `npm ci`: links this project's own `evidence` command into
// node_modules/.bin, so that `npx evidence …` finds it locally. npm does not link a root package's own
// bins, and npx's fallback (reading the installed tree) fails here on a package the `node` package
// installs for itself, outside the lockfile.
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";

mkdirSync("node_modules/.bin", { recursive: true });
const link = "node_modules/.bin/evidence";
if (existsSync(link)) rmSync(link);
symlinkSync("../../bin/evidence.js", link);
chmodSync("bin/evidence.js", 0o755);
