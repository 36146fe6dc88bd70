/**
 * Webhooks on the embedded defaults: receivers on loopback (opened with WEBHOOK_ALLOW_HOSTS) verify every
 * signature with the `standardwebhooks` package, as a customer would, and see each event at least once,
 * through failures, a receiver outage and a service restart; retries end in a dead letter after the window.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { client, fileForm, startTestService, waitForAnchored, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";
import { eventually, webhookReceiver, type Receiver } from "../helpers/webhook-receiver.ts";

type Json = Record<string, any>;
type Api = ReturnType<typeof client>;

async function newAccount(service: TestService, name: string): Promise<Api> {
  const account = (await (await client(service.url).postJson("/v1/accounts", { name })).json()) as Json;
  return client(service.url, account.apiKey);
}

async function register(api: Api, receiver: Receiver, events: string[]): Promise<Json> {
  const response = await api.postJson("/v1/webhooks", { url: receiver.url, events });
  expect(response.status).to.equal(201);
  const webhook = (await response.json()) as Json;
  receiver.secret = webhook.secret;
  return webhook;
}

async function upload(api: Api): Promise<string> {
  const form = fileForm({}, { file: { bytes: randomBytes(100), name: "listing.png" } });
  const up = (await (await api.postForm("/v1/evidence", form)).json()) as Json;
  await waitForAnchored(api, up.id);
  return up.id;
}

async function deliveries(api: Api, webhookId: string): Promise<Json[]> {
  const response = await api.get(`/v1/webhooks/${webhookId}/deliveries`);
  expect(response.status).to.equal(200);
  return ((await response.json()) as Json).items;
}

describe("webhooks", function () {
  this.timeout(90_000);

  describe("on one service (retry window 2 s)", () => {
    const dir = tempDir("webhooks-");
    let service: TestService;
    let ok: Receiver;
    let flaky: Receiver;
    let down: Receiver;

    before(async () => {
      [ok, flaky, down] = await Promise.all([webhookReceiver([200]), webhookReceiver([500, 200]), webhookReceiver([503])]);
      service = await startTestService(dir.path, {
        WEBHOOK_ALLOW_HOSTS: [ok, flaky, down].map((r) => `127.0.0.1:${r.port}`).join(","),
        WEBHOOK_INTERVAL_MS: "50",
        WEBHOOK_RETRY_BASE_MS: "100",
        WEBHOOK_RETRY_MAX_MS: "400",
        WEBHOOK_RETRY_WINDOW_MS: "2000",
      });
    });
    after(async () => {
      await service?.stop();
      await Promise.all([ok, flaky, down].map((r) => r?.close()));
      dir.remove();
    });

    it("delivers an upload's evidence.anchored, signed per Standard Webhooks, and lists the delivery", async () => {
      const api = await newAccount(service, "Platform A");
      const webhook = await register(api, ok, ["evidence.anchored"]);
      expect(webhook.secret).to.match(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(webhook.events).to.deep.equal(["evidence.anchored"]);
      const listed = (await (await api.get("/v1/webhooks")).json()) as Json;
      expect(listed.items).to.deep.equal([{ id: webhook.id, url: ok.url, events: ["evidence.anchored"], createdAt: webhook.createdAt }]);

      const id = await upload(api);
      const evidence = (await (await api.get(`/v1/evidence/${id}`)).json()) as Json;
      const message = await eventually(() => ok.received.find((m) => m.body.data.id === id), 20_000, "the delivery");
      expect(message.verified).to.equal(true);
      expect(message.id).to.match(/^evt_/);
      expect(message.body.type).to.equal("evidence.anchored");
      expect(message.body.data.root).to.equal(evidence.anchor.root);
      expect(ok.received.filter((m) => m.body.data.id === id)).to.have.length(1);

      const [delivery] = await eventually(async () => {
        const items = await deliveries(api, webhook.id);
        return items[0]?.state === "delivered" ? items : undefined;
      });
      expect(delivery!.eventId).to.equal(message.id);
      expect(delivery!.type).to.equal("evidence.anchored");
      expect(delivery!.payload).to.deep.equal(message.body);
      expect(delivery!.attempts).to.have.length(1);
      expect(delivery!.attempts[0]).to.include({ attempt: 1, status: 200 });
      expect(delivery!.attempts[0]).not.to.have.property("nextAttemptAt");
      expect(delivery!).not.to.have.property("nextAttemptAt");
      // The secret is shown once, in the 201: never in a listing, a delivery or the service's log.
      expect(JSON.stringify(await deliveries(api, webhook.id))).not.to.include(webhook.secret.slice(6));
      expect(JSON.stringify(service.logLines())).not.to.include(webhook.secret.slice(6));
    });

    it("sends the event again after a 500 (at least once), and lists both attempts", async () => {
      const api = await newAccount(service, "Platform B");
      const webhook = await register(api, flaky, ["*"]);
      const id = await upload(api);
      const messages = await eventually(() => {
        const got = flaky.received.filter((m) => m.body.data.id === id);
        return got.length === 2 ? got : undefined;
      });
      expect(messages.map((m) => [m.answered, m.verified, m.id])).to.deep.equal([
        [500, true, messages[0]!.id],
        [200, true, messages[0]!.id],
      ]);
      const [delivery] = await eventually(async () => {
        const items = await deliveries(api, webhook.id);
        return items[0]?.state === "delivered" ? items : undefined;
      });
      expect(delivery!.attempts.map((a: Json) => [a.attempt, a.status, a.error ?? null, typeof a.nextAttemptAt])).to.deep.equal([
        [1, 500, "answered 500", "string"],
        [2, 200, null, "undefined"],
      ]);
      expect(Date.parse(delivery!.attempts[1].at)).to.be.at.least(Date.parse(delivery!.attempts[0].nextAttemptAt) - 5);
    });

    it("dead-letters a delivery after the retry window, then redelivers it on request", async () => {
      const api = await newAccount(service, "Platform C");
      const webhook = await register(api, down, ["evidence.anchored"]);
      const id = await upload(api);
      const [dead] = await eventually(
        async () => {
          const items = await deliveries(api, webhook.id);
          return items[0]?.state === "dead" ? items : undefined;
        },
        20_000,
        "the dead letter",
      );
      const tries = down.received.filter((m) => m.body.data.id === id);
      expect(dead!.attempts).to.have.length(tries.length);
      expect(tries.length).to.be.at.least(3); // 100–400 ms apart over 2 s
      expect(tries.every((m) => m.verified === true && m.answered === 503 && m.id === dead!.eventId)).to.equal(true);
      expect(dead!.attempts.slice(0, -1).every((a: Json) => a.status === 503 && typeof a.nextAttemptAt === "string")).to.equal(true);
      expect(dead!.attempts.at(-1)).to.not.have.property("nextAttemptAt");
      const span = Date.parse(dead!.attempts.at(-1).at) - Date.parse(dead!.attempts[0].at);
      expect(span).to.be.within(1500, 3000);

      down.answers = [200];
      const redeliver = await api.postJson(`/v1/webhooks/${webhook.id}/deliveries/${dead!.id}/redeliver`, {});
      expect(redeliver.status).to.equal(202);
      const [delivered] = await eventually(async () => {
        const items = await deliveries(api, webhook.id);
        return items[0]?.state === "delivered" ? items : undefined;
      });
      expect(delivered!.attempts.at(-1)).to.include({ attempt: tries.length + 1, status: 200 });
      const last = down.received.at(-1)!;
      expect([last.id, last.verified, last.answered]).to.deep.equal([dead!.eventId, true, 200]);
    });

    it("refuses a URL of a non-public address at registration (422), and unknown events", async () => {
      const api = await newAccount(service, "Platform D");
      for (const url of [
        "http://10.0.0.1/hooks",
        "http://127.0.0.1:1/hooks",
        "https://[::1]:8443/hooks",
        "http://169.254.169.254/latest",
      ]) {
        const response = await api.postJson("/v1/webhooks", { url, events: ["*"] });
        expect(response.status, url).to.equal(422);
        expect(((await response.json()) as Json).code).to.equal("WEBHOOK_URL_FORBIDDEN");
      }
      const unknown = await api.postJson("/v1/webhooks", { url: ok.url, events: ["evidence.anchored", "notice.flied"] });
      expect(unknown.status).to.equal(422);
      const problem = (await unknown.json()) as Json;
      expect(problem.code).to.equal("WEBHOOK_EVENT_UNKNOWN");
      expect(problem.detail).to.include("'notice.flied'");
      const ftp = await api.postJson("/v1/webhooks", { url: "ftp://example.com/x", events: ["*"] });
      expect([ftp.status, ((await ftp.json()) as Json).code]).to.deep.equal([400, "WEBHOOK_URL_INVALID"]);
      expect(((await (await api.get("/v1/webhooks")).json()) as Json).items).to.deep.equal([]);
    });

    it("answers 404 for another account's webhook, and deletes one's own", async () => {
      const owner = await newAccount(service, "Platform E");
      const other = await newAccount(service, "Platform F");
      const webhook = await register(owner, ok, ["capture.finished"]);
      for (const response of [
        await other.get(`/v1/webhooks/${webhook.id}/deliveries`),
        await other.postJson(`/v1/webhooks/${webhook.id}/deliveries/dlv_x/redeliver`, {}),
        await other.delete(`/v1/webhooks/${webhook.id}`),
      ]) {
        expect(response.status).to.equal(404);
        expect(((await response.json()) as Json).code).to.equal("WEBHOOK_NOT_FOUND");
      }
      expect(((await (await other.get("/v1/webhooks")).json()) as Json).items).to.deep.equal([]);
      const missing = await owner.postJson(`/v1/webhooks/${webhook.id}/deliveries/dlv_x/redeliver`, {});
      expect([missing.status, ((await missing.json()) as Json).code]).to.deep.equal([404, "WEBHOOK_DELIVERY_NOT_FOUND"]);
      expect((await owner.delete(`/v1/webhooks/${webhook.id}`)).status).to.equal(204);
      expect(((await (await owner.get("/v1/webhooks")).json()) as Json).items).to.deep.equal([]);
    });

    it("registers one webhook for a registration retried with its Idempotency-Key, the replay without the secret", async () => {
      const account = (await (await client(service.url).postJson("/v1/accounts", { name: "Platform G" })).json()) as Json;
      const register = () =>
        fetch(`${service.url}/v1/webhooks`, {
          method: "POST",
          headers: { authorization: `Bearer ${account.apiKey}`, "content-type": "application/json", "idempotency-key": "hook-1" },
          body: JSON.stringify({ url: ok.url, events: ["capture.finished"] }),
        });
      const first = await register();
      const created = (await first.json()) as Json;
      expect(first.status).to.equal(201);
      expect(created.secret).to.match(/^whsec_/);
      const retry = await register();
      const { secret: _shownOnce, ...rest } = created;
      expect([retry.status, retry.headers.get("idempotent-replayed"), await retry.json()]).to.deep.equal([201, "true", rest]);
      const listed = ((await (await client(service.url, account.apiKey).get("/v1/webhooks")).json()) as Json).items;
      expect(listed.map((w: Json) => w.id)).to.deep.equal([created.id]);
    });
  });

  it("delivers an event through a receiver outage and a service restart", async () => {
    const dir = tempDir("webhooks-restart-");
    // A port that is free now: the receiver is down (connection refused) until it listens there.
    const probe = await webhookReceiver();
    const port = probe.port;
    await probe.close();
    const env = {
      WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${port}`,
      WEBHOOK_INTERVAL_MS: "50",
      WEBHOOK_RETRY_BASE_MS: "200",
      WEBHOOK_RETRY_MAX_MS: "500",
    };
    let service = await startTestService(dir.path, env);
    let receiver: Receiver | undefined;
    try {
      const account = (await (await client(service.url).postJson("/v1/accounts", { name: "Platform R" })).json()) as Json;
      let api = client(service.url, account.apiKey);
      const created = await api.postJson("/v1/webhooks", { url: `http://127.0.0.1:${port}/hooks`, events: ["evidence.anchored"] });
      const webhook = (await created.json()) as Json;
      const id = await upload(api);
      const failed = await eventually(async () => {
        const items = await deliveries(api, webhook.id);
        return items[0]?.attempts.length >= 2 ? items[0] : undefined;
      });
      expect(failed.state).to.equal("pending");
      expect(failed.attempts[0].error).to.match(/ECONNREFUSED/);
      expect(failed.attempts[0]).to.not.have.property("status");

      await service.stop();
      receiver = await webhookReceiver([200], port);
      receiver.secret = webhook.secret;
      service = await startTestService(dir.path, env);
      api = client(service.url, account.apiKey);
      const message = await eventually(
        () => receiver!.received.find((m) => m.body.data.id === id),
        20_000,
        "the delivery after the restart",
      );
      expect([message.verified, message.id, message.body.type]).to.deep.equal([true, failed.eventId, "evidence.anchored"]);
      const delivered = await eventually(async () => {
        const items = await deliveries(api, webhook.id);
        return items[0]?.state === "delivered" ? items[0] : undefined;
      });
      expect(delivered.attempts.length).to.be.at.least(3);
      expect(delivered.attempts.at(-1)).to.include({ status: 200 });
      expect(delivered.attempts.slice(0, -1).every((a: Json) => /ECONNREFUSED/.test(a.error))).to.equal(true);
    } finally {
      await service.stop();
      await receiver?.close();
      dir.remove();
    }
  });

  it("sends again at once after a restart an attempt the stop cut short, not a lease later", async () => {
    const dir = tempDir("webhooks-hung-");
    // The receiver holds the first request unanswered: the service is stopped while that POST is in flight.
    const receiver = await webhookReceiver([0, 200]);
    const env = { WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}`, WEBHOOK_INTERVAL_MS: "50" };
    let service = await startTestService(dir.path, env);
    try {
      const account = (await (await client(service.url).postJson("/v1/accounts", { name: "Platform H" })).json()) as Json;
      let api = client(service.url, account.apiKey);
      const webhook = await register(api, receiver, ["evidence.anchored"]);
      const id = await upload(api);
      await eventually(() => receiver.received.find((m) => m.body.data.id === id), 20_000, "the first attempt");

      await service.stop();
      service = await startTestService(dir.path, env);
      api = client(service.url, account.apiKey);
      // The claim lasts WEBHOOK_TIMEOUT_MS × 2 + 15 s (35 s): given back at the stop, the attempt is made at once.
      const delivered = await eventually(
        async () => {
          const [item] = await deliveries(api, webhook.id);
          return item?.state === "delivered" ? item : undefined;
        },
        10_000,
        "the delivery after the restart",
      );
      expect(delivered.attempts.map((a: Json) => [a.attempt, a.status])).to.deep.equal([[1, 200]]);
      expect(receiver.received.map((m) => [m.id, m.answered, m.verified])).to.deep.equal([
        [delivered.eventId, 0, true],
        [delivered.eventId, 200, true],
      ]);
    } finally {
      await service.stop();
      await receiver.close();
      dir.remove();
    }
  });
});
