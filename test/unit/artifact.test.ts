import { expect } from "chai";
import { Interface } from "ethers";
import { contractsSourceDigest, registryArtifact } from "../../src/adapters/chain/artifact.ts";

describe("the committed EvidenceRegistry build", () => {
  it("was built from the current contract sources (else run: npm run build:contracts)", () => {
    expect(registryArtifact.sourceSha256).to.equal(contractsSourceDigest());
  });

  it("exposes the functions that independent verifiers call", () => {
    const abi = new Interface(registryArtifact.abi);
    expect(abi.getFunction("anchorOf")!.format()).to.equal("anchorOf(bytes32)");
    expect(
      abi
        .getFunction("anchorOf")!
        .outputs.slice(0, 2)
        .map((o) => o.type),
    ).to.deep.equal(["uint64", "uint64"]);
    expect(abi.getFunction("verify")!.format()).to.equal("verify(bytes32,bytes32,bytes32[])");
    expect(abi.getFunction("verifyItem")!.format()).to.equal("verifyItem(bytes32,bytes32,bytes32,bytes32[])");
    expect(abi.getFunction("VERSION")!.format()).to.equal("VERSION()");
    expect(abi.getFunction("anchor")!.format()).to.equal("anchor(bytes32)");
    expect(registryArtifact.bytecode).to.match(/^0x[0-9a-f]{100,}$/);
  });
});
