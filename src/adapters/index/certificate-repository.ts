/** CertificateRepository in SQL: one row per (item, anchor), written once (the first insert wins). */
import type { Kysely, Selectable } from "kysely";
import type { CertificateRepository, StoredCertificate } from "../../ports/certificate-repository.ts";
import type { Database } from "./schema.ts";

export class SqlCertificateRepository implements CertificateRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async get(evidenceId: string, anchorTxHash: string): Promise<StoredCertificate | null> {
    const row = await this.#db
      .selectFrom("certificates")
      .selectAll()
      .where("evidence_id", "=", evidenceId)
      .where("anchor_tx_hash", "=", anchorTxHash)
      .executeTakeFirst();
    return row ? certificateOf(row) : null;
  }

  async record(c: StoredCertificate): Promise<StoredCertificate> {
    await this.#db
      .insertInto("certificates")
      .values({
        evidence_id: c.evidenceId,
        anchor_tx_hash: c.anchorTxHash,
        sha256: c.sha256,
        cid: c.cid,
        size: c.size,
        created_at: c.createdAt,
        signed: c.signed ? 1 : 0,
      })
      .onConflict((oc) => oc.columns(["evidence_id", "anchor_tx_hash"]).doNothing())
      .execute();
    // The row is never updated nor deleted: whichever insert came first is there to read.
    return (await this.get(c.evidenceId, c.anchorTxHash))!;
  }
}

function certificateOf(row: Selectable<Database["certificates"]>): StoredCertificate {
  return {
    evidenceId: row.evidence_id,
    anchorTxHash: row.anchor_tx_hash,
    sha256: row.sha256,
    cid: row.cid,
    size: Number(row.size),
    createdAt: row.created_at,
    signed: Number(row.signed) === 1,
  };
}
