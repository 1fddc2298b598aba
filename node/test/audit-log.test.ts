/**
 * The audit log on a real SQLite file: canonical entries, gap-free sequence numbers, the hash
 * chain, group commit, batches and their inclusion proofs, reopening.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { hexToBytes } from "viem";
import {
  AuditLogError,
  canonicalJson,
  leafHash,
  openAuditLog,
  requestEntry,
  verifyInclusion,
  verifyLog,
  ZERO_HASH,
  type AuditLog,
} from "../src/audit/index.ts";

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "ns-llm-audit-log-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => openAuditLog({ file: path.join(dir, `audit-${n++}.db`) });

describe("canonical JSON", () => {
  it("sorts keys recursively, drops whitespace, keeps JSON's number and string forms", () => {
    assert.equal(canonicalJson({ b: 1, a: [3, { d: null, c: "é\n" }], "": true, B: 1e21, x: undefined }), '{"":true,"B":1e+21,"a":[3,{"c":"é\\n","d":null}],"b":1}');
    assert.equal(canonicalJson({ "\u20ac": 1, "\r": 2, "1": 3, "€a": 4 }), '{"\\r":2,"1":3,"€":1,"€a":4}');
    assert.equal(canonicalJson(-0), "0");
    assert.equal(canonicalJson(0.1 + 0.2), "0.30000000000000004");
  });

  it("refuses what JSON cannot carry faithfully, naming where", () => {
    assert.throws(() => canonicalJson({ a: { b: NaN } }), /\$\.a\.b is NaN/);
    assert.throws(() => canonicalJson([Infinity]), /\$\[0\] is Infinity/);
    assert.throws(() => canonicalJson({ n: 1n }), /bigint/);
    assert.throws(() => canonicalJson([undefined]), /undefined/);
    assert.throws(() => canonicalJson({ d: new Date(0) }), /Date object/);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.throws(() => canonicalJson(cycle), /deeper/);
  });
});

describe("AuditLog", () => {
  it("appends gap-free from seq 0, stores canonical bytes hashed as RFC 6962 leaves, chained by prev", async () => {
    const log = fresh();
    const a = await log.append({ type: "governance", step: "adopted", role: "generation", version: 1 });
    const b = await log.append(requestEntry({ route: "/generate", model: "demo", input: "hello", output: "world", parameters: { temperature: 0.7 } }));
    assert.deepEqual([a.seq, b.seq], [0, 1]);
    const first = log.get(0)!;
    const second = log.get(1)!;
    assert.equal(first.entry.prev, ZERO_HASH);
    assert.equal(second.entry.prev, a.leaf);
    assert.equal(second.entry.type, "request");
    assert.equal(second.entry.input, undefined, "no raw text unless the operator opts in");
    assert.match(String(second.entry.inputSha256), /^0x[0-9a-f]{64}$/);
    const bytes = new TextEncoder().encode(canonicalJson(second.entry));
    assert.equal(second.leaf, b.leaf);
    assert.deepEqual(hexToBytes(b.leaf), leafHash(bytes));
    assert.equal(typeof first.entry.time, "string");
    assert.deepEqual(log.entries(1, 10).map((r) => r.seq), [1]);
    assert.equal(log.get(2), undefined);
    await log.close();
  });

  it("keeps the raw text when the operator opts in", () => {
    const e = requestEntry({ route: "/embed", input: ["a", "b"], recordText: true });
    assert.deepEqual(e.input, ["a", "b"]);
    assert.equal(e.outputSha256, undefined);
  });

  it("refuses bad entries with a clear error and appends nothing", async () => {
    const log = fresh();
    await assert.rejects(log.append({ type: "request", route: "/x", inputSha256: "0x00", ms: NaN }), (e: unknown) => e instanceof AuditLogError && e.code === "invalid_entry" && /\$\.ms is NaN/.test(e.message));
    await assert.rejects(log.append({ type: "request", seq: 5 } as never), /"seq" is set by the audit log/);
    await assert.rejects(log.append({ type: "Bad Type" }), /type must match/);
    await assert.rejects(log.append({ type: "x", big: 10n }), /bigint/);
    assert.equal(log.size, 0);
    await log.append({ type: "startup" });
    assert.equal(log.size, 1);
    await log.close();
  });

  it("commits entries that arrive together in one transaction (group commit), in order", async () => {
    const log = fresh();
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => log.append({ type: "request", route: "/embed", i })));
    assert.deepEqual(results.map((r) => r.seq), Array.from({ length: 300 }, (_, i) => i));
    assert.equal(log.status().commits, 1);
    assert.deepEqual(log.entries(0, 300).map((r) => r.entry.i), Array.from({ length: 300 }, (_, i) => i));
    await log.close();
  });

  it("acknowledges an append only after the sync that makes it durable; one sync covers a group", async () => {
    const log = fresh();
    // Each append checks, when it resolves, that a sync has completed since it was committed.
    const seen: number[] = [];
    const appends = Array.from({ length: 32 }, (_, i) => log.append({ type: "request", route: "/embed", i }).then(() => seen.push(log.status().syncs)));
    await Promise.all(appends);
    assert.deepEqual(seen, Array(32).fill(1));
    assert.deepEqual([log.status().commits, log.status().syncs], [1, 1]);
    // Appends of later turns, not awaited one by one: every one is acknowledged after a sync of its own transaction or a later one.
    const more = [];
    for (let i = 0; i < 5; i++) {
      more.push(log.append({ type: "request", route: "/embed", i }).then(() => log.status().syncs));
      await new Promise((r) => setImmediate(r));
    }
    const syncsAtAck = await Promise.all(more);
    assert.ok(syncsAtAck.every((s) => s >= 2), String(syncsAtAck));
    const { commits, syncs } = log.status();
    assert.ok(syncs <= commits, `${syncs} syncs for ${commits} transactions`);
    assert.equal(log.size, 37);
    await log.close();
  });

  it("continues the sequence and the chain after reopening", async () => {
    const file = path.join(dir, "reopen.db");
    let log = openAuditLog({ file });
    await log.append({ type: "a" });
    const { leaf } = await log.append({ type: "b" });
    await log.close();
    log = openAuditLog({ file });
    const next = await log.append({ type: "c" });
    assert.equal(next.seq, 2);
    assert.equal(log.get(2)!.entry.prev, leaf);
    assert.equal((await verifyLog({ log })).ok, true);
    await log.close();
  });

  for (const size of [1, 2, 3, 7, 8, 1000]) {
    it(`proves every entry of a batch of ${size}`, async () => {
      const log = fresh();
      // A first batch of 5 so the batch under test starts past seq 0.
      await Promise.all(Array.from({ length: 5 }, (_, i) => log.append({ type: "pad", i })));
      assert.equal(log.closeBatch()!.size, 5);
      await Promise.all(Array.from({ length: size }, (_, i) => log.append({ type: "request", route: "/generate", i })));
      const batch = log.closeBatch()!;
      assert.deepEqual([batch.index, batch.fromSeq, batch.toSeq, batch.size], [1, 5, 4 + size, size]);
      for (let seq = batch.fromSeq; seq <= batch.toSeq; seq++) {
        const p = log.proof(seq);
        assert.equal(p.root, batch.root);
        assert.equal(p.index, seq - batch.fromSeq);
        // What an outside verifier does: hash the entry text, walk the path to the root.
        const leaf = leafHash(new TextEncoder().encode(p.entry));
        assert.equal(p.leaf, log.get(seq)!.leaf);
        assert.ok(verifyInclusion(leaf, p.index, p.batch.size, p.proof.map((h) => hexToBytes(h)), hexToBytes(p.root)), `seq ${seq}`);
      }
      assert.equal(log.batchContaining(4)!.index, 0);
      const check = await verifyLog({ log });
      assert.deepEqual(check.problems, []);
      assert.equal(check.entries, 5 + size);
      await log.close();
    });
  }

  it("says why there is no proof: unknown seq, or a batch not closed yet", async () => {
    const log = fresh();
    await log.append({ type: "a" });
    assert.throws(() => log.proof(0), (e: unknown) => e instanceof AuditLogError && e.code === "not_batched");
    assert.throws(() => log.proof(7), (e: unknown) => e instanceof AuditLogError && e.code === "not_found");
    await log.close();
  });

  it("closes batches of at most maxSize, and none of only anchor entries when asked", async () => {
    const log = fresh();
    await Promise.all(Array.from({ length: 25 }, () => log.append({ type: "x" })));
    assert.equal(log.closeBatch({ maxSize: 10 })!.toSeq, 9);
    assert.equal(log.closeBatch({ maxSize: 10 })!.toSeq, 19);
    assert.equal(log.closeBatch({ maxSize: 10 })!.toSeq, 24);
    assert.equal(log.closeBatch(), undefined);
    await log.append({ type: "anchor", batch: 0 });
    assert.equal(log.closeBatch({ requireNonAnchor: true }), undefined);
    await log.append({ type: "request" });
    assert.deepEqual([log.closeBatch({ requireNonAnchor: true })!.fromSeq], [25]);
    const status = log.status();
    assert.deepEqual(
      { entries: status.entries, batches: status.batches, batchedThrough: status.batchedThrough, anchoredThrough: status.anchoredThrough, pendingBatches: status.pendingBatches, unbatched: status.unbatched },
      { entries: 27, batches: 4, batchedThrough: 26, anchoredThrough: null, pendingBatches: 4, unbatched: 0 },
    );
    await log.close();
  });

  it("lets two handles on one file append without colliding (server and CLI)", async () => {
    const file = path.join(dir, "two.db");
    const one: AuditLog = openAuditLog({ file });
    const two: AuditLog = openAuditLog({ file });
    const seqs = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).append({ type: "x", i })));
    assert.deepEqual(seqs.map((s) => s.seq).sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i));
    assert.equal((await verifyLog({ log: one })).ok, true);
    await one.close();
    await two.close();
  });
});
