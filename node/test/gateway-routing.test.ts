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

/**
 * ns-llm-client in front of three stand-in nodes (plain HTTP servers whose /health the test
 * writes): one in sync, one loading the current adoption, one behind. Where each request goes.
 */
describe("ns-llm-client routing by sync state", () => {
  test("the node in sync takes every request; a swapping one only when it is gone; one behind never; a 503 is sent elsewhere", async () => {
    const { createServer } = await import("node:http");
    const { createNodeClient } = await import("../src/client/index.ts");
    type Stand = { url: string; served: number; refuse: boolean; close(): Promise<void> };
    const stand = async (governance: Record<string, unknown>): Promise<Stand> => {
      const s: Stand = { url: "", served: 0, refuse: false, close: async () => {} };
      const server = createServer((request, response) => {
        request.resume();
        request.on("end", () => {
          const body = (status: number, value: unknown) => response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(value));
          if (request.url === "/health") return body(200, { status: "ok", reasons: [], scheduler: { limit: 2 }, governance: { enabled: true, chainId: 31337, registry: REGISTRY, syncedBlock: 120, lag: 0, ...governance } });
          if (s.refuse) return body(503, { error: { code: "generation_unavailable", message: "loading" } });
          s.served += 1;
          body(200, { text: "hi", model: "m", source: "llm", tokens: 1, finishReason: "stop", ms: 1 });
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      s.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      s.close = () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
      return s;
    };
    const current = { generation: { version: 2, cid: "bafy-gen-2" }, parameters: { version: 1, cid: "bafy-par-1" } };
    const old = { generation: { version: 1, cid: "bafy-gen-1" }, parameters: { version: 1, cid: "bafy-par-1" } };
    const inSync = await stand({ applied: current, applying: {} });
    const swapping = await stand({ applied: old, applying: { generation: current.generation } });
    const behind = await stand({ applied: old, applying: {} });
    const other = await stand({ applied: current, applying: {} });
    const client = createNodeClient({
      endpoints: [behind.url, swapping.url, inSync.url, other.url],
      balance: "load",
      healthCheckMs: 0,
      chain: { registry: REGISTRY, read: async () => chain },
    });
    try {
      const states = Object.fromEntries((await client.checkHealth()).map((e) => [e.url, e.sync]));
      assert.deepEqual([states[inSync.url], states[swapping.url], states[behind.url]], ["in_sync", "swapping", "behind"]);
      for (let i = 0; i < 20; i++) await client.generate({ prompt: "x" });
      assert.equal(swapping.served + behind.served, 0);
      assert.ok(inSync.served > 0 && other.served > 0, `${inSync.served} ${other.served}`);
      // One in-sync node refuses (503): each request it draws goes on to the other.
      inSync.refuse = true;
      const before = other.served;
      for (let i = 0; i < 10; i++) await client.generate({ prompt: "x" });
      assert.equal(other.served - before, 10);
      // Both in-sync nodes gone: the drained node answers, the one behind still gets nothing.
      await inSync.close();
      await other.close();
      for (let i = 0; i < 3; i++) await client.generate({ prompt: "x" });
      assert.equal(swapping.served, 3);
      assert.equal(behind.served, 0);
    } finally {
      await client.close();
      await Promise.all([inSync, swapping, behind, other].map((s) => s.close().catch(() => {})));
    }
  });
});
