import { expect } from "chai";
import { openSqliteIndex } from "../../src/adapters/index/sql-index-store.ts";
import { isAppError } from "../../src/errors.ts";
import { requireQueueRoom } from "../../src/use-cases/capture-listing.ts";

describe("an account's room in the capture queue", () => {
  it("counts its queued and running captures, not others' nor ended ones, and refuses what would pass the limit", async () => {
    const index = await openSqliteIndex(":memory:");
    try {
      for (const id of ["acc_a", "acc_b"])
        await index.accounts.create({ id, name: id, role: "rights-holder", createdAt: "2026-11-27T10:00:00.000Z" });
      const queue = (id: string, accountId: string) =>
        index.captures.create({ id, accountId, url: `https://m.example/${id}`, requestedAt: "2026-11-27T10:00:00.000Z" });
      await queue("cap_1", "acc_a");
      await queue("cap_2", "acc_a");
      await queue("cap_3", "acc_b");
      await index.captures.claim(1, "worker", 60_000); // cap_1 runs: still waiting to end
      expect(await index.captures.countWaiting("acc_a")).to.equal(2);
      await requireQueueRoom(index.captures, "acc_a", 1, 3);
      const refused = await requireQueueRoom(index.captures, "acc_a", 2, 3).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isAppError(refused) && [refused.code, refused.message]).to.deep.equal([
        "CAPTURE_QUEUE_FULL",
        "This account has 2 captures waiting and may have at most 3: try again once some have run",
      ]);
      await requireQueueRoom(index.captures, "acc_b", 2, 3);
    } finally {
      await index.close();
    }
  });
});
