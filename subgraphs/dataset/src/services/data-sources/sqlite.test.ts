import Database from "better-sqlite3";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteDriver } from "./sqlite.js";

const dir = mkdtempSync(join(tmpdir(), "ods-sqlite-driver-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("SqliteDriver", () => {
  it("answers every query, however fast its reader process exits after answering", async () => {
    // The reader exits right after sending its answer; a parent that was busy meanwhile used to see that exit
    // before the answer, and failed the query with "The SQLite reader stopped (exit code 0)".
    const file = join(dir, "fast.db");
    const db = new Database(file);
    db.exec("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1), (2), (3);");
    db.close();
    const driver = new SqliteDriver(file);
    const limits = { limit: 100, timeoutMs: 10_000 };
    for (let i = 0; i < 4; i++) {
      const answer = driver.query("SELECT n FROM t", limits);
      // A busy process: by the time it looks, the reader has both answered and exited.
      const until = Date.now() + 400;
      while (Date.now() < until);
      expect((await answer).rows).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    }
  });

  it("reports SQLite's own error for a file that is not a database", async () => {
    const file = join(dir, "not-a.db");
    writeFileSync(file, "plain text, not SQLite");
    await expect(new SqliteDriver(file).test()).rejects.toThrow(/not a database/i);
  });
});
