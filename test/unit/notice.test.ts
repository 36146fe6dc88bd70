import { expect } from "chai";
import { addBusinessDays, missingElements, REQUIRED_ELEMENTS } from "../../src/domain/notice.ts";

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

  it("takes false as an answer where it is one (automated decision: no)", () => {
    const reasons = { facts: "f", ground: "illegal-content", automatedDetection: false, automatedDecision: false, redress: "r" };
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
