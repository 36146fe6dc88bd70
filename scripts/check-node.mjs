// Runs before `npm install` (plain JavaScript: it must run on any Node). Hardhat 3 needs Node >= 22.13;
// under an older Node, npm silently skips Hardhat's native package and Hardhat fails later with HHE27.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  console.error(
    `\nThis project needs Node >= 22.13; this is Node ${process.versions.node}.\n` +
      `Install with:  npm run setup   (runs the install under the project's own Node 22)\n`,
  );
  process.exit(1);
}
