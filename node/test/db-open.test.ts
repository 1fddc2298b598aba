/** The SQLite opener and the user_version migration helper, on real files. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { migrate, openDatabase } from "../src/db/index.ts";

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "ns-llm-db-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("openDatabase", () => {
  it("creates the folder and opens with WAL, synchronous=FULL, a busy timeout and foreign keys", () => {
    const db = openDatabase(path.join(dir, "a/b/test.db"), { busyTimeoutMs: 1234 });
    const pragma = (name: string) => Object.values(db.prepare(`PRAGMA ${name}`).get()!)[0];
    assert.equal(pragma("journal_mode"), "wal");
    assert.equal(pragma("synchronous"), 2);
    assert.equal(pragma("busy_timeout"), 1234);
    assert.equal(pragma("foreign_keys"), 1);
    db.close();
  });
});

describe("migrate", () => {
  it("applies each step once, in order, and records the version", () => {
    const file = path.join(dir, "m.db");
    const steps = ["CREATE TABLE a (x INTEGER)", (db: import("node:sqlite").DatabaseSync) => db.exec("INSERT INTO a VALUES (1)")];
    let db = openDatabase(file);
    assert.equal(migrate(db, steps), 2);
    assert.equal(migrate(db, steps), 2);
    db.close();
    db = openDatabase(file);
    assert.equal(migrate(db, [...steps, "ALTER TABLE a ADD COLUMN y TEXT"]), 3);
    assert.deepEqual({ ...db.prepare("SELECT x, y FROM a").get() }, { x: 1, y: null });
    assert.throws(() => migrate(db, steps), /schema version 3, newer than this program knows \(2\)/);
    db.close();
  });

  it("rolls a failing step back and leaves the version where it was", () => {
    const db = openDatabase(path.join(dir, "f.db"));
    assert.throws(() => migrate(db, ["CREATE TABLE ok (x)", "CREATE TABLE bad (x); SELECT nope FROM nowhere"]), /no such table/);
    assert.equal(Object.values(db.prepare("PRAGMA user_version").get()!)[0], 1);
    assert.equal(db.prepare("SELECT name FROM sqlite_master WHERE name = 'bad'").get(), undefined);
    db.close();
  });
});
