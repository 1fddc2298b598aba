/**
 * No answer without its audit entry (issue 14): with the node's real audit database locked by
 * another connection (an exclusive transaction, as a stuck writer or a full disk would leave it),
 * generation and embedding requests fail with 503 `audit_unavailable` and a JSON body, never an
 * unaudited answer; /health is degraded and says why; the refusals are counted by reason. Once the
 * database accepts appends again, the node answers again and /health is ok.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { AUDIT_DB } from "../src/audit/open-audit.ts";
import { json, metricValue, readSse, startTestNode, type TestNode } from "./helpers/api-node.ts";

let node: TestNode;

before(async () => {
  node = await startTestNode({}, { NS_LLM_AUDIT_RECORD_TEXT: "0" });
});
after(async () => {
  await node?.stop();
});

const health = async () => (await (await fetch(`${node.url}/health`)).json()) as { status: string; reasons: string[] };
const metrics = async () => (await fetch(`${node.url}/metrics`)).text();

describe("audit log unavailable", () => {
  it("refuses answers with 503 audit_unavailable while appends fail, and /health is degraded until one succeeds", async () => {
    const ok = await fetch(`${node.url}/generate`, json({ prompt: "Who are you?", maxTokens: 3 }));
    assert.equal(ok.status, 200);
    assert.equal((await health()).status, "ok");
    const before = await metrics();

    // Another connection holds the write lock: the node's appends wait out their busy timeout and fail.
    const lock = new DatabaseSync(path.join(node.home, AUDIT_DB));
    lock.exec("PRAGMA busy_timeout = 5000; BEGIN EXCLUSIVE");
    try {
      const refused = await fetch(`${node.url}/generate`, json({ prompt: "Who are you?", maxTokens: 3 }));
      assert.equal(refused.status, 503);
      assert.match(refused.headers.get("content-type") ?? "", /application\/json/);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, "audit_unavailable");
      assert.match(body.error.message, /could not be recorded in the audit log/);
      assert.equal(refused.headers.get("x-ns-llm-audit-seq"), null);

      const embedded = await fetch(`${node.url}/embed`, json({ input: ["hello"] }));
      assert.equal(embedded.status, 503);
      assert.equal(((await embedded.json()) as any).error.code, "audit_unavailable");

      // Streamed: the tokens went out, but the stream ends with the error, not a done event with an audit seq.
      const events = (await readSse(await fetch(`${node.url}/generate`, json({ prompt: "Who are you?", maxTokens: 3, stream: true })))) as Array<Record<string, any>>;
      assert.equal(events.at(-1)!.error?.code, "audit_unavailable");
      assert.ok(!events.some((e) => e.done));

      const h = await health();
      assert.equal(h.status, "degraded");
      assert.ok(h.reasons.some((r) => /audit log: appends fail/.test(r)), h.reasons.join("; "));
      const now = await metrics();
      const moved = (series: string) => metricValue(now, series) - metricValue(before, series);
      assert.equal(moved('ns_llm_rejected_requests_total{reason="audit_unavailable"}'), 3);
      assert.equal(moved("ns_llm_audit_errors_total"), 3);
    } finally {
      lock.exec("ROLLBACK");
      lock.close();
    }

    const again = await fetch(`${node.url}/generate`, json({ prompt: "Who are you?", maxTokens: 3 }));
    assert.equal(again.status, 200);
    assert.ok(Number(again.headers.get("x-ns-llm-audit-seq")) >= 1);
    assert.equal((await health()).status, "ok");
  });
});
