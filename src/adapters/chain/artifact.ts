/**
 * The EvidenceRegistry build that the service deploys and talks to, committed beside this file by
 * `npm run build:contracts` so that no compiler is needed at run time.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { InterfaceAbi } from "ethers";
import artifact from "./EvidenceRegistry.artifact.json" with { type: "json" };

export const ARTIFACT_PATH = fileURLToPath(new URL("./EvidenceRegistry.artifact.json", import.meta.url));
const CONTRACTS_DIR = fileURLToPath(new URL("../../../contracts/", import.meta.url));

export interface RegistryArtifact {
  readonly abi: InterfaceAbi;
  readonly bytecode: string;
}

export const registryArtifact: RegistryArtifact & { sourceSha256: string; compiler: string } = artifact;

/** SHA-256 over the contract sources, to tell whether the committed build is stale. */
export function contractsSourceDigest(dir = CONTRACTS_DIR): string {
  const hash = createHash("sha256");
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith(".sol"))
    .sort()) {
    hash
      .update(name)
      .update("\0")
      .update(readFileSync(dir + name))
      .update("\0");
  }
  return hash.digest("hex");
}
