/** EvidenceRepository in SQL (SQLite and PostgreSQL alike, through Kysely). */
import type { Kysely, Selectable } from "kysely";
import type { EvidenceStatus } from "../../domain/evidence.ts";
import type { BatchProofs, EvidenceRecord, EvidenceRepository, NewEvidence, PendingItem } from "../../ports/evidence-repository.ts";
import { ANCHOR_COLUMNS, anchorFrom } from "./batch-repository.ts";
import type { Database } from "./schema.ts";

type Row = Selectable<Database["evidence"]> & {
  batch_root: string | null;
  chain_id: number | null;
  registry: string | null;
  tx_hash: string | null;
  block_number: number | null;
  block_hash: string | null;
  timestamp: number | null;
  registry_version: string | null;
};

export class SqlEvidenceRepository implements EvidenceRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(records: NewEvidence[]): Promise<void> {
    if (records.length === 0) return;
    await this.#db
      .insertInto("evidence")
      .values(
        records.map((r) => ({
          id: r.id,
          account_id: r.accountId,
          kind: r.kind,
          sha256: r.sha256,
          size: r.size,
          media_type: r.mediaType,
          cid: r.cid,
          metadata_json: JSON.stringify(r.metadata),
          metadata_sha256: r.metadataSha256,
          received_at: r.receivedAt,
        })),
      )
      .execute();
  }

  #select() {
    return this.#db
      .selectFrom("evidence as e")
      .leftJoin("batches as b", "b.id", "e.batch_id")
      .leftJoin("anchors as a", "a.batch_id", "e.batch_id")
      .selectAll("e")
      .select(["b.root as batch_root", ...ANCHOR_COLUMNS]);
  }

  async get(accountId: string, id: string): Promise<EvidenceRecord | null> {
    const row = await this.#select().where("e.id", "=", id).where("e.account_id", "=", accountId).executeTakeFirst();
    return row ? toEvidence(row as Row) : null;
  }

  async getMany(accountId: string, ids: readonly string[]): Promise<EvidenceRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.#select().where("e.id", "in", ids).where("e.account_id", "=", accountId).execute();
    return (rows as Row[]).map(toEvidence);
  }

  async list(accountId: string, query: { sha256?: string; limit: number; cursor?: string }) {
    let q = this.#select()
      .where("e.account_id", "=", accountId)
      .where("e.seq", ">", query.cursor ? Number(query.cursor) : 0);
    if (query.sha256) q = q.where("e.sha256", "=", query.sha256);
    const rows = (await q
      .orderBy("e.seq")
      .limit(query.limit + 1)
      .execute()) as Row[];
    const items = rows.slice(0, query.limit).map(toEvidence);
    const nextCursor = rows.length > query.limit ? String(rows[query.limit - 1]!.seq) : null;
    return { items, nextCursor };
  }

  async countByStatus(): Promise<Record<EvidenceStatus, number>> {
    const counts: Record<EvidenceStatus, number> = { pending: 0, anchored: 0, failed: 0 };
    const rows = await this.#db
      .selectFrom("evidence")
      .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
      .groupBy("status")
      .execute();
    for (const row of rows) counts[row.status as EvidenceStatus] = Number(row.n);
    return counts;
  }

  async oldestPendingReceivedAt(): Promise<string | null> {
    const row = await this.#db
      .selectFrom("evidence")
      .select((eb) => eb.fn.min("received_at").as("at"))
      .where("status", "=", "pending")
      .executeTakeFirst();
    return row?.at ?? null;
  }

  async isContentReferenced(cid: string): Promise<boolean> {
    const evidence = await this.#db.selectFrom("evidence").select("id").where("cid", "=", cid).limit(1).executeTakeFirst();
    if (evidence) return true;
    // A fixed certificate's PDF is content too: never released, even if someone uploads the same bytes and is refused.
    return (
      (await this.#db.selectFrom("certificates").select("evidence_id").where("cid", "=", cid).limit(1).executeTakeFirst()) !== undefined
    );
  }

  async nextPending(max: number): Promise<PendingItem[]> {
    const rows = await this.#db
      .selectFrom("evidence")
      .select(["id", "sha256", "metadata_sha256"])
      .where("status", "=", "pending")
      .where("batch_id", "is", null)
      .orderBy("seq")
      .limit(max)
      .execute();
    return rows.map((r) => ({ id: r.id, sha256: r.sha256, metadataSha256: r.metadata_sha256 }));
  }

  async assignToBatch(batchId: string, proofs: BatchProofs): Promise<void> {
    for (const [itemId, p] of Object.entries(proofs)) {
      const result = await this.#db
        .updateTable("evidence")
        .set({ batch_id: batchId, leaf_json: JSON.stringify(p.leaf), proof_json: JSON.stringify(p.proof) })
        .where("id", "=", itemId)
        .where("status", "=", "pending")
        .where("batch_id", "is", null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) throw new Error(`evidence ${itemId} is no longer waiting for a batch`);
    }
  }

  async itemsOf(batchId: string): Promise<string[]> {
    const rows = await this.#db.selectFrom("evidence").select("id").where("batch_id", "=", batchId).orderBy("seq").execute();
    return rows.map((r) => r.id);
  }

  async markAnchored(batchId: string) {
    const rows = await this.#db
      .updateTable("evidence")
      .set({ status: "anchored" })
      .where("batch_id", "=", batchId)
      .returning(["id", "account_id"])
      .execute();
    return rows.map((r) => ({ id: r.id, accountId: r.account_id }));
  }

  async returnToQueue(batchId: string, reason: string, maxAttempts: number) {
    const rows = await this.#db
      .updateTable("evidence")
      .set((eb) => {
        const exhausted = eb("attempts", ">=", maxAttempts - 1);
        return {
          attempts: eb("attempts", "+", 1),
          status: eb.case().when(exhausted).then("failed").else("pending").end(),
          failure_reason: eb.case().when(exhausted).then(reason).else(null).end(),
          batch_id: eb.case().when(exhausted).then(eb.ref("batch_id")).else(null).end(),
          leaf_json: null,
          proof_json: null,
        };
      })
      .where("batch_id", "=", batchId)
      .returning(["id", "account_id", "status"])
      .execute();
    return rows.filter((r) => r.status === "failed").map((r) => ({ id: r.id, accountId: r.account_id }));
  }

  async requeueLost(batchId: string) {
    const rows = await this.#db
      .updateTable("evidence")
      .set({ status: "pending", batch_id: null, leaf_json: null, proof_json: null })
      .where("batch_id", "=", batchId)
      .returning(["id", "account_id"])
      .execute();
    return rows.map((r) => ({ id: r.id, accountId: r.account_id }));
  }
}

function toEvidence(row: Row): EvidenceRecord {
  const record: EvidenceRecord = {
    id: row.id,
    accountId: row.account_id,
    kind: row.kind as EvidenceRecord["kind"],
    sha256: row.sha256,
    size: Number(row.size),
    mediaType: row.media_type,
    cid: row.cid,
    metadata: JSON.parse(row.metadata_json),
    metadataSha256: row.metadata_sha256,
    status: row.status as EvidenceStatus,
    receivedAt: row.received_at,
  };
  if (row.failure_reason != null) record.failureReason = row.failure_reason;
  if (row.batch_id != null) record.batchId = row.batch_id;
  if (record.status === "anchored" && row.batch_root != null && row.chain_id != null) {
    record.merkle = { leaf: JSON.parse(row.leaf_json!), proof: JSON.parse(row.proof_json!), root: row.batch_root };
    record.anchor = anchorFrom(row as Parameters<typeof anchorFrom>[0]);
  }
  return record;
}
