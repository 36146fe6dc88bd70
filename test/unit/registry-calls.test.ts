/**
 * The registry's calls as bytes (src/domain/registry-calls.ts), against the compiled registry's ABI and
 * ethers' ABI coder: the same selectors, the same calldata, the same decoded answers.
 */
import { expect } from "chai";
import { AbiCoder, Interface, keccak256, toUtf8Bytes } from "ethers";
import { registryArtifact } from "../../src/adapters/chain/artifact.ts";
import {
  AbiDecodeError,
  anchorOfData,
  declarationOf,
  decodeAnchor,
  decodeString,
  decodeTimestamp,
  REGISTRY_ABI,
  selectorOf,
  signatureOf,
  verifyData,
  verifyItemData,
  versionData,
} from "../../src/domain/registry-calls.ts";

const registry = new Interface(registryArtifact.abi);
const hash = (text: string) => keccak256(toUtf8Bytes(text));
const [root, content, metadata, p1, p2] = ["root", "content", "metadata", "p1", "p2"].map(hash) as [string, string, string, string, string];

describe("registry calls", () => {
  it("declares each function exactly as the compiled registry's ABI does", () => {
    for (const f of Object.values(REGISTRY_ABI)) {
      const compiled = (registryArtifact.abi as { name?: string }[]).find((e) => e.name === f.name) as Record<string, any>;
      const strip = (params: { name: string; type: string }[]) => params.map(({ name, type }) => ({ name, type }));
      expect({ ...compiled, inputs: strip(compiled.inputs), outputs: strip(compiled.outputs) }, f.name).to.deep.equal(f);
    }
  });

  it("gives the selectors and declarations ethers derives", () => {
    expect(selectorOf(REGISTRY_ABI.anchorOf)).to.equal(registry.getFunction("anchorOf")!.selector);
    expect(selectorOf(REGISTRY_ABI.verifyItem)).to.equal(registry.getFunction("verifyItem")!.selector);
    expect(selectorOf(REGISTRY_ABI.anchorOf)).to.equal(hash("anchorOf(bytes32)").slice(0, 10));
    expect(signatureOf(REGISTRY_ABI.verifyItem)).to.equal("verifyItem(bytes32,bytes32,bytes32,bytes32[])");
    expect(declarationOf(REGISTRY_ABI.anchorOf)).to.equal(
      "function anchorOf(bytes32 root) view returns (uint64 timestamp, uint64 blockNumber, address submitter)",
    );
    expect(registry.getFunction("anchorOf")!.format("full")).to.equal(declarationOf(REGISTRY_ABI.anchorOf));
  });

  it("encodes each call as ethers does, with proofs of 0, 1 and 2 steps", () => {
    expect(anchorOfData(root)).to.equal(registry.encodeFunctionData("anchorOf", [root]));
    expect(versionData()).to.equal(registry.encodeFunctionData("VERSION"));
    for (const proof of [[], [p1], [p1, p2]]) {
      expect(verifyItemData(root, content, metadata, proof)).to.equal(
        registry.encodeFunctionData("verifyItem", [root, content, metadata, proof]),
      );
      expect(verifyData(root, content, proof)).to.equal(registry.encodeFunctionData("verify", [root, content, proof]));
    }
  });

  it("decodes the answers ethers encodes", () => {
    const submitter = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    expect(decodeAnchor(registry.encodeFunctionResult("anchorOf", [1_763_630_000, 12, submitter]))).to.deep.equal({
      timestamp: 1_763_630_000,
      blockNumber: 12,
      submitter,
    });
    expect(decodeTimestamp(registry.encodeFunctionResult("verifyItem", [1_763_630_000]))).to.equal(1_763_630_000);
    expect(decodeTimestamp(registry.encodeFunctionResult("verifyItem", [0]))).to.equal(0);
    expect(decodeString(registry.encodeFunctionResult("VERSION", ["2"]))).to.equal("2");
    expect(decodeString(AbiCoder.defaultAbiCoder().encode(["string"], ["版本 ✓"]))).to.equal("版本 ✓");
  });

  it("refuses answers that are not the function's: short, not hex, out of range", () => {
    for (const [decode, data] of [
      [decodeAnchor, "0x"],
      [decodeTimestamp, "0x1234"],
      [decodeTimestamp, "0xzz"],
      [decodeTimestamp, `0x${"f".repeat(64)}`],
      [decodeString, `0x${"0".repeat(62)}20${"0".repeat(62)}05`],
    ] as const) {
      expect(() => decode(data), data).to.throw(AbiDecodeError);
    }
  });
});
