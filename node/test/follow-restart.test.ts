/**
 * Follow the chain across crashes: a real node process is SIGKILLed in the middle of a model
 * download and in the middle of a swap. On restart it is consistent — from the moment it answers
 * it serves the old model or the new one, never none — it catches up with what the chain adopted
 * while it was down, it resumes the interrupted download where it stopped, and it ends on what
 * the chain holds.
 *
 * The download is made to last: the artifact's only source is an HTTP mirror run by the test that
 * sends the first 256 KiB and then holds the rest until told to go on (a slow mirror).
 */
import assert from "node:assert/strict";
import { rm, stat } from "node:fs/promises";
import { connect, createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { storeLayout } from "../src/inference/store/index.ts";
import { startTestChain, type TestChain } from "./helpers/chain.ts";
import {
  addToNodeIpfs,
  adopt,
  generateOnce,
  generationManifest,
  otherDemoLlama,
  publishManifest,
  sha256Hex,
  spawnFollowNode,
  type FollowNode,
  type GovernanceState,
  type Health,
} from "./helpers/follow.ts";
import { slowMirror, type SlowMirror } from "./helpers/slow-mirror.ts";
import { freePort, waitUntil } from "./helpers/processes.ts";

type RpcProxy = { url: string; up(): Promise<void>; down(): Promise<void>; close(): Promise<void> };

/** A TCP proxy in front of the chain's RPC on a fixed port: `down()` makes the chain unreachable for the node, `up()` reachable again. */
async function rpcProxy(target: string): Promise<RpcProxy> {
  const { port: targetPort } = new URL(target);
  const sockets = new Set<Socket>();
  const server: NetServer = createNetServer((client) => {
    const upstream = connect(Number(targetPort), "127.0.0.1");
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  const port = await freePort();
  const up = () => new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, "127.0.0.1", () => resolve()));
  const down = async () => {
    if (!server.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of sockets) s.destroy();
    await closed;
  };
  await up();
  return { url: `http://127.0.0.1:${port}`, up, down, close: down };
}

/**
 * Starts the (killed) node again and watches /health from the first moment the port answers until
 * it says it listens: every answer must name a loaded generation model.
 */
async function restartWatching(node: FollowNode): Promise<Array<Health["generation"]>> {
  const seen: Array<Health["generation"]> = [];
  node.spawn();
  let listening = false;
  const started = node.waitForOutput(/ns-llm listening on /, 90_000).finally(() => (listening = true));
  while (!listening) {
    try {
      const health = (await (await fetch(`${node.url}/health`, { signal: AbortSignal.timeout(5_000) })).json()) as Health;
      seen.push(health.generation);
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await started;
  seen.push((await node.get<Health>("/health")).generation);
  return seen;
}

describe("follow the chain: crashes and restarts", () => {
  let chain: TestChain;
  let node: FollowNode;
  let mirror: SlowMirror | undefined;
  let proxy: RpcProxy;

  before(async () => {
    chain = await startTestChain();
    // The node reaches the chain through a proxy the test can take down.
    proxy = await rpcProxy(chain.rpcUrl);
    node = await spawnFollowNode({ chain, env: { NS_LLM_RPC_URL: proxy.url } });
  });

  after(async () => {
    await node?.stop();
    await mirror?.close();
    await proxy?.close();
    await chain?.stop();
  });

  it("is consistent after a SIGKILL during a download and during a swap, and catches up with adoptions made while it was down", async () => {
    const genesis = await node.get<Health>("/health");
    const a = { model: genesis.generation.model!, manifest: genesis.generation.manifest! };

    // B: only on a slow HTTP mirror. C: in the node's IPFS. P2: new parameters.
    const bName = "ns-llm-test-llama-b";
    const b = otherDemoLlama(0x0b0b_0001, bName);
    mirror = await slowMirror(b, 256 * 1024);
    const bManifest = await publishManifest(node, generationManifest({ name: bName, sha256: sha256Hex(b), size: b.byteLength, sources: [mirror.url] }));
    const cName = "ns-llm-test-llama-c";
    const c = otherDemoLlama(0x0c0c_0001, cName);
    const cManifest = await publishManifest(node, generationManifest({ name: cName, sha256: sha256Hex(c), size: c.byteLength, sources: [`ipfs://${await addToNodeIpfs(node, c)}`] }));
    const parameters = await publishManifest(node, {
      schema: "ns-llm.manifest/v1",
      role: "parameters",
      name: "ns-llm-test-parameters-2",
      description: "adopted while the node was down",
      parameters: { temperature: 0.3, maxTokens: 64, systemPrompt: "Adopted while you were away." },
    });

    // 1. SIGKILL during the download of B.
    await adopt(chain, { role: "generation", ...bManifest, name: bName });
    await waitUntil("the download of B to be under way", async () => mirror!.requests.some((r) => r.sent >= 256 * 1024), 30_000, () => node.output);
    const part = path.join(storeLayout(node.home).tmp, `${sha256Hex(b)}.part`);
    await waitUntil("the node to write what it received", async () => ((await stat(part).catch(() => undefined))?.size ?? 0) >= 256 * 1024, 30_000);
    await node.kill();
    assert.equal((await node.get<Health>("/health").catch(() => undefined)), undefined, "the node is down");

    // 2. While it is down, the chain adopts new parameters.
    await adopt(chain, { role: "parameters", ...parameters, name: "ns-llm-test-parameters-2" });

    // 3. Restart: the old model from the first answer on; the parameters caught up; B still held.
    const seen = await restartWatching(node);
    for (const g of seen) assert.deepEqual({ ready: g.ready, model: g.model, manifest: g.manifest }, { ready: true, ...a }, "serves the old model while B is not there");
    const caughtUp = await waitUntil("the parameters adopted while down", async () => {
      const s = await node.get<GovernanceState>("/api/governance");
      return s.applied.parameters?.cid === parameters.cid ? s : undefined;
    }, 30_000, () => node.output);
    assert.equal(caughtUp.history.find((h) => h.cid === parameters.cid)?.status, "applied");
    assert.equal((await node.get<Health>("/health")).generation.model, a.model);
    const resumed = await waitUntil("the download of B to resume", async () => mirror!.requests.find((r) => r.offset > 0), 30_000, () => node.output);
    assert.equal(resumed.offset, 256 * 1024, "resumed where the killed node stopped");
    mirror.release();
    await waitUntil("B to serve", async () => (await node.get<Health>("/health")).generation.manifest === bManifest.cid, 60_000, () => node.output);
    assert.equal(mirror.requests.filter((r) => r.offset === 0).length, 1, "B's first bytes were downloaded once");
    const answer = await generateOnce(node);
    assert.deepEqual(answer, { model: bName, manifest: bManifest.cid, source: "llm" });

    // 4. SIGKILL during the swap to C: while C is being loaded beside B.
    await adopt(chain, { role: "generation", ...cManifest, name: cName });
    await node.waitForOutput(/loading generation v\d+ ns-llm-test-llama-c beside the current model/, 60_000);
    await node.kill();
    const midSwap = !/applied generation v\d+ ns-llm-test-llama-c/.test(node.output);
    console.log(`SIGKILL landed ${midSwap ? "during the swap to C (loading beside B)" : "just after the swap to C"}`);

    // 5. Restart: B or C from the first answer on, never none; then C, what the chain holds.
    const afterSwap = await restartWatching(node);
    for (const g of afterSwap) {
      assert.equal(g.ready, true, `a generation model is loaded from the first answer on: ${JSON.stringify(afterSwap)}`);
      assert.ok(
        (g.model === bName && g.manifest === bManifest.cid) || (g.model === cName && g.manifest === cManifest.cid),
        `serves B or C, nothing else: ${JSON.stringify(g)}`,
      );
    }
    await waitUntil("C to serve", async () => (await node.get<Health>("/health")).generation.manifest === cManifest.cid, 60_000, () => node.output);
    assert.deepEqual(await generateOnce(node), { model: cName, manifest: cManifest.cid, source: "llm" });
    const state = await node.get<GovernanceState>("/api/governance");
    assert.deepEqual(
      { generation: state.applied.generation?.cid, parameters: state.applied.parameters?.cid, lastError: state.lastError },
      { generation: cManifest.cid, parameters: parameters.cid, lastError: null },
    );
    const health = await node.get<Health>("/health");
    assert.equal(health.status, "ok", health.reasons.join("; "));

    // 6. A restart while the chain does not answer: C from the first answer on (restored from the
    //    database and the store alone); the node says it does not follow, and follows once the
    //    chain is back, catching up with what was adopted meanwhile.
    const p3 = await publishManifest(node, {
      schema: "ns-llm.manifest/v1",
      role: "parameters",
      name: "ns-llm-test-parameters-3",
      description: "adopted while the node could not reach the chain",
      parameters: { temperature: 0.5, maxTokens: 32 },
    });
    await node.kill();
    await proxy.down();
    await adopt(chain, { role: "parameters", ...p3, name: "ns-llm-test-parameters-3" });
    const offline = await restartWatching(node);
    for (const g of offline) assert.deepEqual({ ready: g.ready, model: g.model, manifest: g.manifest }, { ready: true, model: cName, manifest: cManifest.cid });
    const blind = await node.get<Health>("/health");
    assert.equal(blind.status, "degraded");
    assert.match(blind.governance.lastError?.message ?? "", /not following the chain/);
    assert.equal((await node.get<GovernanceState>("/api/governance")).lastError?.code, "chain_unreachable", "an RPC that does not answer is not a missing deployment");
    await proxy.up();
    await waitUntil("the parameters adopted while the chain was unreachable", async () => (await node.get<GovernanceState>("/api/governance")).applied.parameters?.cid === p3.cid, 60_000, () => node.output);
    await waitUntil("/health ok again", async () => (await node.get<Health>("/health")).status === "ok", 30_000, () => node.output);

    // 7. The applied model's file is gone from the store at restart (a disk clean-up): the node
    //    says it could not restore it and fetches it again from its sources.
    await node.kill();
    const blob = path.join(storeLayout(node.home).blobs, sha256Hex(c));
    await stat(blob);
    await rm(blob);
    await node.start();
    await node.waitForOutput(/could not restore generation v\d+: /);
    await waitUntil("C to serve again", async () => (await node.get<Health>("/health")).generation.manifest === cManifest.cid, 60_000, () => node.output);
    await stat(blob);
    assert.deepEqual(await generateOnce(node), { model: cName, manifest: cManifest.cid, source: "llm" });
    const healed = await node.get<Health>("/health");
    assert.equal(healed.status, "ok", healed.reasons.join("; "));
  });
});
