/**
 * The delivery step on a real (in-memory SQLite) index, with the network replaced: the egress rule is
 * asked again before every attempt, and an address it refuses is never connected to — a host that
 * resolved to a public address at registration and to a private one now (DNS rebinding) gets nothing.
 */
import { expect } from "chai";
import { openSqliteIndex } from "../../src/adapters/index/sql-index-store.ts";
import type { EgressDecision } from "../../src/ports/egress-guard.ts";
import type { IndexStore } from "../../src/ports/index-store.ts";
import type { WebhookMessage } from "../../src/ports/webhook-sender.ts";
import { deliverDue, fanOut } from "../../src/use-cases/deliver-webhooks.ts";
import { outboxEvents } from "../../src/use-cases/outbox-events.ts";
import { registerWebhook } from "../../src/use-cases/webhooks.ts";

describe("webhook delivery checks the address again before every attempt", () => {
  let index: IndexStore;
  beforeEach(async () => {
    index = await openSqliteIndex(":memory:");
    await index.accounts.create({ id: "acc_1", name: "Platform", role: "rights-holder", createdAt: new Date().toISOString() });
  });
  afterEach(() => index.close());

  it("connects only to the address just checked, and records a refusal as a failed attempt", async () => {
    const answers: EgressDecision[] = [
      { address: "203.0.113.7", addresses: ["203.0.113.7"] }, // at registration
      { refused: "hooks.example resolves to 10.0.0.5, which is not a public address", addresses: ["10.0.0.5"] }, // first attempt
      { address: "198.51.100.9", addresses: ["198.51.100.9"] }, // second attempt
    ];
    const egress = { check: async () => answers.shift()! };
    const sent: WebhookMessage[] = [];
    const sender = {
      send: async (message: WebhookMessage) => {
        sent.push(message);
        return 204;
      },
    };
    const webhook = await registerWebhook({ index, egress }, { accountId: "acc_1", url: "https://hooks.example/in", events: ["*"] });
    await index.transaction((tx) =>
      tx.outbox.append(outboxEvents("capture.finished", [{ id: "cap_1", accountId: "acc_1" }], { status: "captured" })),
    );
    const deps = { index, egress, sender, retry: { baseMs: 10, maxMs: 10, windowMs: 60_000 }, owner: "inst_a", leaseMs: 5000 };
    expect(await fanOut(deps)).to.equal(1);

    expect(await deliverDue(deps, { signal: new AbortController().signal })).to.equal(1);
    expect(sent).to.deep.equal([]);
    await new Promise((r) => setTimeout(r, 30));
    expect(await deliverDue(deps, { signal: new AbortController().signal })).to.equal(1);
    expect(sent.map((m) => [m.url, m.address, m.secret === webhook.secret])).to.deep.equal([
      ["https://hooks.example/in", "198.51.100.9", true],
    ]);

    const [delivery] = await index.webhooks.deliveries(webhook.id, 10);
    expect(delivery!.state).to.equal("delivered");
    expect(delivery!.attemptLog.map((a) => [a.attempt, a.status ?? null, a.error ?? null])).to.deep.equal([
      [1, null, "refused: hooks.example resolves to 10.0.0.5, which is not a public address"],
      [2, 204, null],
    ]);
  });

  it("gives back the claim of an attempt a shutdown cut short, so the next start sends it at once", async () => {
    const egress = { check: async (): Promise<EgressDecision> => ({ address: "203.0.113.7", addresses: ["203.0.113.7"] }) };
    const stopping = new AbortController();
    const sender = {
      send: async (_message: WebhookMessage, options: { signal: AbortSignal }) => {
        stopping.abort(); // the service stops while the POST is in flight
        throw options.signal.reason;
      },
    };
    const webhook = await registerWebhook({ index, egress }, { accountId: "acc_1", url: "https://hooks.example/in", events: ["*"] });
    await index.transaction((tx) =>
      tx.outbox.append(outboxEvents("capture.finished", [{ id: "cap_1", accountId: "acc_1" }], { status: "captured" })),
    );
    const deps = { index, egress, sender, retry: { baseMs: 10, maxMs: 10, windowMs: 60_000 }, owner: "inst_a", leaseMs: 60_000 };
    await fanOut(deps);
    expect(await deliverDue(deps, { signal: stopping.signal })).to.equal(1);

    const [delivery] = await index.webhooks.deliveries(webhook.id, 10);
    expect([delivery!.state, delivery!.attempts, delivery!.attemptLog]).to.deep.equal(["pending", 0, []]);
    const [next] = await index.webhooks.claimDue("inst_b", 60_000, 10);
    expect([next!.id, next!.attempts]).to.deep.equal([delivery!.id, 1]);
  });
});
