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
  "takedown.confirmed",
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
  sellerId?: string;
  /** What the platform decided about it. */
  action?: ListingAction;
  /** Set when a final decision restored it. */
  restored?: boolean;
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
]);

const NOTICE_ELEMENTS: RequiredElement[] = [
  { element: "platform", requiredBy: ["this service: the platform the notice is addressed to"] },
  { element: "listings", requiredBy: ["DSA art. 16(2)(b)", "DMCA §512(c)(3)(A)(iii)"] },
  { element: "listings[].url", requiredBy: ["DSA art. 16(2)(b)", "DMCA §512(c)(3)(A)(iii)"] },
  { element: "listings[].listingId", requiredBy: ["DMCA §512(c)(3)(A)(iii)"] },
  { element: "right.type", requiredBy: ["DMCA §512(c)(3)(A)(ii)"] },
  { element: "right.owner", requiredBy: ["DMCA §512(c)(3)(A)(ii)", "DMCA §512(c)(3)(A)(vi)"] },
  { element: "right.jurisdiction", requiredBy: ["DSA art. 16(2)(a)"] },
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
  { element: "respondent.name", requiredBy: ["DMCA §512(g)(3)(D)"] },
  { element: "respondent.address", requiredBy: ["DMCA §512(g)(3)(D)"] },
  { element: "respondent.email", requiredBy: ["DMCA §512(g)(3)(D)"] },
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

/** The elements `body` lacks ("listings[].url" is checked in every listing). */
export function missingElements(body: unknown, elements: readonly RequiredElement[]): RequiredElement[] {
  const missing: RequiredElement[] = [];
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
  "counter-noticed": ["action-filed", "withdraw", "final-decision"],
  "action-filed": ["withdraw", "final-decision"],
  "restoration-due": ["action-filed", "withdraw", "final-decision"],
  restored: [],
  upheld: [],
  withdrawn: [],
};
