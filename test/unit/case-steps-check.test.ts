import { expect } from "chai";
import { sha256Hex } from "../../src/domain/hashing.ts";
import { verifyBundle } from "../../src/use-cases/verify-bundle.ts";

/** A case bundle's step folders, as files in memory: the documents alone (none anchored yet). */
function bundleOf(files: Record<string, string>) {
  const bytes = (path: string) => new TextEncoder().encode(files[path]!);
  return {
    paths: Object.keys(files),
    read: async (path: string) => bytes(path),
    async *stream(path: string) {
      yield bytes(path);
    },
  };
}

function chain(n: number, tamper?: (doc: Record<string, unknown>) => void): Record<string, string> {
  const files: Record<string, string> = { "INDEX.txt": "index", "01-notice.filed/metadata.json": "{}" };
  let previous: { evidenceId: string; sha256: string } | null = null;
  for (let seq = 1; seq <= n; seq++) {
    const doc: Record<string, unknown> = { version: "case-event/v1", case: "ntc_1", seq, type: `step-${seq}`, previous };
    if (seq === 2) tamper?.(doc);
    const text = JSON.stringify(doc);
    files[`0${seq}-step-${seq}/step-${seq}.json`] = text;
    previous = { evidenceId: `ev_${seq}`, sha256: sha256Hex(text) };
  }
  return files;
}

describe("a case bundle's chain of steps", () => {
  it("warns, and proves no time, when the steps are chained but none has its receipt yet", async () => {
    const result = await verifyBundle(bundleOf(chain(3)));
    expect(result.items).to.deep.equal([]);
    expect(result.steps).to.deep.equal({
      id: "case.steps",
      label: "the case's steps",
      status: "warn",
      detail:
        "steps 1 to 3 of case ntc_1 are here, each naming the one before it by SHA-256; steps 1, 2, 3 had no receipt when the bundle was made: their time is not proven (download the bundle again once anchored)",
    });
  });

  it("fails a step that names another document as the one before it", async () => {
    const result = await verifyBundle(bundleOf(chain(3, (doc) => (doc.previous = { evidenceId: "ev_1", sha256: "0".repeat(64) }))));
    expect(result.steps?.status).to.equal("fail");
    expect(result.steps?.detail).to.match(
      /^step 2 \(02-step-2\/step-2\.json\) names as the step before it \{"evidenceId":"ev_1","sha256":"0{64}"\}, not SHA-256 [0-9a-f]{64}$/,
    );
  });

  it("fails a bundle a step was taken out of, and one whose steps name two cases", async () => {
    const files = chain(3);
    delete files["02-step-2/step-2.json"];
    expect((await verifyBundle(bundleOf(files))).steps?.detail).to.equal(
      "step 2 is not in this bundle (next is step 3, 03-step-3/step-3.json)",
    );
    const mixed = await verifyBundle(bundleOf(chain(2, (doc) => (doc.case = "ntc_2"))));
    expect(mixed.steps).to.include({ status: "fail", detail: "the steps name 2 cases: ntc_1, ntc_2" });
  });
});

describe("a case bundle's chain of steps, with a step withheld from its reader", () => {
  it("keeps the chain through the withheld step's marker, warns that it is not checked, and fails a marker the next step does not name", async () => {
    const files = chain(3);
    const second = files["02-step-2/step-2.json"]!;
    delete files["02-step-2/step-2.json"];
    const marker = (sha256: string) =>
      JSON.stringify({
        version: "case-step-withheld/v1",
        case: "ntc_1",
        seq: 2,
        type: "step-2",
        evidenceId: "ev_2",
        sha256,
        reason: "not yours",
      });
    files["02-step-2/withheld.json"] = marker(sha256Hex(second));
    const result = await verifyBundle(bundleOf(files));
    expect(result.steps).to.deep.equal({
      id: "case.steps",
      label: "the case's steps",
      status: "warn",
      detail:
        "steps 1 to 3 of case ntc_1 are in order, each naming the one before it by SHA-256; withheld from this bundle's reader, its content and time not checked here: step 2 (not yours)",
    });
    files["02-step-2/withheld.json"] = marker("1".repeat(64));
    expect((await verifyBundle(bundleOf(files))).steps?.status).to.equal("fail");
  });
});
