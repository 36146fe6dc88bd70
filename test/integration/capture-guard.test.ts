/**
 * The SSRF guard at the API: IPv6 spellings of internal addresses are refused when the capture is
 * requested, with 422 CAPTURE_URL_FORBIDDEN naming the address, and nothing is sent to them. The
 * service runs on its default configuration (no private address allowed); only loopback is used.
 */
import { expect } from "chai";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import type { RunningService } from "../../src/main.ts";
import { client, startTestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

describe("the capture SSRF guard at POST /v1/captures", function () {
  this.timeout(60_000);
  const dir = tempDir("capture-guard-");
  let service: RunningService;
  let target: Server;
  let port: number;
  let hits = 0;

  before(async () => {
    // A server on 127.0.0.1 the refused URLs point at: it must see no request.
    target = createServer((_req, res) => {
      hits++;
      res.end("reached");
    }).listen(0, "127.0.0.1");
    await once(target, "listening");
    port = (target.address() as { port: number }).port;
    service = await startTestService(join(dir.path, "data"));
  });
  after(async () => {
    await service.stop();
    target.close();
    dir.remove();
  });

  it("refuses IPv4-compatible, IPv4-mapped, local-use NAT64 and documentation IPv6 hosts with 422, naming the address", async () => {
    const cases: [string, string][] = [
      [`http://[::127.0.0.1]:${port}/`, "::7f00:1"],
      [`http://[::ffff:7f00:1]:${port}/`, "::ffff:7f00:1"],
      ["http://[64:ff9b:1::a00:1]/", "64:ff9b:1::a00:1"],
      ["http://[3fff::1]/", "3fff::1"],
    ];
    const api = client(service.url);
    for (const [url, address] of cases) {
      const response = await api.postJson("/v1/captures", { url });
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(response.status, url).to.equal(422);
      expect(body.error.code, url).to.equal("CAPTURE_URL_FORBIDDEN");
      expect(body.error.message, url).to.equal(
        `This URL may not be captured: ${address} resolves to ${address}, which is not a public address`,
      );
    }
    expect((await (await api.get("/v1/captures")).json()) as { items: unknown[] }).to.deep.equal({ items: [] });
    expect(hits).to.equal(0);
  });
});
