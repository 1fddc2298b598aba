/** Governed audit batch settings: a new batch size applies at once, to the entries already waiting too. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { AuditAnchorer, openAuditLog } from "../src/audit/index.ts";

const dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-audit-configure-"));
after(() => rm(dir, { recursive: true, force: true }));

test("a smaller governed batch size closes the entries already waiting", async () => {
  const log = openAuditLog({ file: path.join(dir, "audit.db") });
  const anchorer = new AuditAnchorer({ log, batchSize: 100, batchIntervalMs: 3_600_000 }).start();
  try {
    for (let i = 0; i < 7; i++) await log.append({ type: "request", route: "/generate", n: i });
    assert.equal(anchorer.status().batches, 0, "7 entries do not fill a batch of 100");
    anchorer.configure({ batchSize: 3 });
    await log.flush();
    assert.equal(anchorer.status().batches, 1, "7 waiting entries reach the new size: they close");
    assert.equal(anchorer.status().unbatched, 0);
    await log.append({ type: "request", route: "/generate", n: 7 });
    await log.append({ type: "request", route: "/generate", n: 8 });
    assert.equal(anchorer.status().batches, 1, "2 new entries do not fill a batch of 3");
    await log.append({ type: "request", route: "/generate", n: 9 });
    await log.flush();
    assert.equal(anchorer.status().batches, 2, "the third does");
    assert.throws(() => anchorer.configure({ batchSize: 0 }), /batchSize/);
  } finally {
    await anchorer.stop();
    await log.close();
  }
});
