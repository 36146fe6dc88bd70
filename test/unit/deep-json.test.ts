import { expect } from "chai";
import { z } from "zod";
import { illFormedStringPath, nestedDeeperThan } from "../../src/domain/canonical-json.ts";
import { parseReceipt } from "../../src/domain/receipt-schema.ts";
import { isAppError } from "../../src/errors.ts";
import { parseInput } from "../../src/http/validation.ts";

/** `{"a":{"a":…{"a":"end"}}}`, `depth` objects deep. */
function nested(depth: number, leaf: unknown = "end"): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe("JSON from outside, nested deep", () => {
  it("refuses a body nested 5000 deep with 400 INVALID_REQUEST, and a receipt as unreadable, without exhausting the stack", () => {
    const body = { explanation: nested(5000) };
    let caught: unknown;
    try {
      parseInput(z.object({ explanation: z.string() }), body);
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught) && caught.code).to.equal("INVALID_REQUEST");
    expect((caught as Error).message).to.equal("the body nests deeper than 64 levels");
    expect(parseReceipt(nested(5000))).to.deep.equal({ error: "it nests deeper than 64 levels" });
  });

  it("counts levels exactly, and finds a lone surrogate however deep", () => {
    expect(nestedDeeperThan(nested(64))).to.equal(false);
    expect(nestedDeeperThan(nested(65))).to.equal(true);
    expect(nestedDeeperThan([[[]]], 2)).to.equal(true);
    expect(illFormedStringPath(nested(3, "\ud800"))).to.equal("a.a.a");
    expect(illFormedStringPath(nested(10_000, "\ud800"))?.length).to.equal(2 * 10_000 - 1);
    expect(illFormedStringPath({ ok: "fine", list: ["x", { ["k\udc00"]: 1 }] })).to.equal("list.1.k\ufffd");
  });
});
