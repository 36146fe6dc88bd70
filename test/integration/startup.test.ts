/** Starting up as `npm start` does: bad configuration and a taken port fail cleanly, leaving nothing running. */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { once } from "node:events";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ANVIL_DEV_PRIVATE_KEY, startAnvil } from "../../src/adapters/chain/anvil.ts";
import { startTestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

const MAIN = fileURLToPath(new URL("../../src/main.ts", import.meta.url));

describe("start-up", function () {
  this.timeout(60_000);
  const dir = tempDir("startup-");
  after(() => dir.remove());

  it("stops at once on a bad variable, naming it, with exit code 2", async () => {
    const result = await new Promise<{ code: number; err: string }>((resolve) =>
      execFile(
        process.execPath,
        ["--disable-warning=ExperimentalWarning", MAIN],
        { env: { ...process.env, PORT: "eighty", DATA_DIR: join(dir.path, "bad") } },
        (error, _out, err) => resolve({ code: error ? Number(error.code) : 0, err }),
      ),
    );
    expect(result.code).to.equal(2);
    expect(result.err).to.match(/Invalid configuration: PORT/);
    expect(existsSync(join(dir.path, "bad"))).to.equal(false); // nothing was started or written
  });

  it("exits 2 on a TSA CA file that cannot be read, or holds no certificate, naming it, before starting anything", async () => {
    const run = (caFile: string) =>
      new Promise<{ code: number; out: string }>((resolve) =>
        execFile(
          process.execPath,
          ["--disable-warning=ExperimentalWarning", MAIN],
          {
            env: { ...process.env, PORT: "0", DATA_DIR: join(dir.path, "tsa-ca"), TSA_URLS: "https://tsa.example/", TSA_CA_FILES: caFile },
          },
          (error, out) => resolve({ code: error ? Number(error.code) : 0, out }),
        ),
      );
    const missing = await run(join(dir.path, "missing.pem"));
    expect(missing.code).to.equal(2);
    expect(missing.out).to.include(`Invalid configuration: TSA_CA_FILES: cannot read ${join(dir.path, "missing.pem")} (ENOENT)`);
    const notPem = join(dir.path, "not.pem");
    writeFileSync(notPem, "hello");
    const wrong = await run(notPem);
    expect(wrong.code).to.equal(2);
    expect(wrong.out).to.include(`Invalid configuration: TSA_CA_FILES: ${notPem} holds no PEM certificate`);
    expect(existsSync(join(dir.path, "tsa-ca", "chain"))).to.equal(false); // no chain was started
  });

  it("exits 2, not 1, on configuration found wrong only on connecting (no registry at REGISTRY_ADDRESS)", async () => {
    const chain = await startAnvil({ stateDir: join(dir.path, "operator-chain"), port: 0 });
    try {
      const env = {
        ...process.env,
        DATA_DIR: join(dir.path, "no-registry"),
        PORT: "0",
        CHAIN_RPC_URL: chain.rpcUrl,
        ANCHOR_PRIVATE_KEY: ANVIL_DEV_PRIVATE_KEY,
        REGISTRY_ADDRESS: "0x" + "12".repeat(20),
      };
      const result = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile(process.execPath, ["--disable-warning=ExperimentalWarning", MAIN], { env }, (error, out) =>
          resolve({ code: error ? Number(error.code) : 0, out }),
        ),
      );
      expect(result.code).to.equal(2);
      expect(result.out).to.include(`Invalid configuration: no contract at registry address 0x${"12".repeat(20)} on chain 31337`);
    } finally {
      await chain.stop();
    }
  });

  it("fails on a taken port and stops the chain it had started", async () => {
    const blocker = createServer().listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const port = (blocker.address() as { port: number }).port;
    let error: unknown;
    await startTestService(join(dir.path, "taken"), { PORT: String(port) }).catch((e) => (error = e));
    blocker.close();
    expect((error as NodeJS.ErrnoException).code).to.equal("EADDRINUSE");
    expect(existsSync(join(dir.path, "taken", "chain", "anvil.pid")), "the chain was stopped").to.equal(false);
  });
});
