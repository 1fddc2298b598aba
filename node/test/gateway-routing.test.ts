/**
 * The two decisions the gateway's client makes before each request, on their own: which node
 * (power of two choices weighted by capacity) and whether a node may be asked at all (its /health
 * against the registry's current adoptions). The three-node test (gateway-nodes.test.ts) runs them
 * against real processes; these cover the cases a real chain cannot reach quickly.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { HealthReport } from "@ns-llm/contracts";
import { judgeSync, orderByLoad, type ChainAdoptions } from "../src/client/index.ts";

/** A deterministic random source (LCG): the test's draws are the same every run. */
function seeded(seed: number) {
  let x = seed;
  return () => ((x = (x * 1664525 + 1013904223) % 2 ** 32) / 2 ** 32);
}

describe("power of two choices weighted by capacity", () => {
  test("work placed one request at a time ends shared in proportion to capacity", () => {
    const nodes = [
      { name: "small", capacity: 1, outstanding: 0, placed: 0 },
      { name: "large", capacity: 4, outstanding: 0, placed: 0 },
      { name: "medium", capacity: 2, outstanding: 0, placed: 0 },
    ];
    const random = seeded(7);
    // 700 requests held open: outstanding ends close to 100, 400, 200.
    for (let i = 0; i < 700; i++) {
      const [chosen] = orderByLoad(nodes, random);
      chosen!.outstanding += 1;
      chosen!.placed += 1;
    }
    const [small, large, medium] = nodes.map((n) => n.placed);
    assert.ok(Math.abs(small! - 100) <= 10 && Math.abs(large! - 400) <= 20 && Math.abs(medium! - 200) <= 15, `${small} ${large} ${medium}`);
  });

  test("the order to try: the winner, then the others by increasing load", () => {
    const nodes = [
      { id: "a", capacity: 1, outstanding: 5 },
      { id: "b", capacity: 1, outstanding: 0 },
      { id: "c", capacity: 1, outstanding: 2 },
    ];
    const order = orderByLoad(nodes, seeded(1)).map((n) => n.id);
    assert.equal(order.length, 3);
    assert.deepEqual(order.slice(1), order.slice(1).sort((x, y) => nodes.find((n) => n.id === x)!.outstanding - nodes.find((n) => n.id === y)!.outstanding));
    assert.notEqual(order[0], "a", "the most loaded node never wins a draw of two");
  });
});

const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const chain: ChainAdoptions = {
  chainId: 31337,
  registry: REGISTRY,
  block: 120,
  adoptions: { generation: { version: 2, cid: "bafy-gen-2" }, parameters: { version: 1, cid: "bafy-par-1" } },
};
function health(governance: Partial<Extract<HealthReport["governance"], { enabled: true }>>): HealthReport {
  return { governance: { enabled: true, chainId: 31337, registry: REGISTRY, syncedBlock: 119, lag: 1, ...governance } } as HealthReport;
}

describe("a node's health against the chain's adoptions", () => {
  test("runs every current adoption: in sync", () => {
    assert.deepEqual(judgeSync(health({ applied: { generation: { version: 2, cid: "bafy-gen-2" }, parameters: { version: 1, cid: "bafy-par-1" } } }), chain), { state: "in_sync", reason: null });
  });

  test("runs an older generation: behind, and says which", () => {
    const verdict = judgeSync(health({ applied: { generation: { version: 1, cid: "bafy-gen-1" }, parameters: { version: 1, cid: "bafy-par-1" } } }), chain);
    assert.equal(verdict.state, "behind");
    assert.equal(verdict.reason, "runs generation v1, the chain holds v2 (synced to block 119, chain read at 120)");
  });

  test("loading the current adoption: swapping (drained)", () => {
    const verdict = judgeSync(
      health({ applied: { generation: { version: 1, cid: "bafy-gen-1" }, parameters: { version: 1, cid: "bafy-par-1" } }, applying: { generation: { version: 2, cid: "bafy-gen-2" } } }),
      chain,
    );
    assert.equal(verdict.state, "swapping");
    assert.match(verdict.reason!, /^loading the current adoption: generation v1, the chain holds v2/);
  });

  test("another registry, no chain, no manifest set, no answer: never in sync", () => {
    const applied = { generation: { version: 2, cid: "bafy-gen-2" }, parameters: { version: 1, cid: "bafy-par-1" } };
    assert.equal(judgeSync(health({ applied, registry: "0x0000000000000000000000000000000000000001" }), chain).state, "behind");
    assert.equal(judgeSync({ governance: { enabled: false, reason: "--no-chain" } } as HealthReport, chain).state, "behind");
    assert.equal(judgeSync(health({}), chain).reason, "its /health does not say which manifests it runs");
    assert.equal(judgeSync(undefined, chain).state, "unreachable");
  });

  test("without a chain to compare with, only a model load drains a node", () => {
    assert.equal(judgeSync(health({ applied: {} }), undefined).state, "unchecked");
    assert.equal(judgeSync(health({ applied: {}, applying: { embedding: { version: 3, cid: "x" } } }), undefined).state, "swapping");
  });
});
