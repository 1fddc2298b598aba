/**
 * Anchoring against a real Hardhat network (`hardhat node` as a child process, the contracts
 * deployed by the project's deployment code): batches close on size, are anchored in order with the
 * operator's key, each anchoring is logged, proofs check against the root on chain; a wrong root on
 * chain, a batch never anchored, a chain that does not answer and a crash between sending and
 * recording are all handled and reported. Also runs `ns-llm audit anchor|verify` as a user would.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { hexToBytes, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { auditAnchorAbi } from "@ns-llm/contracts";
import {
  AuditAnchorer,
  connectAnchor,
  leafHash,
  openAuditLog,
  verifyEntry,
  verifyInclusion,
  verifyLog,
  type AnchorTarget,
} from "../src/audit/index.ts";
import { DEV_KEY_0, DEV_KEYS, startTestChain, type TestChain } from "./helpers/chain.ts";
import { freePort, waitUntil } from "./helpers/processes.ts";

// Each test node anchors as its own operator: dev accounts 1..3.
const OPERATOR_KEYS: Hex[] = DEV_KEYS.slice(1, 4);
const CLI = path.resolve(import.meta.dirname, "../bin/ns-llm.js");

let chain: TestChain;
let dir: string;
before(async () => {
  chain = await startTestChain();
  dir = mkdtempSync(path.join(os.tmpdir(), "ns-llm-audit-chain-"));
});
after(async () => {
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
const newLog = () => openAuditLog({ file: path.join(dir, `audit-${files++}.db`) });
const connect = (operatorKey: Hex) => () => connectAnchor({ rpcUrl: chain.rpcUrl, deploymentFile: chain.deploymentFile, operatorKey });
const anchorAddress = () => chain.deployment.contracts.AuditAnchor.address;

async function sendAnchor(target: AnchorTarget, root: Hex, fromSeq: number, toSeq: number): Promise<Hex> {
  const hash = await target.walletClient!.writeContract({
    address: target.address,
    abi: auditAnchorAbi,
    functionName: "anchor",
    args: [root, BigInt(fromSeq), BigInt(toSeq)],
  });
  await target.publicClient.waitForTransactionReceipt({ hash });
  return hash;
}

describe("audit anchoring on a Hardhat chain", () => {
  it("closes batches every N entries, anchors them in order, logs each anchoring, and verifies against the chain", async () => {
    const log = newLog();
    const anchorer = new AuditAnchorer({ log, batchSize: 10, batchIntervalMs: 3_600_000, connect: connect(DEV_KEY_0) }).start();
    for (let i = 0; i < 25; i++) await log.append({ type: "request", route: "/generate", i });
    // Settled: every closed batch anchored, fewer than 10 entries waiting.
    const settled = () => {
      const s = anchorer.status();
      return s.batches >= 2 && s.pendingBatches === 0 && s.unbatched < 10;
    };
    await waitUntil("every closed batch anchored", async () => settled(), 30_000, () => JSON.stringify(anchorer.status()));
    await log.flush();

    const status = anchorer.status();
    assert.equal(status.anchoring, "enabled");
    assert.equal(status.anchorFailures, 0);
    assert.equal(status.node, privateKeyToAccount(DEV_KEY_0).address);
    assert.ok(status.gasSpent > 40_000, `gas ${status.gasSpent}`);
    const batches = log.batches();
    assert.deepEqual([batches[0]!.fromSeq, batches[0]!.toSeq], [0, 9], "the first batch closes at 10 entries");
    assert.ok(batches.every((b, i) => b.size >= 10 && b.fromSeq === (i === 0 ? 0 : batches[i - 1]!.toSeq + 1)));
    assert.equal(status.anchoredThrough, batches[batches.length - 1]!.toSeq);
    // Each anchoring is logged (the last one may still be on its way into the log).
    const anchors = log.entries(0, 1000).filter((r) => r.entry.type === "anchor");
    assert.ok(anchors.length >= batches.length - 1);
    anchors.forEach((r, i) => {
      assert.deepEqual([r.entry.batch, r.entry.fromSeq, r.entry.toSeq, r.entry.txHash], [i, batches[i]!.fromSeq, batches[i]!.toSeq, batches[i]!.anchor!.txHash]);
    });

    // An entry's proof checks against the root read from the chain, as anyone would check it.
    const proof = log.proof(13);
    assert.equal(proof.batch.txHash, log.batch(1)!.anchor!.txHash);
    const [chainRoot] = await chain.publicClient.readContract({ address: anchorAddress(), abi: auditAnchorAbi, functionName: "batchOf", args: [proof.batch.node!, 1n] });
    assert.ok(verifyInclusion(leafHash(new TextEncoder().encode(proof.entry)), proof.index, proof.batch.size, proof.proof.map((h) => hexToBytes(h)), hexToBytes(chainRoot)));

    // Close and anchor what is left now (the CLI's `audit anchor`), anchor entries included.
    const now = await anchorer.anchorNow();
    assert.equal(now.closed!.fromSeq, batches[batches.length - 1]!.toSeq + 1);
    assert.deepEqual(now.anchored.map((b) => b.index), [batches.length]);
    await anchorer.stop();
    await log.flush();

    const result = await verifyLog({ log, publicClient: chain.publicClient, anchorAddress: anchorAddress() });
    assert.deepEqual(result.problems, []);
    assert.equal(result.chainChecked, true);
    assert.equal(result.node, privateKeyToAccount(DEV_KEY_0).address);
    assert.equal(result.unbatched, 1, "the last anchoring's own entry waits for the next batch");
    assert.equal((await verifyEntry({ log, seq: 13, publicClient: chain.publicClient, anchorAddress: anchorAddress() })).ok, true);

    // A batch of only anchor entries is not closed by the timer (no anchoring feeding on itself).
    assert.equal(log.closeBatch({ requireNonAnchor: true }), undefined);
    await log.close();
  });

  it("catches a root on chain that differs, and batches that are not anchored", async () => {
    const log = newLog();
    for (let i = 0; i < 12; i++) await log.append({ type: "request", i });
    const b0 = log.closeBatch({ maxSize: 8 })!;
    log.closeBatch();
    const target = await connect(OPERATOR_KEYS[0]!)();
    // Someone anchors a wrong root for batch 0 with this operator's key.
    await sendAnchor(target, `0x${"ab".repeat(32)}`, b0.fromSeq, b0.toSeq);

    const result = await verifyLog({ log, publicClient: chain.publicClient, anchorAddress: target.address, node: target.node });
    assert.equal(result.ok, false);
    assert.deepEqual(result.problems.map((p) => [p.kind, p.batch, p.seq, p.toSeq]), [
      ["chain-root", 0, 0, 7],
      ["not-anchored", 1, 8, 11],
    ]);
    const one = await verifyEntry({ log, seq: 3, publicClient: chain.publicClient, anchorAddress: target.address, node: target.node });
    assert.deepEqual(one.problems.map((p) => p.kind), ["chain-root"]);

    // The anchorer refuses to build on a chain that disagrees with the log, and says so.
    const anchorer = new AuditAnchorer({ log, connect: connect(OPERATOR_KEYS[0]!), retry: { initialMs: 60_000 } });
    await assert.rejects(anchorer.anchorNow(), /batch 0 on chain .* is not this log's/);
    await anchorer.stop();
    await log.close();
  });

  it("records a batch already on chain after a crash between sending and recording, without anchoring it twice", async () => {
    const log = newLog();
    for (let i = 0; i < 5; i++) await log.append({ type: "request", i });
    const batch = log.closeBatch()!;
    const target = await connect(OPERATOR_KEYS[1]!)();
    const txHash = await sendAnchor(target, batch.root, batch.fromSeq, batch.toSeq); // the "previous run"
    const anchorer = new AuditAnchorer({ log, connect: connect(OPERATOR_KEYS[1]!) });
    const result = await anchorer.anchorNow();
    assert.deepEqual(result.anchored, []);
    assert.equal(log.batch(0)!.anchor!.txHash, txHash);
    const count = await chain.publicClient.readContract({ address: target.address, abi: auditAnchorAbi, functionName: "batchCount", args: [target.node!] });
    assert.equal(count, 1n);
    await log.flush();
    assert.equal(log.get(5)!.entry.type, "anchor");
    assert.equal(log.get(5)!.entry.txHash, txHash);
    await anchorer.stop();
    await log.close();
  });

  it("keeps logging while the chain does not answer, reports failures and retries with backoff", async () => {
    const log = newLog();
    const dead = `http://127.0.0.1:${await freePort()}`;
    const anchorer = new AuditAnchorer({
      log,
      batchSize: 2,
      connect: () => connectAnchor({ rpcUrl: dead, deploymentFile: chain.deploymentFile, operatorKey: DEV_KEY_0 }),
      retry: { initialMs: 20, maxMs: 40 },
    }).start();
    for (let i = 0; i < 6; i++) await log.append({ type: "request", i });
    await waitUntil("three failed anchorings", async () => anchorer.status().anchorFailures >= 3, 30_000, () => JSON.stringify(anchorer.status()));
    const status = anchorer.status();
    assert.match(status.lastError!, /does not answer/);
    assert.ok(status.pendingBatches >= 1);
    assert.equal(status.anchoredThrough, null);
    assert.equal((await log.append({ type: "request", i: 6 })).seq, 6);
    await anchorer.stop();
    await log.close();

    const disabled = new AuditAnchorer({ log: newLog(), disabledReason: "no operator key (set NS_LLM_OPERATOR_KEY)" });
    assert.equal(disabled.status().anchoring, "disabled");
    assert.match(disabled.status().disabledReason!, /NS_LLM_OPERATOR_KEY/);
    await assert.rejects(disabled.anchorNow(), /anchoring is disabled/);
  });

  it("ns-llm audit anchor and audit verify, as a user runs them", async () => {
    const home = path.join(dir, "home");
    const log = openAuditLog({ file: path.join(home, "audit.db") });
    for (let i = 0; i < 7; i++) await log.append({ type: "request", route: "/embed", i });
    await log.close();
    const env = { ...process.env, NS_LLM_HOME: home, NS_LLM_RPC_URL: chain.rpcUrl, NS_LLM_DEPLOYMENT: chain.deploymentFile, NS_LLM_OPERATOR_KEY: OPERATOR_KEYS[2]! };
    const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { env, encoding: "utf8", timeout: 120_000 });

    const anchored = cli("audit", "anchor", "--json");
    assert.equal(anchored.status, 0, anchored.stderr);
    const out = JSON.parse(anchored.stdout) as { anchored: { index: number; fromSeq: number; toSeq: number; gasUsed: number }[] };
    assert.deepEqual(out.anchored.map((b) => [b.index, b.fromSeq, b.toSeq]), [[0, 0, 6]]);

    const ok = cli("audit", "verify", "--json");
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { ok: boolean }).ok, true);
    const human = cli("audit", "verify");
    assert.equal(human.status, 0);
    assert.match(human.stdout, /ok: every entry, batch root and anchor checks out/);
    assert.equal(cli("audit", "verify", "--seq", "4").status, 0);

    const db = new DatabaseSync(path.join(home, "audit.db"));
    db.exec("DELETE FROM entries WHERE seq = 4");
    db.close();
    const bad = cli("audit", "verify");
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /seq 4 is missing \(deleted\)/);
    assert.equal(cli("audit", "verify", "--no-chain", "--json").status, 1);

    assert.equal(cli("audit", "verify", "--seq", "x").status, 2);
    const noChain = spawnSync(process.execPath, [CLI, "audit", "verify"], { env: { ...env, NS_LLM_RPC_URL: `http://127.0.0.1:${await freePort()}` }, encoding: "utf8" });
    assert.equal(noChain.status, 1);
    assert.match(noChain.stderr, /^error: the chain at .* does not answer \(start it, or set NS_LLM_RPC_URL; or pass --no-chain/m);
  });
});
