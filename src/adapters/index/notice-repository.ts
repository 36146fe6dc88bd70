/**
 * NoticeRepository in SQL. A respondent's cases are found through notice_sellers (the seller ids bound
 * to each case); timers are claimed as deliveries are (FOR UPDATE SKIP LOCKED on PostgreSQL), with
 * leases on the database's clock and due times on the service's.
 */
import type { ExpressionBuilder, Kysely, Selectable } from "kysely";
import type { NoticeEventType, NoticeStatus } from "../../domain/notice.ts";
import type {
  CaseTimer,
  CaseViewer,
  NoticeCaptureRecord,
  NoticeEventRecord,
  NoticeFilter,
  NoticeRecord,
  NoticeRepository,
  TimerKind,
} from "../../ports/notice-repository.ts";
import { nowMs, type Dialect } from "./dialect.ts";
import type { Database } from "./schema.ts";

export class SqlNoticeRepository implements NoticeRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async create(notice: NoticeRecord, sellerIds: string[]): Promise<void> {
    await this.#db
      .insertInto("notices")
      .values({
        id: notice.id,
        notifier_id: notice.notifierId,
        platform_id: notice.platformId,
        status: notice.status,
        filed_at: notice.filedAt,
        decision_due_at: notice.decisionDueAt,
        decided_at: notice.decidedAt,
        overdue_at: notice.overdueAt,
        restoration_due_at: notice.restorationDueAt,
        closed_at: notice.closedAt,
        listings_json: JSON.stringify(notice.listings),
        summary_json: JSON.stringify(notice.summary),
      })
      .execute();
    await this.#bindSellers(notice.id, sellerIds);
  }

  async #bindSellers(noticeId: string, sellerIds: string[]): Promise<void> {
    const unique = [...new Set(sellerIds)];
    if (unique.length === 0) return;
    await this.#db
      .insertInto("notice_sellers")
      .values(unique.map((seller_id) => ({ notice_id: noticeId, seller_id })))
      .onConflict((oc) => oc.columns(["notice_id", "seller_id"]).doNothing())
      .execute();
  }

  async get(id: string): Promise<NoticeRecord | undefined> {
    const row = await this.#db.selectFrom("notices").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toNotice(row);
  }

  async lock(id: string): Promise<NoticeRecord | undefined> {
    // SQLite's transactions already run one at a time.
    let q = this.#db.selectFrom("notices").selectAll().where("id", "=", id);
    if (this.#dialect === "postgres") q = q.forUpdate();
    const row = await q.executeTakeFirst();
    return row && toNotice(row);
  }

  async update(
    id: string,
    change: Partial<Pick<NoticeRecord, "status" | "decidedAt" | "overdueAt" | "restorationDueAt" | "closedAt" | "listings">>,
    sellerIds?: string[],
  ): Promise<void> {
    const set = {
      ...(change.status !== undefined ? { status: change.status } : {}),
      ...(change.decidedAt !== undefined ? { decided_at: change.decidedAt } : {}),
      ...(change.overdueAt !== undefined ? { overdue_at: change.overdueAt } : {}),
      ...(change.restorationDueAt !== undefined ? { restoration_due_at: change.restorationDueAt } : {}),
      ...(change.closedAt !== undefined ? { closed_at: change.closedAt } : {}),
      ...(change.listings !== undefined ? { listings_json: JSON.stringify(change.listings) } : {}),
    };
    if (Object.keys(set).length > 0) await this.#db.updateTable("notices").set(set).where("id", "=", id).execute();
    if (sellerIds) {
      await this.#db.deleteFrom("notice_sellers").where("notice_id", "=", id).execute();
      await this.#bindSellers(id, sellerIds);
    }
  }

  async isParty(id: string, viewer: CaseViewer): Promise<boolean> {
    const row = await this.#db
      .selectFrom("notices as n")
      .select("n.id")
      .where("n.id", "=", id)
      .where((eb) => partyOf(eb, viewer))
      .executeTakeFirst();
    return row !== undefined;
  }

  async list(viewer: CaseViewer, filter: NoticeFilter, page: { limit: number; before?: string }): Promise<NoticeRecord[]> {
    let q = this.#db
      .selectFrom("notices as n")
      .selectAll("n")
      .where((eb) => partyOf(eb, viewer));
    if (filter.status) q = q.where("n.status", "=", filter.status);
    if (filter.platformId) q = q.where("n.platform_id", "=", filter.platformId);
    if (filter.overdue !== undefined) q = q.where("n.overdue_at", filter.overdue ? "is not" : "is", null);
    if (filter.from) q = q.where("n.filed_at", ">=", filter.from);
    if (filter.to) q = q.where("n.filed_at", "<", filter.to);
    if (page.before) q = q.where("n.id", "<", page.before);
    return (await q.orderBy("n.id", "desc").limit(page.limit).execute()).map(toNotice);
  }

  async filedBetween(from: string, to: string, platformId?: string, notifierId?: string): Promise<NoticeRecord[]> {
    let q = this.#db.selectFrom("notices").selectAll().where("filed_at", ">=", from).where("filed_at", "<", to);
    if (platformId) q = q.where("platform_id", "=", platformId);
    if (notifierId) q = q.where("notifier_id", "=", notifierId);
    return (await q.orderBy("id").execute()).map(toNotice);
  }

  async appendEvent(event: Omit<NoticeEventRecord, "seq">): Promise<NoticeEventRecord> {
    const last = await this.#db
      .selectFrom("notice_events")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .where("notice_id", "=", event.noticeId)
      .executeTakeFirst();
    const seq = Number(last?.seq ?? 0) + 1;
    await this.#db
      .insertInto("notice_events")
      .values({
        notice_id: event.noticeId,
        seq,
        id: event.id,
        type: event.type,
        actor_id: event.actorId,
        at: event.at,
        evidence_id: event.evidenceId,
        data_json: JSON.stringify(event.data),
      })
      .execute();
    return { ...event, seq };
  }

  async events(noticeId: string): Promise<NoticeEventRecord[]> {
    return this.eventsOf([noticeId]);
  }

  async eventsOf(noticeIds: string[]): Promise<NoticeEventRecord[]> {
    if (noticeIds.length === 0) return [];
    const rows = await this.#db
      .selectFrom("notice_events")
      .selectAll()
      .where("notice_id", "in", noticeIds)
      .orderBy("notice_id")
      .orderBy("seq")
      .execute();
    return rows.map((r) => ({
      noticeId: r.notice_id,
      seq: Number(r.seq),
      id: r.id,
      type: r.type as NoticeEventType,
      actorId: r.actor_id,
      at: r.at,
      evidenceId: r.evidence_id,
      data: JSON.parse(r.data_json) as Record<string, unknown>,
    }));
  }

  async addCaptures(captures: NoticeCaptureRecord[]): Promise<void> {
    if (captures.length === 0) return;
    await this.#db
      .insertInto("notice_captures")
      .values(
        captures.map((c) => ({
          notice_id: c.noticeId,
          capture_id: c.captureId,
          listing_id: c.listingId,
          purpose: c.purpose,
          event_seq: c.eventSeq,
        })),
      )
      .execute();
  }

  async captures(noticeId: string): Promise<NoticeCaptureRecord[]> {
    const rows = await this.#db
      .selectFrom("notice_captures as n")
      .innerJoin("captures as c", "c.id", "n.capture_id")
      .selectAll("n")
      .where("n.notice_id", "=", noticeId)
      // A step's captures in the order it asked for them (their queue order), not by their random ids.
      .orderBy("n.event_seq")
      .orderBy("c.seq")
      .execute();
    return rows.map((r) => ({
      noticeId: r.notice_id,
      captureId: r.capture_id,
      listingId: r.listing_id,
      purpose: r.purpose as NoticeCaptureRecord["purpose"],
      eventSeq: Number(r.event_seq),
    }));
  }

  async parties(noticeId: string): Promise<string[]> {
    const notice = await this.#db
      .selectFrom("notices")
      .select(["notifier_id", "platform_id"])
      .where("id", "=", noticeId)
      .executeTakeFirst();
    if (!notice) return [];
    const sellers = (await this.#db.selectFrom("notice_sellers").select("seller_id").where("notice_id", "=", noticeId).execute()).map(
      (r) => r.seller_id,
    );
    const respondents =
      sellers.length === 0
        ? []
        : (
            await this.#db
              .selectFrom("accounts")
              .select(["id", "seller_ids"])
              .where("party", "=", "respondent")
              .where("platform_id", "=", notice.platform_id)
              .execute()
          )
            .filter((a) => (JSON.parse(a.seller_ids ?? "[]") as string[]).some((s) => sellers.includes(s)))
            .map((a) => a.id);
    return [...new Set([notice.notifier_id, notice.platform_id, ...respondents])];
  }

  async setTimer(timer: CaseTimer): Promise<void> {
    await this.#db
      .insertInto("case_timers")
      .values({ id: timer.id, notice_id: timer.noticeId, kind: timer.kind, run_at: timer.runAt, state: "pending" })
      .onConflict((oc) =>
        oc.columns(["notice_id", "kind"]).doUpdateSet({ run_at: timer.runAt, state: "pending", lease_owner: null, lease_expires_at: null }),
      )
      .execute();
  }

  async cancelTimer(noticeId: string, kind: TimerKind): Promise<void> {
    await this.#db
      .updateTable("case_timers")
      .set({ state: "cancelled" })
      .where("notice_id", "=", noticeId)
      .where("kind", "=", kind)
      .where("state", "=", "pending")
      .execute();
  }

  async claimDueTimers(now: string, owner: string, leaseMs: number, max: number): Promise<CaseTimer[]> {
    const dbNow = nowMs(this.#dialect);
    let due = this.#db
      .selectFrom("case_timers")
      .select("id")
      .where("state", "=", "pending")
      .where("run_at", "<=", now)
      .where((eb) => eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<", dbNow)]))
      .orderBy("run_at")
      .limit(max);
    if (this.#dialect === "postgres") due = due.forUpdate().skipLocked();
    const rows = await this.#db
      .updateTable("case_timers")
      .set((eb) => ({ lease_owner: owner, lease_expires_at: eb(dbNow, "+", leaseMs) }))
      .where("id", "in", due)
      .returning(["id", "notice_id", "kind", "run_at"])
      .execute();
    return rows
      .map((r) => ({ id: r.id, noticeId: r.notice_id, kind: r.kind as TimerKind, runAt: r.run_at }))
      .sort((a, b) => a.runAt.localeCompare(b.runAt));
  }

  async finishTimer(id: string, owner: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("case_timers")
      .set({ state: "done", lease_owner: null, lease_expires_at: null })
      .where("id", "=", id)
      .where("lease_owner", "=", owner)
      .where("state", "=", "pending")
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async postponeTimer(id: string, owner: string, runAt: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("case_timers")
      .set({ run_at: runAt, lease_owner: null, lease_expires_at: null })
      .where("id", "=", id)
      .where("lease_owner", "=", owner)
      .where("state", "=", "pending")
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async pendingTimers(noticeId: string): Promise<CaseTimer[]> {
    const rows = await this.#db
      .selectFrom("case_timers")
      .selectAll()
      .where("notice_id", "=", noticeId)
      .where("state", "=", "pending")
      .orderBy("run_at")
      .execute();
    return rows.map((r) => ({ id: r.id, noticeId: r.notice_id, kind: r.kind as TimerKind, runAt: r.run_at }));
  }
}

/** The cases a viewer is party to. */
function partyOf(eb: ExpressionBuilder<Database & { n: Database["notices"] }, "n">, viewer: CaseViewer) {
  switch (viewer.role) {
    case "admin":
      return eb("n.id", "is not", null);
    case "rights-holder":
      return eb("n.notifier_id", "=", viewer.accountId);
    case "platform":
      return eb("n.platform_id", "=", viewer.accountId);
    case "respondent":
      return eb.and([
        eb("n.platform_id", "=", viewer.platformId),
        eb.exists(
          eb
            .selectFrom("notice_sellers as s")
            .select("s.seller_id")
            .whereRef("s.notice_id", "=", "n.id")
            .where("s.seller_id", "in", viewer.sellerIds.length > 0 ? viewer.sellerIds : [""]),
        ),
      ]);
  }
}

function toNotice(row: Selectable<Database["notices"]>): NoticeRecord {
  return {
    id: row.id,
    notifierId: row.notifier_id,
    platformId: row.platform_id,
    status: row.status as NoticeStatus,
    filedAt: row.filed_at,
    decisionDueAt: row.decision_due_at,
    decidedAt: row.decided_at,
    overdueAt: row.overdue_at,
    restorationDueAt: row.restoration_due_at,
    closedAt: row.closed_at,
    listings: JSON.parse(row.listings_json),
    summary: JSON.parse(row.summary_json),
  };
}
