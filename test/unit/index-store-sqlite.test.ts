/** The index contract on SQLite in memory (no disk): the embedded default's repositories. */
import { openSqliteIndex } from "../../src/adapters/index/sql-index-store.ts";
import { describeIndexStore } from "../contract-suite/index-store.ts";

describeIndexStore("SQLite (in memory)", () => openSqliteIndex(":memory:"));
