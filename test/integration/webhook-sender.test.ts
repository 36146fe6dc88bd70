/**
 * The webhook sender connects to the address the egress rule checked, never to what DNS says now: a
 * name that cannot resolve (.invalid) still reaches the checked loopback address, under its own Host.
 * It follows no redirect, and gives up at its deadline.
 */
import { expect } from "chai";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { Webhook } from "standardwebhooks";
import { httpWebhookSender } from "../../src/adapters/webhooks/http-sender.ts";

const SECRET = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as { port: number }).port };
}

describe("the webhook sender", () => {
  const signal = new AbortController().signal;

  it("POSTs the signed payload to the checked address, with the URL's host", async () => {
    const seen: { host?: string; path?: string; verified?: unknown } = {};
    const { server, port } = await serve(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      seen.host = req.headers.host;
      seen.path = req.url;
      seen.verified = new Webhook(SECRET).verify(Buffer.concat(chunks).toString(), req.headers as Record<string, string>);
      res.writeHead(204).end();
    });
    try {
      const sender = httpWebhookSender({ timeoutMs: 2000, userAgent: "test" });
      const payload = JSON.stringify({ type: "capture.finished", timestamp: "2026-11-27T19:00:00.000Z", data: { id: "cap_1" } });
      const status = await sender.send(
        { url: `http://hooks.invalid:${port}/in?x=1`, address: "127.0.0.1", id: "evt_1", payload, secret: SECRET },
        { signal },
      );
      expect(status).to.equal(204);
      expect(seen).to.deep.equal({ host: `hooks.invalid:${port}`, path: "/in?x=1", verified: JSON.parse(payload) });
    } finally {
      server.close();
    }
  });

  it("does not follow a redirect, and gives up at its deadline", async () => {
    let hits = 0;
    const { server, port } = await serve((req, res) => {
      hits++;
      if (req.url === "/slow") return; // never answers
      res.writeHead(307, { location: "/elsewhere" }).end();
    });
    try {
      const sender = httpWebhookSender({ timeoutMs: 300, userAgent: "test" });
      const message = { address: "127.0.0.1", id: "evt_2", payload: "{}", secret: SECRET };
      expect(await sender.send({ ...message, url: `http://127.0.0.1:${port}/in` }, { signal })).to.equal(307);
      expect(hits).to.equal(1);
      const started = Date.now();
      let error: Error | undefined;
      await sender.send({ ...message, url: `http://127.0.0.1:${port}/slow` }, { signal }).catch((e: Error) => (error = e));
      expect(error?.message).to.equal("no answer within 300 ms");
      expect(Date.now() - started).to.be.within(250, 2000);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
