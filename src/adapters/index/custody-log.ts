/**
 * The custody log in SQL. An append reads the head row, writes the entry after it and moves the head,
 * in one transaction: on PostgreSQL the head row is locked (FOR UPDATE) until commit, so appends from
 * every instance queue on it and each sees the one before; on SQLite one writer runs the transactions
 * one after another (group commit gives each its savepoint), so a rolled-back append frees its seq for
 * the next. The log's rows cannot be updated or deleted (triggers, migration 6 / 3).
 */
import type { Kysely, Selectable } from "kysely";
import { linkCustodyEntry, type AnchoredCustodyHead, type NewCustodyEntry } from "../../domain/custody-log.ts";
import type { CustodyHeadRef, CustodyLog, StoredCustodyEntry } from "../../ports/custody-log.ts";
import { ANCHOR_COLUMNS, anchorFrom } from "./batch-repository.ts";
import type { Dialect } from "./dialect.ts";
import type { Database } from "./schema.ts";

export class SqlCustodyLog implements CustodyLog {
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async append(entry: NewCustodyEntry): Promise<StoredCustodyEntry> {
    // Outside a unit of work, PostgreSQL runs each statement on its own: take a transaction for the three.
    if (this.#dialect === "postgres" && !this.#db.isTransaction) {
      return this.#db.transaction().execute((tx) => new SqlCustodyLog(tx, this.#dialect).append(entry));
    }
    let query = this.#db.selectFrom("custody_head").select(["seq", "hash"]).where("id", "=", 1);
    if (this.#dialect === "postgres") query = query.forUpdate();
    const head = await query.executeTakeFirstOrThrow();
    const seq = Number(head.seq) + 1;
    const { json, hash } = linkCustodyEntry(head.hash, { ...entry, seq });
    const row = { seq, evidence_id: entry.evidenceId ?? null, entry_json: json, prev: head.hash, hash };
    await this.#db.insertInto("custody_log").values(row).execute();
    await this.#db.updateTable("custody_head").set({ seq, hash }).where("id", "=", 1).execute();
    return toStored(row);
  }

  async head(): Promise<CustodyHeadRef> {
    const head = await this.#db.selectFrom("custody_head").select(["seq", "hash"]).where("id", "=", 1).executeTakeFirstOrThrow();
    return { seq: Number(head.seq), hash: head.hash };
  }

  async range(from: number, to: number): Promise<StoredCustodyEntry[]> {
    const rows = await this.#db
      .selectFrom("custody_log")
      .selectAll()
      .where("seq", ">=", from)
      .where("seq", "<=", to)
      .orderBy("seq")
      .execute();
    return rows.map(toStored);
  }

  async seqsOf(evidenceId: string): Promise<number[]> {
    const rows = await this.#db.selectFrom("custody_log").select("seq").where("evidence_id", "=", evidenceId).orderBy("seq").execute();
    return rows.map((r) => Number(r.seq));
  }

  async recordBatchHead(batchId: string, head: CustodyHeadRef & { leaf: [string, string]; proof: string[] }): Promise<void> {
    await this.#db
      .insertInto("batch_custody_heads")
      .values({
        batch_id: batchId,
        seq: head.seq,
        hash: head.hash,
        leaf_json: JSON.stringify(head.leaf),
        proof_json: JSON.stringify(head.proof),
      })
      .execute();
  }

  async anchoredHeadFrom(seq: number): Promise<AnchoredCustodyHead | null> {
    const row = await this.#anchoredHeads()
      .where("h.seq", ">=", seq)
      .orderBy("h.seq")
      .orderBy("a.block_number")
      .limit(1)
      .executeTakeFirst();
    return row ? toHead(row) : null;
  }

  async anchoredHeadBefore(seq: number): Promise<AnchoredCustodyHead | null> {
    const row = await this.#anchoredHeads()
      .where("h.seq", "<", seq)
      .orderBy("h.seq", "desc")
      .orderBy("a.block_number")
      .limit(1)
      .executeTakeFirst();
    return row ? toHead(row) : null;
  }

  async anchoredHeadsIn(from: number, to: number): Promise<AnchoredCustodyHead[]> {
    const rows = await this.#anchoredHeads()
      .where("h.seq", ">=", from)
      .where("h.seq", "<=", to)
      .orderBy("h.seq")
      .orderBy("a.block_number")
      .execute();
    // Two batches may anchor the same head (nothing was logged between them): the first anchor serves.
    return rows.filter((row, i) => i === 0 || Number(rows[i - 1]!.seq) !== Number(row.seq)).map(toHead);
  }

  #anchoredHeads() {
    return this.#db
      .selectFrom("batch_custody_heads as h")
      .innerJoin("batches as b", "b.id", "h.batch_id")
      .innerJoin("anchors as a", "a.batch_id", "h.batch_id")
      .select(["h.seq", "h.hash", "h.leaf_json", "h.proof_json", "b.root", ...ANCHOR_COLUMNS])
      .where("b.state", "=", "anchored");
  }
}

function toStored(row: Selectable<Database["custody_log"]>): StoredCustodyEntry {
  return { seq: Number(row.seq), prev: row.prev, hash: row.hash, evidenceId: row.evidence_id, entryJson: row.entry_json };
}

function toHead(
  row: { seq: number | string; hash: string; leaf_json: string; proof_json: string; root: string } & Parameters<typeof anchorFrom>[0],
): AnchoredCustodyHead {
  return {
    seq: Number(row.seq),
    hash: row.hash,
    leaf: JSON.parse(row.leaf_json),
    proof: JSON.parse(row.proof_json),
    root: row.root,
    anchor: anchorFrom(row),
  };
}
