/**
 * The import rule of docs/architecture.md, checked in `npm test`:
 *   http, workers → use-cases → domain + ports; adapters implement ports; documents render for use-cases;
 *   only the composition roots (src/main.ts, and src/cli/ for the verifier) wire adapters in;
 *   domain/ imports no framework, driver or store.
 */
const layer = (name) => `^src/${name}/`;
const drivers =
  "(^node_modules/(express|pino|pino-http|kysely|pg|@helia/[^/]+|blockstore-fs|kubo-rpc-client|playwright-core|ethers|multer|prom-client)/|^(node:)?sqlite$)";

module.exports = {
  forbidden: [
    { name: "no-cycles", severity: "error", from: {}, to: { circular: true } },
    {
      name: "domain-is-pure",
      comment: "domain/ is pure code: no ports, adapters, use-cases, HTTP, workers, documents, and no framework or driver",
      severity: "error",
      from: { path: layer("domain") },
      to: { path: [layer("(ports|adapters|use-cases|http|workers|cli|documents)"), "^src/(main|config|logging|metrics)\\.ts$", drivers] },
    },
    {
      name: "ports-are-interfaces",
      comment: "ports/ describe what the use-cases need: they may name domain types, nothing else",
      severity: "error",
      from: { path: layer("ports") },
      to: { path: [layer("(adapters|use-cases|http|workers|cli|documents)"), "^src/(main|config)\\.ts$", drivers] },
    },
    {
      name: "use-cases-see-ports-not-adapters",
      comment: "use-cases tell the story over ports; they never reach an adapter, the web layer or a driver",
      severity: "error",
      from: { path: layer("use-cases") },
      to: { path: [layer("(adapters|http|workers|cli)"), "^src/main\\.ts$", drivers] },
    },
    {
      name: "adapters-implement-ports",
      comment: "adapters implement ports: they do not call use-cases, the web layer or workers",
      severity: "error",
      from: { path: layer("adapters") },
      to: { path: [layer("(use-cases|http|workers|cli|documents)"), "^src/main\\.ts$"] },
    },
    {
      name: "entry-points-do-not-wire-adapters",
      comment: "http/ and workers/ call use-cases; only src/main.ts (and the verifier CLI) wire adapters in",
      severity: "error",
      from: { path: layer("(http|workers)") },
      to: { path: [layer("adapters"), "^src/main\\.ts$"] },
    },
    {
      name: "documents-render-only",
      comment: "documents/ turn domain values into files; they read nothing themselves",
      severity: "error",
      from: { path: layer("documents") },
      to: { path: [layer("(ports|adapters|use-cases|http|workers|cli)"), "^src/main\\.ts$"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^node_modules/.+/node_modules/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"] },
    builtInModules: { add: ["node:sqlite"] },
  },
};
