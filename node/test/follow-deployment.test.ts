/**
 * Follow the chain, without a usable deployment: a real node process whose chain answers but whose
 * deployment file is missing, then names a ModelRegistry address with no code on that chain (a
 * file from an earlier run of a dev chain). The node serves, says it does not follow and why
 * (`no_deployment`, not `chain_unreachable`: that one is for an RPC that does not answer, see
 * follow-restart), keeps trying, and follows once the right file is there.
 */
import assert from "node:assert/strict";
import { copyFile, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestChain, type TestChain } from "./helpers/chain.ts";
import { spawnFollowNode, type FollowNode, type GovernanceState, type Health } from "./helpers/follow.ts";
import { waitUntil } from "./helpers/processes.ts";

describe("follow the chain: no usable deployment", () => {
  let chain: TestChain;
  let node: FollowNode;
  let file: string;

  before(async () => {
    chain = await startTestChain();
    file = path.join(chain.deploymentsDir, "elsewhere.json");
    node = await spawnFollowNode({ chain, demo: false, env: { NS_LLM_DEPLOYMENT: file } });
  });

  after(async () => {
    await node?.stop();
    await chain?.stop();
  });

  const lastError = async () => (await node.get<GovernanceState>("/api/governance")).lastError as { code: string; message: string } | null;

  it("says no_deployment for a missing or mismatched deployment file, and follows once it is right", async () => {
    const missing = await waitUntil("the missing file reported", async () => {
      const e = await lastError();
      return e?.code === "no_deployment" ? e : undefined;
    }, 30_000, () => node.output);
    assert.match(missing.message, /^not following the chain: no deployment for chain \d+ \(looked in .*elsewhere\.json\)/);
    const health = await node.get<Health>("/health");
    assert.equal(health.status, "degraded");
    assert.ok(health.reasons.includes(`governance: ${missing.message}`), health.reasons.join("; "));

    // A file for this chain id whose registry address holds no code on this chain.
    const deployment = JSON.parse(await readFile(chain.deploymentFile, "utf8")) as { contracts: Record<string, { address: string }> };
    deployment.contracts.ModelRegistry!.address = "0x00000000000000000000000000000000000000aa";
    await writeFile(file, JSON.stringify(deployment));
    const mismatched = await waitUntil("the mismatched file reported", async () => {
      const e = await lastError();
      return e?.code === "no_deployment" && /has no ModelRegistry/.test(e.message) ? e : undefined;
    }, 30_000, () => node.output);
    assert.match(mismatched.message, /chain \d+ has no ModelRegistry at 0x0+aa: the deployment is from another chain or an earlier run/);

    await rm(file);
    await copyFile(chain.deploymentFile, file);
    const following = await waitUntil("the node to follow", async () => {
      const s = await node.get<GovernanceState & { syncedBlock: number | null }>("/api/governance");
      return s.syncedBlock !== null && s.syncedBlock !== undefined ? s : undefined;
    }, 60_000, () => node.output);
    assert.equal(following.lastError, null);
  });
});
