/**
 * Notice and takedown: what a notice, a decision, a counter-notice and a response must hold, and the
 * states a case goes through. The elements follow the EU Digital Services Act (arts. 16, 17, 20) and
 * the US DMCA (17 U.S.C. §512(c)(3), §512(g)); docs/notice-and-takedown-law.md cites each.
 */
import { z } from "zod";
import { ListingSnapshotSchema } from "./listing-snapshot.ts";

export const NOTICE_STATUSES = [
  "filed",
  "decided",
  "rejected",
  "counter-noticed",
  "action-filed",
  "restoration-due",
  "restored",
  "upheld",
  "withdrawn",
] as const;
export type NoticeStatus = (typeof NOTICE_STATUSES)[number];
/** No step follows these. */
export const CLOSED_STATUSES: readonly NoticeStatus[] = ["rejected", "restored", "upheld", "withdrawn"];

export const NOTICE_EVENT_TYPES = [
  "notice.filed",
  "notice.decided",
  "takedown.preserved",
  "counter-notice.filed",
  "notice.response",
  "notice.restoration-due",
  "notice.final-decision",
  "notice.overdue",
] as const;
export type NoticeEventType = (typeof NOTICE_EVENT_TYPES)[number];

export type ListingAction = "remove" | "restrict" | "reject";

export interface NoticeListing {
  url: string;
  listingId: string;
  /** The seller as the platform named it in its decision: its respondents are parties to the case. */
  sellerId?: string;
  /** The seller as the notifier named it (a claim: it binds no one). */
  reportedSellerId?: string;
  /** What the platform decided about it. */
  action?: ListingAction;
  /** When its respondent counter-noticed it, and when its restoration falls due. */
  counterNoticedAt?: string;
  restorationDueAt?: string;
  /** Its restoration delay passed (announced). */
  restorationFallenDue?: boolean;
  /** The rights-holder said it filed an action: no restoration falls due. */
  actionFiled?: boolean;
  /** The final decision on its counter-notice. */
  outcome?: "restored" | "upheld";
  /** Set when a final decision restored it. */
  restored?: boolean;
}

/** A listing removed or restricted, counter-noticed, with no final decision yet. */
export const awaitingFinalDecision = (l: NoticeListing) => l.counterNoticedAt !== undefined && l.outcome === undefined;

/** Its restoration is still to fall due: counter-noticed, undecided, not yet fallen due, no action filed. */
export const restorationPending = (l: NoticeListing): l is NoticeListing & { restorationDueAt: string } =>
  awaitingFinalDecision(l) && !l.restorationFallenDue && !l.actionFiled && l.restorationDueAt !== undefined;

/**
 * A decided case's status, from its listings: counter-notices still open come first (restoration due,
 * then counter-noticed, then an action filed on all of them); then, once every listing removed or
 * restricted has a final decision, restored (at least one restored) or upheld; else decided.
 */
export function decidedStatus(listings: readonly NoticeListing[]): NoticeStatus {
  const taken = listings.filter((l) => l.action === "remove" || l.action === "restrict");
  if (taken.length === 0) return "rejected";
  const open = taken.filter(awaitingFinalDecision);
  if (open.some((l) => l.restorationFallenDue && !l.actionFiled)) return "restoration-due";
  if (open.some((l) => !l.actionFiled)) return "counter-noticed";
  if (open.length > 0) return "action-filed";
  if (taken.every((l) => l.outcome)) return taken.some((l) => l.outcome === "restored") ? "restored" : "upheld";
  return "decided";
}

/** What lists and reports show of a notice without reading its document. */
export interface NoticeSummary {
  right: { type: string; owner: string; jurisdiction: string; registrationNumber?: string };
  notifierName: string;
}

const text = (max: number) => z.string().trim().min(1).max(max);
const httpUrl = z.url({ protocol: /^https?$/ }).max(2048);
const id = text(200);

export const RIGHT_TYPES = ["trademark", "copyright", "design", "patent", "other"] as const;

export const NoticeSchema = z.strictObject({
  platform: id,
  listings: z
    .array(z.strictObject({ url: httpUrl, listingId: id, sellerId: id.optional() }))
    .min(1)
    .max(100)
    .refine((listings) => new Set(listings.map((l) => l.listingId)).size === listings.length, "each listingId once"),
  right: z.strictObject({
    type: z.enum(RIGHT_TYPES),
    owner: text(500),
    jurisdiction: text(100),
    registrationNumber: text(200).optional(),
    /** The work or mark, identified (DMCA §512(c)(3)(A)(ii)). */
    work: text(2000).optional(),
  }),
  explanation: text(20_000),
  notifier: z.strictObject({
    name: text(500),
    email: z.email().max(320),
    address: text(1000).optional(),
    phone: text(50).optional(),
    /** Acting for the owner: the agent's relation to it. */
    actingFor: text(500).optional(),
    signature: text(500),
  }),
  statements: z.strictObject({ goodFaith: z.literal(true), accuracy: z.literal(true), authorised: z.literal(true) }),
  evidenceIds: z.array(id).max(100).optional(),
  /** Capture each listing now, as it stands when reported. */
  capture: z.boolean().default(true),
});
export type NoticeInput = z.infer<typeof NoticeSchema>;

const StatementOfReasonsSchema = z.strictObject({
  facts: text(20_000),
  ground: z.enum(["illegal-content", "terms-of-service"]),
  legalGround: text(2000).optional(),
  contractualGround: text(2000).optional(),
  automatedDetection: z.boolean(),
  automatedDecision: z.boolean(),
  redress: text(2000),
});

export const DecisionSchema = z.strictObject({
  listings: z
    .array(
      z.strictObject({
        listingId: id,
        action: z.enum(["remove", "restrict", "reject"]),
        sellerId: id.optional(),
        restriction: text(2000).optional(),
      }),
    )
    .min(1)
    .max(100),
  statementOfReasons: StatementOfReasonsSchema,
  takedownSnapshots: z
    .array(z.strictObject({ listingId: id, snapshot: ListingSnapshotSchema }))
    .max(100)
    .default([]),
  /** Capture each removed or restricted listing before the removal is confirmed. */
  capture: z.boolean().default(true),
});
export type DecisionInput = z.infer<typeof DecisionSchema>;

export const CounterNoticeSchema = z.strictObject({
  listings: z.array(id).min(1).max(100),
  statement: text(20_000),
  /** The statement is made under penalty of perjury (DMCA §512(g)(3)(C)). */
  underPenaltyOfPerjury: z.literal(true),
  respondent: z.strictObject({ name: text(500), address: text(1000), email: z.email().max(320), phone: text(50) }),
  consentToJurisdiction: z.literal(true),
  /** Accepts service of process from the notifier (DMCA §512(g)(3)(D)). */
  acceptsServiceOfProcess: z.literal(true),
  signature: text(500),
});
export type CounterNoticeInput = z.infer<typeof CounterNoticeSchema>;

export const ResponseSchema = z.strictObject({
  type: z.enum(["withdraw", "action-filed"]),
  court: text(500).optional(),
  caseNumber: text(200).optional(),
  note: text(5000).optional(),
});
export type ResponseInput = z.infer<typeof ResponseSchema>;

export const FinalDecisionSchema = z.strictObject({
  /** The counter-noticed listings it decides: all of those still open by default. */
  listings: z.array(id).min(1).max(100).optional(),
  outcome: z.enum(["restore", "uphold"]),
  statementOfReasons: StatementOfReasonsSchema,
});
export type FinalDecisionInput = z.infer<typeof FinalDecisionSchema>;

/** An element a document must hold, and the provisions that ask for it. */
export interface RequiredElement {
  element: string;
  requiredBy: string[];
}

/** Statements must be made (true): false is a statement not made, hence missing. */
const STATEMENTS = new Set([
  "statements.goodFaith",
  "statements.accuracy",
  "statements.authorised",
  "consentToJurisdiction",
  "acceptsServiceOfProcess",
  "underPenaltyOfPerjury",
]);

const NOTICE_ELEMENTS: RequiredElement[] = [
  { element: "platform", requiredBy: ["this service: the platform the notice is addressed to"] },
  { element: "listings", requiredBy: ["DSA art. 16(2)(b)", "DMCA §512(c)(3)(A)(iii)"] },
  { element: "listings[].url", requiredBy: ["DSA art. 16(2)(b)", "DMCA §512(c)(3)(A)(iii)"] },
  { element: "listings[].listingId", requiredBy: ["this service: the platform's id of each listing, to decide on it"] },
  { element: "right.type", requiredBy: ["this service: the kind of right, to identify it (DMCA §512(c)(3)(A)(ii))"] },
  { element: "right.owner", requiredBy: ["DMCA §512(c)(3)(A)(vi)"] },
  { element: "right.jurisdiction", requiredBy: ["this service: where the right holds, to identify it"] },
  { element: "explanation", requiredBy: ["DSA art. 16(2)(a)", "DMCA §512(c)(3)(A)(ii)"] },
  { element: "notifier.name", requiredBy: ["DSA art. 16(2)(c)", "DMCA §512(c)(3)(A)(iv)"] },
  { element: "notifier.email", requiredBy: ["DSA art. 16(2)(c)", "DMCA §512(c)(3)(A)(iv)"] },
  { element: "notifier.signature", requiredBy: ["DMCA §512(c)(3)(A)(i)"] },
  { element: "statements.goodFaith", requiredBy: ["DMCA §512(c)(3)(A)(v)"] },
  { element: "statements.accuracy", requiredBy: ["DSA art. 16(2)(d)", "DMCA §512(c)(3)(A)(vi)"] },
  { element: "statements.authorised", requiredBy: ["DMCA §512(c)(3)(A)(vi)"] },
];

const COUNTER_NOTICE_ELEMENTS: RequiredElement[] = [
  { element: "listings", requiredBy: ["DMCA §512(g)(3)(B)"] },
  { element: "statement", requiredBy: ["DMCA §512(g)(3)(C)", "DSA art. 20(1)"] },
  { element: "underPenaltyOfPerjury", requiredBy: ["DMCA §512(g)(3)(C)"] },
  { element: "respondent.name", requiredBy: ["DMCA §512(g)(3)(D)"] },
  { element: "respondent.address", requiredBy: ["DMCA §512(g)(3)(D)"] },
  { element: "respondent.email", requiredBy: ["this service: to reach the respondent"] },
  { element: "respondent.phone", requiredBy: ["DMCA §512(g)(3)(D)"] },
  { element: "consentToJurisdiction", requiredBy: ["DMCA §512(g)(3)(D)"] },
  { element: "acceptsServiceOfProcess", requiredBy: ["DMCA §512(g)(3)(D)"] },
  { element: "signature", requiredBy: ["DMCA §512(g)(3)(A)"] },
];

const STATEMENT_OF_REASONS_ELEMENTS = (prefix: string): RequiredElement[] => [
  { element: `${prefix}.facts`, requiredBy: ["DSA art. 17(3)(b)"] },
  { element: `${prefix}.ground`, requiredBy: ["DSA art. 17(3)(d)", "DSA art. 17(3)(e)"] },
  { element: `${prefix}.automatedDetection`, requiredBy: ["DSA art. 17(3)(c)"] },
  { element: `${prefix}.automatedDecision`, requiredBy: ["DSA art. 17(3)(c)"] },
  { element: `${prefix}.redress`, requiredBy: ["DSA art. 17(3)(f)"] },
];

const DECISION_ELEMENTS: RequiredElement[] = [
  { element: "listings", requiredBy: ["DSA art. 17(3)(a)"] },
  { element: "listings[].action", requiredBy: ["DSA art. 17(3)(a)"] },
  ...STATEMENT_OF_REASONS_ELEMENTS("statementOfReasons"),
];

const FINAL_DECISION_ELEMENTS: RequiredElement[] = [
  { element: "outcome", requiredBy: ["DSA art. 20(4)", "DMCA §512(g)(2)(C)"] },
  ...STATEMENT_OF_REASONS_ELEMENTS("statementOfReasons"),
];

export const REQUIRED_ELEMENTS = {
  notice: NOTICE_ELEMENTS,
  decision: DECISION_ELEMENTS,
  "counter-notice": COUNTER_NOTICE_ELEMENTS,
  "final-decision": FINAL_DECISION_ELEMENTS,
} as const;

/** Absent, blank, an empty list, or a statement not made (false). */
function absent(value: unknown, statement: boolean): boolean {
  return (
    value === undefined ||
    value === null ||
    (statement && value === false) ||
    (typeof value === "string" && value.trim() === "") ||
    (Array.isArray(value) && value.length === 0)
  );
}

/** The ground's own element: the legal ground of illegal content (DSA art. 17(3)(d)), the contractual one otherwise (17(3)(e)). */
function groundElement(reasons: unknown, prefix: string): RequiredElement | undefined {
  const r = (reasons ?? {}) as { ground?: unknown; legalGround?: unknown; contractualGround?: unknown };
  if (r.ground === "illegal-content" && absent(r.legalGround, false))
    return { element: `${prefix}.legalGround`, requiredBy: ["DSA art. 17(3)(d)"] };
  if (r.ground === "terms-of-service" && absent(r.contractualGround, false)) {
    return { element: `${prefix}.contractualGround`, requiredBy: ["DSA art. 17(3)(e)"] };
  }
  return undefined;
}

/** The elements `body` lacks ("listings[].url" is checked in every listing). */
export function missingElements(body: unknown, elements: readonly RequiredElement[]): RequiredElement[] {
  const missing: RequiredElement[] = [];
  const reasons = elements.some((e) => e.element.startsWith("statementOfReasons."))
    ? groundElement((body as { statementOfReasons?: unknown } | null)?.statementOfReasons, "statementOfReasons")
    : undefined;
  for (const element of elements) {
    const [head, tail] = element.element.split("[].");
    const at = (value: unknown, path: string) =>
      path.split(".").reduce<unknown>((v, key) => (v && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined), value);
    if (tail === undefined) {
      if (absent(at(body, element.element), STATEMENTS.has(element.element))) missing.push(element);
      continue;
    }
    const list = at(body, head!);
    if (Array.isArray(list) && list.some((item) => absent(at(item, tail), false))) missing.push(element);
  }
  if (reasons) missing.push(reasons);
  return missing;
}

/** Adds `days` business days (Monday to Friday, UTC; public holidays are not known here) to `from`. */
export function addBusinessDays(from: Date, days: number): Date {
  const at = new Date(from);
  let left = days;
  while (left > 0) {
    at.setUTCDate(at.getUTCDate() + 1);
    const day = at.getUTCDay();
    if (day !== 0 && day !== 6) left--;
  }
  return at;
}

/** Which steps each status allows. */
export const NEXT_STEPS: Readonly<Record<NoticeStatus, readonly string[]>> = {
  filed: ["decision", "withdraw"],
  decided: ["counter-notice", "withdraw"],
  rejected: [],
  // Each respondent counters its own listings: one counter-notice does not close the way to another's.
  "counter-noticed": ["counter-notice", "action-filed", "withdraw", "final-decision"],
  "action-filed": ["counter-notice", "withdraw", "final-decision"],
  "restoration-due": ["counter-notice", "action-filed", "withdraw", "final-decision"],
  restored: [],
  upheld: [],
  withdrawn: [],
};
