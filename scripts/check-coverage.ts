/**
 * Fails unless every line of every contract was executed by the contract tests, as reported by
 * `hardhat test --coverage` (coverage/lcov.info). A new branch without a test fails the build.
 */
import { readFileSync } from "node:fs";

const lcov = readFileSync("coverage/lcov.info", "utf8");
let failed = false;
for (const record of lcov.split("end_of_record").filter((r) => r.includes("SF:"))) {
  const file = /SF:(.+)/.exec(record)![1]!;
  const found = Number(/LF:(\d+)/.exec(record)?.[1] ?? 0);
  const hit = Number(/LH:(\d+)/.exec(record)?.[1] ?? 0);
  const missed = [...record.matchAll(/DA:(\d+),0\b/g)].map((m) => m[1]);
  console.log(`${file}: ${hit}/${found} lines`);
  if (hit < found || missed.length > 0) {
    console.error(`  not covered: lines ${missed.join(", ")}`);
    failed = true;
  }
}
if (failed) process.exit(1);
