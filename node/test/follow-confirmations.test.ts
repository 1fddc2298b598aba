/**
 * Follow the chain with a confirmation depth (NS_LLM_CONFIRMATIONS): the follower reads the
 * registry that many blocks below the head, so an adoption is applied only once enough blocks
 * are mined on top of it (a reorganisation of the last blocks cannot make a node apply, and
 * audit, an adoption that then vanishes). Real Hardhat chain, real node process.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { encodeManifest, manifestDigest, type Manifest } from "../src/manifest/index.ts";
import { startTestChain, type TestChain } from "./helpers/chain.ts";
import { adopt, addToNodeIpfs, spawnFollowNode, type FollowNode } from "./helpers/follow.ts";
import { waitUntil } from "./helpers/processes.ts";

const DEPTH = 3;

type State = { syncedBlock: number | null; lag: number | null; applied: { parameters?: { cid: string } } };

describe("follow the chain: confirmation depth", () => {
  let chain: TestChain;
  let node: FollowNode;

  before(async () => {
    chain = await startTestChain();
    node = await spawnFollowNode({ chain, env: { NS_LLM_CONFIRMATIONS: String(DEPTH) } });
  });

  after(async () => {
    await node?.stop();
    await chain?.stop();
  });

  it(`applies an adoption only once ${DEPTH} blocks are on top of it`, async () => {
    const manifest = { schema: "ns-llm.manifest/v1", role: "parameters", name: "ns-llm-test-parameters-deep", parameters: { temperature: 0.3 } } as Manifest;
    const bytes = encodeManifest(manifest);
    const cid = await addToNodeIpfs(node, bytes);
    await adopt(chain, { role: "parameters", cid, digest: manifestDigest(bytes) });
    const executed = Number(await chain.publicClient.getBlockNumber());

    // The follower has read the chain at the head minus the depth, and the adoption is not there yet.
    const state = await waitUntil("a sync at the new head", async () => {
      const s = await node.get<State>("/api/governance");
      return s.syncedBlock === executed - DEPTH ? s : undefined;
    });
    assert.equal(state.lag, DEPTH);
    assert.notEqual(state.applied.parameters?.cid, cid, "not applied with fewer confirmations than the depth");

    // DEPTH more blocks: confirmed, applied.
    await chain.publicClient.request({ method: "hardhat_mine" as never, params: [`0x${DEPTH.toString(16)}`] as never });
    await waitUntil("the adoption", async () => ((await node.get<State>("/api/governance")).applied.parameters?.cid === cid ? true : undefined));
  });
});
