/** BatchRepository in SQL: batches and the anchors of those that made it on chain. */
import type { Kysely, Selectable } from "kysely";
import type { AnchorFacts } from "../../domain/receipt.ts";
import type { Batch, BatchRepository, BatchState, SignedTx } from "../../ports/batch-repository.ts";
import type { Database } from "./schema.ts";

export class SqlBatchRepository implements BatchRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async create(batch: { id: string; root: string; createdAt: string }): Promise<void> {
    await this.#db
      .insertInto("batches")
      .values({ id: batch.id, root: batch.root, state: "prepared", created_at: batch.createdAt })
      .execute();
  }

  async open(): Promise<Omit<Batch, "itemIds">[]> {
    const rows = await this.#db
      .selectFrom("batches")
      .selectAll()
      .where("state", "in", ["prepared", "sent"])
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map(toBatch);
  }

  async recordSigned(batchId: string, tx: SignedTx): Promise<void> {
    await this.#db
      .updateTable("batches")
      .set((eb) => ({
        state: "sent",
        tx_hash: tx.txHash,
        raw_tx: tx.rawTx,
        nonce: tx.nonce,
        from_block: tx.fromBlock,
        attempts: eb("attempts", "+", 1),
      }))
      .where("id", "=", batchId)
      .execute();
  }

  async clearSigned(batchId: string, reason: string): Promise<void> {
    await this.#db
      .updateTable("batches")
      .set({ state: "prepared", tx_hash: null, raw_tx: null, nonce: null, last_error: reason })
      .where("id", "=", batchId)
      .execute();
  }

  async markAnchored(batchId: string, anchor: AnchorFacts, at: string): Promise<void> {
    await this.#db
      .insertInto("anchors")
      .values({
        batch_id: batchId,
        chain_id: anchor.chainId,
        registry: anchor.registry,
        tx_hash: anchor.txHash,
        block_number: anchor.blockNumber,
        block_hash: anchor.blockHash,
        timestamp: anchor.timestamp,
        anchored_at: at,
        registry_version: anchor.registryVersion,
      })
      .execute();
    await this.#db
      .updateTable("batches")
      .set({ state: "anchored", tx_hash: anchor.txHash, raw_tx: null })
      .where("id", "=", batchId)
      .execute();
  }

  async abandon(batchId: string, reason: string, from: BatchState[]): Promise<boolean> {
    const result = await this.#db
      .updateTable("batches")
      .set({ state: "abandoned", last_error: reason })
      .where("id", "=", batchId)
      .where("state", "in", from)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    await this.#db.deleteFrom("anchors").where("batch_id", "=", batchId).execute();
    return true;
  }

  async recentAnchors(max: number) {
    const rows = await this.#db
      .selectFrom("anchors as a")
      .innerJoin("batches as b", "b.id", "a.batch_id")
      .select(["b.id as batch_id", "b.root", ...ANCHOR_COLUMNS])
      .where("b.state", "=", "anchored")
      .orderBy("a.block_number", "desc")
      .orderBy("a.anchored_at", "desc")
      .limit(max)
      .execute();
    return rows.map((row) => ({ batchId: row.batch_id, root: row.root, anchor: anchorFrom(row) }));
  }

  async countByState(): Promise<Record<BatchState, number>> {
    const counts: Record<BatchState, number> = { prepared: 0, sent: 0, anchored: 0, abandoned: 0 };
    const rows = await this.#db
      .selectFrom("batches")
      .select(["state", (eb) => eb.fn.countAll<number>().as("n")])
      .groupBy("state")
      .execute();
    for (const row of rows) counts[row.state as BatchState] = Number(row.n);
    return counts;
  }
}

/** The columns anchorFrom reads, from the anchors table joined as `a`. */
export const ANCHOR_COLUMNS = [
  "a.chain_id",
  "a.registry",
  "a.tx_hash",
  "a.block_number",
  "a.block_hash",
  "a.timestamp",
  "a.registry_version",
] as const;

/** An anchor's facts from its row (numbers may arrive as strings from PostgreSQL's bigint). */
export function anchorFrom(row: {
  chain_id: number | string | null;
  registry: string | null;
  tx_hash: string | null;
  block_number: number | string | null;
  block_hash: string | null;
  timestamp: number | string | null;
  registry_version: string | null;
}): AnchorFacts {
  return {
    chainId: Number(row.chain_id),
    registry: String(row.registry),
    txHash: String(row.tx_hash),
    blockNumber: Number(row.block_number),
    blockHash: String(row.block_hash),
    timestamp: Number(row.timestamp),
    // Anchors recorded before the version was kept were all made by version 1, the only one then.
    registryVersion: row.registry_version ?? "1",
  };
}

function toBatch(row: Selectable<Database["batches"]>): Omit<Batch, "itemIds"> {
  const batch: Omit<Batch, "itemIds"> = {
    id: row.id,
    root: row.root,
    state: row.state as BatchState,
    createdAt: row.created_at,
    attempts: Number(row.attempts),
  };
  if (row.tx_hash != null && row.raw_tx != null) {
    batch.tx = { txHash: row.tx_hash, rawTx: row.raw_tx, nonce: Number(row.nonce), fromBlock: Number(row.from_block) };
  }
  return batch;
}
