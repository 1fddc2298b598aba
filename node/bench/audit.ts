/**
 * Audit log figures:
 *
 * 1. Appends per second with durable commits (synchronous=FULL, each acknowledged append is on
 *    disk): one writer awaiting each append (one commit per entry) against many concurrent
 *    appenders sharing transactions (group commit). The ratio is what group commit buys.
 * 2. Gas per anchored entry for batches of 1, 100 and 1000 entries, on a real Hardhat chain
 *    (`hardhat node` child process, contracts deployed by the project's code). The anchor costs the
 *    same whatever the batch size, so the cost per entry falls with the size (target < 100 at 1000).
 * 3. Building a 1000-leaf batch, proving all its entries, verifying the whole log.
 *
 *   node bench/audit.ts [--seconds S] [--writers N] [--no-chain]
 *
 * Rounds alternate the two append modes so that a neighbour's load on a shared machine hits both
 * alike; the best round of each wins.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { AuditAnchorer, connectAnchor, openAuditLog, verifyLog, type AuditLog } from "../src/audit/index.ts";
import { DEV_KEY_0, startTestChain } from "../test/helpers/chain.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "2" },
    writers: { type: "string", default: "64" },
    rounds: { type: "string", default: "3" },
    "no-chain": { type: "boolean", default: false },
  },
});
const seconds = Number(values.seconds);
const writers = Number(values.writers);
const rounds = Number(values.rounds);

const tmp = await mkdtemp(path.join(os.tmpdir(), "ns-llm-bench-audit-"));
let files = 0;
const newLog = () => openAuditLog({ file: path.join(tmp, `audit-${files++}.db`) });
const entry = (i: number) => ({ type: "request", route: "/generate", model: "demo", i, inputSha256: `0x${"ab".repeat(32)}`, outputSha256: `0x${"cd".repeat(32)}` });

/** Appends for `seconds` from `concurrency` loops that each await their append; returns entries/s and entries per commit. */
async function appendRate(log: AuditLog, concurrency: number): Promise<{ rate: number; perCommit: number }> {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const commits0 = log.status().commits;
  let count = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await log.append(entry(count));
        count += 1;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  return { rate: count / elapsed, perCommit: count / (log.status().commits - commits0) };
}

try {
  console.log(`audit log appends, durable (WAL, synchronous=FULL), ${seconds} s per round, best of ${rounds}`);
  let single = { rate: 0, perCommit: 0 };
  let group = { rate: 0, perCommit: 0 };
  for (let r = 0; r < rounds; r++) {
    const a = newLog();
    const s = await appendRate(a, 1);
    await a.close();
    const b = newLog();
    const g = await appendRate(b, writers);
    await b.close();
    if (s.rate > single.rate) single = s;
    if (g.rate > group.rate) group = g;
  }
  console.log(`  1 writer, awaiting each append:   ${single.rate.toFixed(0).padStart(7)} entries/s  (${single.perCommit.toFixed(1)} entries per commit)`);
  console.log(`  ${String(writers).padStart(2)} concurrent appenders:        ${group.rate.toFixed(0).padStart(7)} entries/s  (${group.perCommit.toFixed(1)} entries per commit)`);
  console.log(`  group commit ratio:               ${(group.rate / single.rate).toFixed(1)}x`);

  const log = newLog();
  await Promise.all(Array.from({ length: 1000 }, (_, i) => log.append(entry(i))));
  let t = performance.now();
  const batch = log.closeBatch()!;
  const closeMs = performance.now() - t;
  t = performance.now();
  for (let seq = 0; seq < 1000; seq++) log.proof(seq);
  const proofMs = performance.now() - t;
  await Promise.all(Array.from({ length: 9000 }, (_, i) => log.append(entry(i))));
  while (log.closeBatch({ maxSize: 1000 }));
  t = performance.now();
  const check = await verifyLog({ log });
  const verifyMs = performance.now() - t;
  await log.close();
  console.log(`\nMerkle batches`);
  console.log(`  close a batch of ${batch.size} (read leaves, build tree):  ${closeMs.toFixed(1)} ms`);
  console.log(`  proofs of all 1000 entries of a batch:            ${proofMs.toFixed(1)} ms`);
  console.log(`  verifyLog, ${check.entries} entries / ${check.batches} batches (local): ${verifyMs.toFixed(0)} ms (${((check.entries / verifyMs) * 1000).toFixed(0)} entries/s), ok=${check.ok}`);

  if (!values["no-chain"]) {
    const chain = await startTestChain();
    try {
      const log = newLog();
      const anchorer = new AuditAnchorer({
        log,
        connect: () => connectAnchor({ rpcUrl: chain.rpcUrl, deploymentFile: chain.deploymentFile, operatorKey: DEV_KEY_0 }),
      });
      console.log(`\ngas per anchored entry (Hardhat chain ${chain.rpcUrl}, AuditAnchor.anchor)`);
      // The operator's first batch also creates its list (one more storage slot): shown apart.
      for (const [label, size] of [["first batch, 1", 1], ["1", 1], ["100", 100], ["1000", 1000]] as const) {
        await log.flush();
        log.closeBatch(); // the previous anchoring's own entry goes into a batch of its own
        await anchorer.anchorNow();
        await Promise.all(Array.from({ length: size }, (_, i) => log.append(entry(i))));
        const closed = log.closeBatch()!;
        const { anchored } = await anchorer.anchorNow();
        const mine = anchored.find((b) => b.index === closed.index)!;
        const gas = mine.anchor!.gasUsed;
        console.log(`  batch of ${label.padEnd(15)} ${String(gas).padStart(7)} gas  ${(gas / size).toFixed(1).padStart(9)} gas/entry`);
      }
      await anchorer.stop();
      await log.close();
    } finally {
      await chain.stop();
    }
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
