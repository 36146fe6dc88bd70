/**
 * A case's captures go before routine ones only while the case may still end in a removal: withdrawn, or
 * rejected, its captures still waiting go back among routine ones, so that filing a notice and
 * withdrawing it is no way to the front of the queue. The real use-cases on the real (in-memory SQLite)
 * index; the content store in memory and the egress rule stand in for the network.
 */
import { expect } from "chai";
import { openSqliteIndex } from "../../src/adapters/index/sql-index-store.ts";
import { DecisionSchema, NoticeSchema, ResponseSchema } from "../../src/domain/notice.ts";
import type { Account } from "../../src/ports/account-repository.ts";
import type { IndexStore } from "../../src/ports/index-store.ts";
import type { CaseDeps } from "../../src/use-cases/case-steps.ts";
import { decideNotice, fileNotice, respondToNotice } from "../../src/use-cases/notices.ts";
import { noticeOf, REASONS } from "../fixtures/notice-documents.ts";
import { memoryStore } from "../helpers/memory-store.ts";

const T0 = "2026-11-27T10:00:00.000Z";

describe("a notice's captures in the shared queue", () => {
  let index: IndexStore;
  let deps: CaseDeps;
  const holder: Account = { id: "acc_h", name: "Brand", role: "rights-holder", createdAt: T0 };
  const platform: Account = { id: "acc_p", name: "Marketplace", role: "platform", createdAt: T0 };
  const actor = (account: Account) => ({
    account,
    access: { accountId: account.id, keyId: `key_${account.id}`, method: "POST", route: "/v1/notices" },
  });
  const listing = (id: string) => ({ url: `https://marketplace.example/item/${id}`, listingId: id });
  const priorities = async () => Object.fromEntries((await index.captures.list(holder.id, 10)).map((c) => [c.listingId, c.priority]));

  beforeEach(async () => {
    index = await openSqliteIndex(":memory:");
    for (const account of [holder, platform]) await index.accounts.create(account);
    deps = {
      index,
      store: memoryStore(),
      egress: { check: async () => ({ address: "203.0.113.7", addresses: ["203.0.113.7"] }) },
      maxWaitingCaptures: 100,
      now: () => new Date(),
      platformDefaults: { decisionDueHours: 24, counterNoticeWindowDays: 184, restoreAfterBusinessDays: 10 },
    };
  });
  afterEach(() => index.close());

  it("go back among routine captures when the notice is withdrawn", async () => {
    const filed = await fileNotice(deps, actor(holder), NoticeSchema.parse(noticeOf(platform.id, [listing("1"), listing("2")])));
    expect(await priorities()).to.deep.equal({ "1": 1, "2": 1 });
    await respondToNotice(deps, actor(holder), filed.id, ResponseSchema.parse({ type: "withdraw" }));
    expect(await priorities()).to.deep.equal({ "1": 0, "2": 0 });
  });

  it("go back among routine captures when the platform rejects the notice", async () => {
    const filed = await fileNotice(deps, actor(holder), NoticeSchema.parse(noticeOf(platform.id, [listing("1")])));
    const { legalGround: _law, ...reasons } = REASONS;
    await decideNotice(
      deps,
      actor(platform),
      filed.id,
      DecisionSchema.parse({
        listings: [{ listingId: "1", action: "reject" }],
        statementOfReasons: { ...reasons, ground: "terms-of-service", contractualGround: "Terms of sale, section 4" },
      }),
    );
    expect(await priorities()).to.deep.equal({ "1": 0 });
  });
});
