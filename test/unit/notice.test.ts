import { expect } from "chai";
import { addBusinessDays, decidedStatus, missingElements, type NoticeListing, REQUIRED_ELEMENTS } from "../../src/domain/notice.ts";

describe("notice elements", () => {
  it("names every element a notice lacks, a statement not made (false) among them, in the law's order", () => {
    const body = {
      platform: "acc_p",
      listings: [{ url: "https://m.example/1", listingId: "1" }, { listingId: "2" }],
      right: { type: "trademark", owner: " ", jurisdiction: "EU" },
      explanation: "Counterfeit.",
      notifier: { name: "A", email: "a@b.example" },
      statements: { goodFaith: true, accuracy: false },
    };
    expect(missingElements(body, REQUIRED_ELEMENTS.notice).map((m) => m.element)).to.deep.equal([
      "listings[].url",
      "right.owner",
      "notifier.signature",
      "statements.accuracy",
      "statements.authorised",
    ]);
    expect(missingElements({}, REQUIRED_ELEMENTS.notice)).to.have.length(REQUIRED_ELEMENTS.notice.length - 2); // listings[] has no items to check
  });

  it("asks for the legal ground of illegal content, and the contractual one of a breach of terms (DSA art. 17(3)(d), (e))", () => {
    const reasons = { facts: "f", automatedDetection: false, automatedDecision: false, redress: "r" };
    const check = (r: object) => missingElements({ outcome: "uphold", statementOfReasons: r }, REQUIRED_ELEMENTS["final-decision"]);
    expect(check({ ...reasons, ground: "illegal-content" })).to.deep.equal([
      { element: "statementOfReasons.legalGround", requiredBy: ["DSA art. 17(3)(d)"] },
    ]);
    expect(check({ ...reasons, ground: "terms-of-service" })).to.deep.equal([
      { element: "statementOfReasons.contractualGround", requiredBy: ["DSA art. 17(3)(e)"] },
    ]);
    expect(check({ ...reasons, ground: "terms-of-service", contractualGround: "Terms §4.2" })).to.deep.equal([]);
  });

  it("takes false as an answer where it is one (automated decision: no)", () => {
    const reasons = {
      facts: "f",
      ground: "illegal-content",
      legalGround: "Art. 9 EUTMR",
      automatedDetection: false,
      automatedDecision: false,
      redress: "r",
    };
    expect(missingElements({ outcome: "uphold", statementOfReasons: reasons }, REQUIRED_ELEMENTS["final-decision"])).to.deep.equal([]);
  });
});

describe("business days", () => {
  it("counts Monday to Friday only", () => {
    // Friday 4 December 2026 → ten business days → Friday 18 December.
    expect(addBusinessDays(new Date("2026-12-04T10:00:00.000Z"), 10).toISOString()).to.equal("2026-12-18T10:00:00.000Z");
    // Saturday 5 December → the following Monday is the first → Friday 18 December.
    expect(addBusinessDays(new Date("2026-12-05T23:59:00.000Z"), 10).toISOString()).to.equal("2026-12-18T23:59:00.000Z");
    // Wednesday 23 December 2026 → 14 business days → Tuesday 12 January 2027 (holidays are not known here).
    expect(addBusinessDays(new Date("2026-12-23T09:00:00.000Z"), 14).toISOString()).to.equal("2027-01-12T09:00:00.000Z");
  });
});

describe("a decided case's status, from its listings", () => {
  const removed = (changes: Partial<NoticeListing> = {}): NoticeListing => ({
    url: "https://m.example/1",
    listingId: "1",
    action: "remove",
    ...changes,
  });
  const countered = { counterNoticedAt: "2026-12-05T10:00:00.000Z", restorationDueAt: "2026-12-18T10:00:00.000Z" };
  it("follows each listing's counter-notice and final decision", () => {
    expect(decidedStatus([{ ...removed(), action: "reject" }])).to.equal("rejected");
    expect(decidedStatus([removed()])).to.equal("decided");
    expect(decidedStatus([removed(countered), removed()])).to.equal("counter-noticed");
    expect(decidedStatus([removed({ ...countered, restorationFallenDue: true }), removed(countered)])).to.equal("restoration-due");
    expect(decidedStatus([removed({ ...countered, restorationFallenDue: true, actionFiled: true })])).to.equal("action-filed");
    expect(decidedStatus([removed({ ...countered, outcome: "restored" }), removed()])).to.equal("decided");
    expect(decidedStatus([removed({ ...countered, outcome: "restored" }), removed({ ...countered, outcome: "upheld" })])).to.equal(
      "restored",
    );
    expect(decidedStatus([removed({ ...countered, outcome: "upheld" }), { ...removed(), action: "reject" }])).to.equal("upheld");
  });
});
