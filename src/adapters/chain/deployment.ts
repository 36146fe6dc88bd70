/**
 * Deployment records: one JSON file per network (deployments/<network>.json; for the embedded chain,
 * DATA_DIR/chain/deployment.json beside the chain's state). The service reads these, not Hardhat.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { ContractFactory, type Signer, type InterfaceAbi } from "ethers";
import { z } from "zod";
import type { RegistryArtifact } from "./artifact.ts";

const DeploymentRecordSchema = z.object({
  contractName: z.literal("EvidenceRegistry"),
  network: z.string(),
  chainId: z.number().int().positive(),
  address: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  txHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  blockNumber: z.number().int().nonnegative(),
  deployer: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  admin: z.string(),
  anchorer: z.string(),
  deployedAt: z.string(),
  compiler: z.string().optional(),
  abi: z.array(z.unknown()),
});

export type DeploymentRecord = Omit<z.infer<typeof DeploymentRecordSchema>, "abi"> & { abi: InterfaceAbi };

export function readDeployment(file: string): DeploymentRecord | null {
  if (!existsSync(file)) return null;
  return DeploymentRecordSchema.parse(JSON.parse(readFileSync(file, "utf8"))) as DeploymentRecord;
}

export function writeDeployment(file: string, record: DeploymentRecord): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.tmp`;
  writeFileSync(temp, JSON.stringify(record, null, 2) + "\n");
  renameSync(temp, file);
}

/**
 * Deploys EvidenceRegistry with `admin` holding the admin role and `anchorer` the anchorer role, and
 * waits for it to be mined.
 */
export async function deployRegistry(
  signer: Signer,
  artifact: RegistryArtifact & { compiler?: string },
  options: { network: string; admin?: string; anchorer?: string },
): Promise<DeploymentRecord> {
  const deployer = await signer.getAddress();
  const admin = options.admin ?? deployer;
  const anchorer = options.anchorer ?? deployer;
  const factory = new ContractFactory(artifact.abi, artifact.bytecode, signer);
  const contract = await factory.deploy(admin, anchorer);
  const tx = contract.deploymentTransaction()!;
  const receipt = await tx.wait();
  if (receipt?.status !== 1) throw new Error(`deployment transaction ${tx.hash} failed`);
  const network = await signer.provider!.getNetwork();
  return {
    contractName: "EvidenceRegistry",
    network: options.network,
    chainId: Number(network.chainId),
    address: await contract.getAddress(),
    txHash: tx.hash,
    blockNumber: receipt.blockNumber,
    deployer,
    admin,
    anchorer,
    deployedAt: new Date().toISOString(),
    compiler: artifact.compiler,
    abi: artifact.abi,
  };
}
