/**
 * Asking TSAs for stamps, on a real (in-memory SQLite) index with the TSA replaced: a stop in the middle
 * gives back every claim not finished, so the next start asks at once instead of a lease later, and the
 * attempt the stop cut short is not counted as the TSA's failure.
 */
import { expect } from "chai";
import { openSqliteIndex } from "../../src/adapters/index/sql-index-store.ts";
import type { IndexStore } from "../../src/ports/index-store.ts";
import { stampDueRoots } from "../../src/use-cases/time-stamp-roots.ts";

const TSA = "https://tsa.example/tsr";
const ROOTS = [`0x${"11".repeat(32)}`, `0x${"22".repeat(32)}`];

describe("time-stamping batch roots", () => {
  let index: IndexStore;
  beforeEach(async () => {
    index = await openSqliteIndex(":memory:");
  });
  afterEach(() => index.close());

  it("gives back, when stopped mid-request, the stamp asked for and those after it", async () => {
    for (const root of ROOTS) await index.timestamps.request(root, [TSA], "2026-11-27T10:00:00.000Z");
    const stopping = new AbortController();
    const asked: number[] = [];
    const authority = {
      url: TSA,
      request: async (_der: Uint8Array, options?: { signal?: AbortSignal }): Promise<Uint8Array> => {
        asked.push(asked.length + 1);
        stopping.abort(); // the service stops while the TSA is being asked
        throw options?.signal?.reason;
      },
    };
    const deps = { timestamps: index.timestamps, authorities: [{ authority, trustAnchors: [] }], owner: "inst_a", leaseMs: 60_000 };
    expect(await stampDueRoots(deps, { signal: stopping.signal })).to.deep.equal({ stamped: 0, failed: 0 });
    expect(asked).to.deep.equal([1]);

    const stamps = [...(await index.timestamps.forRoot(ROOTS[0]!)), ...(await index.timestamps.forRoot(ROOTS[1]!))];
    expect(stamps.map((s) => [s.status, s.attempts, s.lastError ?? null])).to.deep.equal([
      ["pending", 0, null],
      ["pending", 0, null],
    ]);
    const next = await index.timestamps.claimDue([TSA], "inst_b", 60_000, 10);
    expect(next.map((s) => s.root).sort()).to.deep.equal(ROOTS);
  });
});
