/**
 * The audit routes on a real fastify instance (inject): listing with bounded pages, proofs, and
 * clear JSON errors for bad input, unknown entries and entries whose batch is still open.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { hexToBytes } from "viem";
import { leafHash, openAuditLog, verifyInclusion, type AuditLog, type AuditProof } from "../src/audit/index.ts";
import { auditRoutes } from "../src/server/index.ts";

let dir: string;
let log: AuditLog;
let app: FastifyInstance;
before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "ns-llm-audit-routes-"));
  log = openAuditLog({ file: path.join(dir, "audit.db") });
  await Promise.all(Array.from({ length: 12 }, (_, i) => log.append({ type: "request", route: "/embed", i, inputSha256: `0x${"22".repeat(32)}` })));
  log.closeBatch({ maxSize: 10 });
  app = Fastify();
  await app.register(auditRoutes, { log, retryAfterSeconds: 30 });
  await app.ready();
});
after(async () => {
  await app.close();
  await log.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("audit routes", () => {
  it("GET /api/audit lists entries with seq, type, time and leaf, a page at a time", async () => {
    const res = await app.inject({ url: "/api/audit?from=3&limit=4" });
    assert.equal(res.statusCode, 200);
    const body = res.json() as { entries: Record<string, unknown>[]; total: number; next: number };
    assert.deepEqual(body.entries.map((e) => e.seq), [3, 4, 5, 6]);
    assert.equal(body.total, 12);
    assert.equal(body.next, 7);
    const [e] = body.entries;
    assert.equal(e!.type, "request");
    assert.equal(e!.i, 3);
    assert.match(String(e!.time), /^\d{4}-\d\d-\d\dT/);
    assert.match(String(e!.leaf), /^0x[0-9a-f]{64}$/);
    const all = (await app.inject({ url: "/api/audit" })).json() as { entries: unknown[] };
    assert.equal(all.entries.length, 12);
    const past = (await app.inject({ url: "/api/audit?from=100" })).json() as { entries: unknown[]; next: number };
    assert.deepEqual(past, { entries: [], total: 12, next: 100 });
  });

  it("answers 400 with a JSON error for a bad from or limit", async () => {
    for (const query of ["limit=0", "limit=1001", "from=-1", "from=abc", "limit=2.5"]) {
      const res = await app.inject({ url: `/api/audit?${query}` });
      assert.equal(res.statusCode, 400, query);
      const body = res.json() as { error: { code: string; message: string } };
      assert.equal(body.error.code, "invalid_request");
      assert.match(body.error.message, /^(from|limit) /, query);
    }
  });

  it("GET /api/audit/:seq/proof returns a proof that verifies", async () => {
    const res = await app.inject({ url: "/api/audit/7/proof" });
    assert.equal(res.statusCode, 200);
    const p = res.json() as AuditProof;
    assert.deepEqual([p.seq, p.batch.index, p.batch.fromSeq, p.batch.toSeq, p.batch.txHash, p.index], [7, 0, 0, 9, null, 7]);
    const leaf = leafHash(new TextEncoder().encode(p.entry));
    assert.ok(verifyInclusion(leaf, p.index, p.batch.size, p.proof.map((h) => hexToBytes(h)), hexToBytes(p.root)));
  });

  it("answers 404 for an unknown seq, 409 with Retry-After while the batch is open, 400 for a bad seq", async () => {
    const unknown = await app.inject({ url: "/api/audit/99/proof" });
    assert.equal(unknown.statusCode, 404);
    assert.equal((unknown.json() as { error: { code: string } }).error.code, "not_found");
    const open = await app.inject({ url: "/api/audit/11/proof" });
    assert.equal(open.statusCode, 409);
    assert.equal(open.headers["retry-after"], "30");
    assert.equal((open.json() as { error: { code: string } }).error.code, "not_batched");
    const bad = await app.inject({ url: "/api/audit/x1/proof" });
    assert.equal(bad.statusCode, 400);
    assert.match((bad.json() as { error: { message: string } }).error.message, /^seq /);
  });

  it("GET /api/audit/batches lists the batches and their anchors", async () => {
    const body = (await app.inject({ url: "/api/audit/batches" })).json() as { batches: Record<string, unknown>[]; total: number };
    assert.equal(body.total, 1);
    assert.deepEqual([body.batches[0]!.index, body.batches[0]!.fromSeq, body.batches[0]!.toSeq, body.batches[0]!.txHash], [0, 0, 9, null]);
  });
});
