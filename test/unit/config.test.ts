import { expect } from "chai";
import { resolve } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { isAppError, Errors } from "../../src/errors.ts";

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(isAppError(error, Errors.CONFIG_INVALID)).to.equal(true);
    return (error as Error).message;
  }
  throw new Error("expected the configuration to be refused");
}

describe("loadConfig", () => {
  it("has the documented defaults: loopback only, embedded chain and IPFS", () => {
    const config = loadConfig({});
    expect(config).to.deep.include({
      port: 8080,
      host: "127.0.0.1",
      dataDir: resolve("./data"),
      chainRpcUrl: undefined,
      chainPort: 8545,
      confirmations: 1,
      anchorIntervalMs: 2000,
      anchorMaxBatch: 1000,
      ipfsApiUrl: undefined,
      maxUploadBytes: 50 * 1024 * 1024,
    });
    expect(Object.isFrozen(config)).to.equal(true);
  });

  it("reads and converts the variables it is given; empty ones count as unset", () => {
    const config = loadConfig({ PORT: "9000", HOST: "0.0.0.0", CONFIRMATIONS: "3", MAX_UPLOAD_BYTES: "1024", IPFS_API_URL: "" });
    expect(config).to.deep.include({ port: 9000, host: "0.0.0.0", confirmations: 3, maxUploadBytes: 1024, ipfsApiUrl: undefined });
  });

  it("packages each capture as a WACZ unless CAPTURE_WACZ=false", () => {
    expect(loadConfig({}).captureWacz).to.equal(true);
    expect(loadConfig({ CAPTURE_WACZ: "false" }).captureWacz).to.equal(false);
    expect(configError({ CAPTURE_WACZ: "no" })).to.match(/CAPTURE_WACZ/);
  });

  it("names the variable that is wrong", () => {
    expect(configError({ PORT: "eighty" })).to.match(/PORT/);
    expect(configError({ CONFIRMATIONS: "0" })).to.match(/CONFIRMATIONS/);
    expect(configError({ CHAIN_RPC_URL: "not a url" })).to.match(/CHAIN_RPC_URL/);
    expect(configError({ REGISTRY_ADDRESS: "0x1234" })).to.match(/REGISTRY_ADDRESS/);
    expect(configError({ BOOTSTRAP_API_KEY: "short" })).to.match(/BOOTSTRAP_API_KEY/);
  });

  it("requires ANCHOR_PRIVATE_KEY with CHAIN_RPC_URL, and never echoes a key", () => {
    expect(configError({ CHAIN_RPC_URL: "http://127.0.0.1:8545" })).to.match(/ANCHOR_PRIVATE_KEY is required with CHAIN_RPC_URL/);
    const secret = "ab".repeat(31); // 31 bytes: invalid
    const message = configError({ CHAIN_RPC_URL: "http://127.0.0.1:8545", ANCHOR_PRIVATE_KEY: secret });
    expect(message).to.match(/ANCHOR_PRIVATE_KEY/);
    expect(message).not.to.include(secret);
  });

  it("pairs each TSA with its CA file, in order, and reads development chain ids", () => {
    const config = loadConfig({
      TSA_URLS: "https://tsa-one.example/tsr, https://tsa-two.example/",
      TSA_CA_FILES: "one.pem,/etc/evidence/two.pem",
      DEVELOPMENT_CHAIN_IDS: "4242, 999",
    });
    expect(config.timestampAuthorities).to.deep.equal([
      { url: "https://tsa-one.example/tsr", caFile: resolve("one.pem") },
      { url: "https://tsa-two.example/", caFile: "/etc/evidence/two.pem" },
    ]);
    expect(config.developmentChainIds).to.deep.equal([4242, 999]);
    expect([config.tsaTimeoutMs, config.tsaRetryMs]).to.deep.equal([10_000, 5000]);
    expect(configError({ TSA_URLS: "https://tsa.example/" })).to.match(
      /TSA_CA_FILES must name one CA file \(PEM\) per TSA in TSA_URLS, in the same order \(1 TSA, 0 files\)/,
    );
    expect(configError({ TSA_URLS: "ftp://tsa.example/", TSA_CA_FILES: "a.pem" })).to.match(/TSA_URLS/);
    expect(configError({ TSA_URLS: "https://a.example/,https://a.example/", TSA_CA_FILES: "a.pem,b.pem" })).to.match(
      /TSA_URLS names a TSA twice/,
    );
    expect(configError({ DEVELOPMENT_CHAIN_IDS: "abc" })).to.match(/DEVELOPMENT_CHAIN_IDS/);
  });
  it("reads how certificates are made: the wait for TSAs, the signing key, the issuer; a password alone is refused, unechoed", () => {
    expect(loadConfig({})).to.deep.include({
      certificateTimestampWaitMs: 600_000,
      certificateSigning: undefined,
      operator: { name: undefined, contact: undefined, statement: undefined },
    });
    const config = loadConfig({
      CERTIFICATE_TIMESTAMP_WAIT_MS: "0",
      CERTIFICATE_SIGNING_P12: "keys/signing.p12",
      OPERATOR_NAME: " Evidence Preservation Ltd ",
      OPERATOR_CONTACT: "certificates@evidence.example.org",
    });
    expect(config).to.deep.include({
      certificateTimestampWaitMs: 0,
      certificateSigning: { p12File: resolve("keys/signing.p12"), password: "" },
      operator: { name: "Evidence Preservation Ltd", contact: "certificates@evidence.example.org", statement: undefined },
    });
    const message = configError({ CERTIFICATE_SIGNING_P12_PASSWORD: "hunter2-secret" });
    expect(message).to.equal("Invalid configuration: CERTIFICATE_SIGNING_P12 is required with CERTIFICATE_SIGNING_P12_PASSWORD");
    expect(configError({ CERTIFICATE_TIMESTAMP_WAIT_MS: "-1" })).to.match(/^Invalid configuration: CERTIFICATE_TIMESTAMP_WAIT_MS /);
  });
});
