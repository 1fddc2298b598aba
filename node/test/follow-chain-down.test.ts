/**
 * A chain that stops answering while the node follows it: the node keeps serving what it applied,
 * and /health says it cannot read the chain.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { startTestChain } from "./helpers/chain.ts";
import { spawnFollowNode, type Health } from "./helpers/follow.ts";
import { waitUntil } from "./helpers/processes.ts";

test("a chain that stops answering is reported in /health while the node keeps serving", { timeout: 180_000 }, async () => {
  const chain = await startTestChain();
  after(() => chain.stop());
  const node = await spawnFollowNode({ chain, demo: true });
  after(() => node.stop());

  await waitUntil("the follower to read the chain", async () => (await node.get<Health & { governance: { syncedBlock: number | null } }>("/health")).governance.syncedBlock !== null);
  await chain.stop();

  const health = await waitUntil("the node to report the unreachable chain", async () => {
    const h = await node.get<Health & { reasons: string[] }>("/health");
    return h.reasons.some((r) => /cannot read the chain/.test(r)) ? h : undefined;
  });
  assert.equal(health.status, "degraded");

  const answer = await node.post("/generate", { prompt: "still there?", maxTokens: 4 });
  assert.equal(answer.status, 200, "the node keeps serving its models");
  assert.equal(((await answer.json()) as { source: string }).source, "llm");
});
