/**
 * Durability: a child process appends to the audit log as fast as it can and is killed with SIGKILL
 * at random moments, 20 times over the same file. Every append it acknowledged is in the log, with
 * the leaf it was acknowledged with, and the whole log still verifies (no gap, no torn entry, every
 * batch root rebuilt).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openAuditLog, verifyLog } from "../src/audit/index.ts";

const WRITER = path.join(import.meta.dirname, "helpers/audit-writer.ts");
const RUNS = 20;

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "ns-llm-audit-crash-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the writer, kills it `delayMs` after its first acknowledged append; returns the acknowledged appends. */
async function runAndKill(file: string, delayMs: number): Promise<Map<number, string>> {
  const child = spawn(process.execPath, ["--no-warnings", WRITER, file], { stdio: ["ignore", "pipe", "pipe"] });
  const acked = new Map<number, string>();
  let buffer = "";
  let stderr = "";
  let killTimer: NodeJS.Timeout | undefined;
  child.stderr.on("data", (d) => (stderr += d));
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    buffer += chunk;
    const lines = buffer.split("\n");
    buffer = lines.pop()!;
    for (const line of lines) {
      if (line === "ready") continue;
      const [seq, leaf] = line.split(" ");
      acked.set(Number(seq), leaf!);
      killTimer ??= setTimeout(() => child.kill("SIGKILL"), delayMs);
    }
  });
  const [code, signal] = (await new Promise((resolve) => child.once("close", (c, s) => resolve([c, s])))) as [number | null, string | null];
  clearTimeout(killTimer);
  assert.equal(signal, "SIGKILL", `the writer should be killed, it exited with ${code}: ${stderr}`);
  assert.equal(buffer, "", "no half line: each line is written at once");
  return acked;
}

describe("audit log durability under SIGKILL", () => {
  it(`keeps every acknowledged append across ${RUNS} kills at random moments, and still verifies`, async () => {
    const file = path.join(dir, "audit.db");
    const all = new Map<number, string>();
    for (let run = 0; run < RUNS; run++) {
      const acked = await runAndKill(file, Math.floor(Math.random() * 250));
      assert.ok(acked.size > 0, `run ${run} acknowledged nothing`);
      for (const [seq, leaf] of acked) {
        assert.ok(!all.has(seq), `run ${run}: seq ${seq} was handed out twice`);
        all.set(seq, leaf);
      }
      const log = openAuditLog({ file });
      try {
        for (const [seq, leaf] of all) assert.equal(log.get(seq)?.leaf, leaf, `run ${run}: acknowledged seq ${seq} lost or changed`);
        const result = await verifyLog({ log });
        assert.deepEqual(result.problems, [], `run ${run}`);
        assert.ok(result.entries >= all.size);
      } finally {
        await log.close();
      }
    }
  });
});
