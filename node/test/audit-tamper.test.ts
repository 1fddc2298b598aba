/**
 * Tampering with the audit database behind the log's back (the SQLite file opened directly, as an
 * attacker with disk access would): editing, deleting, reordering or inserting any one entry makes
 * verification fail and name the sequence numbers concerned.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { canonicalJson, leafHash, openAuditLog, verifyEntry, verifyLog, type AuditProblem } from "../src/audit/index.ts";

const SIZE = 30;
let dir: string;
let pristine: string;
let copies = 0;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "ns-llm-audit-tamper-"));
  pristine = path.join(dir, "pristine.db");
  const log = openAuditLog({ file: pristine });
  for (let i = 0; i < SIZE; i++) {
    await log.append({ type: "request", route: "/generate", i });
    if (i % 8 === 7) log.closeBatch();
  }
  log.closeBatch(); // batches: 0..7, 8..15, 16..23, 24..29
  await log.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Copies the pristine log, lets `tamper` change the file with raw SQL, and verifies the result. */
async function tampered(tamper: (db: DatabaseSync) => void): Promise<AuditProblem[]> {
  const file = path.join(dir, `copy-${copies++}.db`);
  copyFileSync(pristine, file);
  const db = new DatabaseSync(file);
  tamper(db);
  db.close();
  const log = openAuditLog({ file });
  try {
    const result = await verifyLog({ log });
    assert.equal(result.ok, result.problems.length === 0);
    return result.problems;
  } finally {
    await log.close();
  }
}

const names = (problems: AuditProblem[], seq: number, kind?: AuditProblem["kind"]) =>
  problems.some((p) => (!kind || p.kind === kind) && p.seq !== undefined && p.seq <= seq && seq <= (p.toSeq ?? p.seq));

const rowOf = (db: DatabaseSync, seq: number) => db.prepare("SELECT entry, leaf FROM entries WHERE seq = ?").get(seq) as { entry: Uint8Array; leaf: Uint8Array };
const rewrite = (bytes: Uint8Array, change: (e: Record<string, unknown>) => void) => {
  const e = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  change(e);
  return new TextEncoder().encode(canonicalJson(e));
};

describe("audit verification against a tampered database", () => {
  it("passes on the untouched log", async () => {
    assert.deepEqual(await tampered(() => {}), []);
  });

  it("names any one edited entry (its bytes changed, its leaf left as it was)", async () => {
    for (let seq = 0; seq < SIZE; seq++) {
      const problems = await tampered((db) => {
        const bytes = rewrite(rowOf(db, seq).entry, (e) => (e.route = "/forged"));
        db.prepare("UPDATE entries SET entry = ? WHERE seq = ?").run(bytes, seq);
      });
      assert.ok(names(problems, seq, "edited"), `seq ${seq}: ${JSON.stringify(problems)}`);
      assert.ok(problems.every((p) => p.seq! <= seq && seq <= (p.toSeq ?? p.seq!)), `only seq ${seq} and its batch are named: ${JSON.stringify(problems)}`);
    }
  });

  it("names any one entry rewritten whole (bytes and leaf together)", async () => {
    for (let seq = 0; seq < SIZE; seq++) {
      const problems = await tampered((db) => {
        const bytes = rewrite(rowOf(db, seq).entry, (e) => (e.route = "/forged"));
        db.prepare("UPDATE entries SET entry = ?, leaf = ? WHERE seq = ?").run(bytes, leafHash(bytes), seq);
      });
      assert.ok(names(problems, seq), `seq ${seq}: ${JSON.stringify(problems)}`);
      // The next entry's prev no longer matches (the last one is caught by its batch root).
      if (seq < SIZE - 1) assert.ok(names(problems, seq, "broken-chain"), `seq ${seq}: ${JSON.stringify(problems)}`);
      assert.ok(problems.some((p) => p.kind === "batch-root" && p.seq! <= seq && seq <= p.toSeq!), `seq ${seq}: ${JSON.stringify(problems)}`);
    }
  });

  it("names any one deleted entry", async () => {
    for (let seq = 0; seq < SIZE; seq++) {
      const problems = await tampered((db) => db.prepare("DELETE FROM entries WHERE seq = ?").run(seq));
      assert.ok(names(problems, seq, "missing"), `seq ${seq}: ${JSON.stringify(problems)}`);
    }
  });

  it("names both entries of any swapped pair (reordered)", async () => {
    for (let seq = 0; seq + 1 < SIZE; seq++) {
      const problems = await tampered((db) => {
        const [a, b] = [rowOf(db, seq), rowOf(db, seq + 1)];
        const swap = db.prepare("UPDATE entries SET entry = ?, leaf = ? WHERE seq = ?");
        swap.run(b.entry, b.leaf, seq);
        swap.run(a.entry, a.leaf, seq + 1);
      });
      assert.ok(names(problems, seq, "moved") && names(problems, seq + 1, "moved"), `seq ${seq}: ${JSON.stringify(problems)}`);
    }
  });

  it("names the entries displaced by an inserted one", async () => {
    const at = 10;
    const problems = await tampered((db) => {
      db.exec(`UPDATE entries SET seq = seq + 1000000 WHERE seq >= ${at}; UPDATE entries SET seq = seq - 999999 WHERE seq >= 1000000;`);
      const prev = rowOf(db, at - 1).leaf;
      const bytes = rewrite(rowOf(db, at + 1).entry, (e) => {
        e.route = "/inserted";
        e.prev = `0x${Buffer.from(prev).toString("hex")}`;
      });
      db.prepare("INSERT INTO entries (seq, type, entry, leaf) VALUES (?, 'request', ?, ?)").run(at, bytes, leafHash(bytes));
    });
    assert.ok(names(problems, at + 1, "moved"), JSON.stringify(problems));
    assert.ok(problems.some((p) => p.kind === "batch-root" && p.seq! <= at && at <= p.toSeq!), JSON.stringify(problems));
  });

  it("names a batch whose stored root was changed, and entries cut from the end of a batch", async () => {
    const root = await tampered((db) => db.prepare("UPDATE batches SET root = ? WHERE idx = 2").run(new Uint8Array(32).fill(7)));
    assert.deepEqual(root.map((p) => [p.kind, p.batch, p.seq, p.toSeq]), [["batch-root", 2, 16, 23]]);
    const cut = await tampered((db) => db.exec("DELETE FROM entries WHERE seq >= 27"));
    assert.ok(names(cut, 27, "missing") && names(cut, 29, "missing"), JSON.stringify(cut));
  });

  it("verifies one entry on its own and names what is wrong with it", async () => {
    const file = path.join(dir, `copy-${copies++}.db`);
    copyFileSync(pristine, file);
    const db = new DatabaseSync(file);
    const bytes = rewrite(rowOf(db, 12).entry, (e) => (e.route = "/forged"));
    db.prepare("UPDATE entries SET entry = ? WHERE seq = ?").run(bytes, 12);
    db.close();
    const log = openAuditLog({ file });
    assert.equal((await verifyEntry({ log, seq: 11 })).ok, true);
    const bad = await verifyEntry({ log, seq: 12 });
    assert.equal(bad.ok, false);
    assert.deepEqual(bad.problems.map((p) => [p.kind, p.seq]), [["edited", 12], ["batch-root", 12]]);
    assert.deepEqual((await verifyEntry({ log, seq: 99 })).problems.map((p) => p.kind), ["missing"]);
    await log.close();
  });
});
