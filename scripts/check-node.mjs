// Runs before `npm install` / `npm ci` (plain JavaScript: it must run on any Node). Hardhat 3 needs
// Node >= 22.13; an npm running under an older Node silently skips Hardhat's native package, and Hardhat
// then fails later with HHE27. What matters is the Node running npm (npm_node_execpath), not the one
// running this script, which may already be the project's Node 22 from node_modules/.bin.
import { execFileSync } from "node:child_process";

const npmNode = process.env.npm_node_execpath;
const version = npmNode ? execFileSync(npmNode, ["-p", "process.versions.node"], { encoding: "utf8" }).trim() : process.versions.node;
const [major, minor] = version.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  console.error(
    `\nThis project needs Node >= 22.13, and npm is running on Node ${version}.\n` +
      `Install with:  npm run setup   (runs the install under the project's own Node 22)\n`,
  );
  process.exit(1);
}
