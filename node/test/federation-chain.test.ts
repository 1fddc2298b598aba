/**
 * The chain's say on the federation (NS_LLM_FEDERATION_OPERATORS=anchored), on a Hardhat chain:
 * a receiver takes the answers of an operator that has anchored an audit batch on AuditAnchor,
 * and refuses (and counts, `unknown_operator`) the correctly signed answers of an operator that
 * never anchored; an operator that anchors later is taken once it has.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { auditAnchorAbi, type FederationManifestSet } from "@ns-llm/contracts";
import { Registry } from "prom-client";
import { privateKeyToAccount } from "viem/accounts";
import { connectAnchor } from "../src/audit/index.ts";
import { unlockedWallet } from "../src/chain/index.ts";
import { anchoredOperators, createFederation, type Federation } from "../src/federation/index.ts";
import { cacheKey } from "../src/gateway/cache-key.ts";
import { metricValue } from "./helpers/api-node.ts";
import { DEV_KEY_0, startTestChain, type TestChain } from "./helpers/chain.ts";

const KEY_2 = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
const SET: FederationManifestSet = { generation: "bafkreigeneration", embedding: "bafkreiembedding", parameters: "sha256:params" };
const KEY = cacheKey({ generation: SET.generation, parameters: SET.parameters }, { maxTokens: 12 });

let chain: TestChain;
const running: Federation[] = [];
before(async () => {
  chain = await startTestChain();
});
after(async () => {
  for (const f of running) await f.stop();
  await chain?.stop();
});

async function anchorOne(address: `0x${string}`) {
  const wallet = unlockedWallet(chain.rpcUrl, address, await chain.publicClient.getChainId());
  const hash = await wallet.writeContract({
    address: chain.deployment.contracts.AuditAnchor.address as `0x${string}`,
    abi: auditAnchorAbi,
    functionName: "anchor",
    args: [`0x${"11".repeat(32)}`, 0n, 0n],
    account: address,
    chain: wallet.chain,
  });
  await chain.publicClient.waitForTransactionReceipt({ hash });
}

async function waitFor<T>(probe: () => T | Promise<T>, timeoutMs = 20_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test("only operators that anchor audit batches on the chain have their answers taken", async () => {
  const anchored = privateKeyToAccount(DEV_KEY_0);
  const stranger = privateKeyToAccount(KEY_2);
  await anchorOne(anchored.address);

  const registry = new Registry();
  const receiver = await createFederation({
    listen: ["/ip4/127.0.0.1/tcp/0"],
    bootstrap: [],
    manifests: () => SET,
    registry,
    acceptOperator: anchoredOperators(async () => connectAnchor({ rpcUrl: chain.rpcUrl, deploymentFile: chain.deploymentFile }), { retryMs: 0 }),
  });
  running.push(receiver);
  const address = receiver.status().addresses.find((m) => m.includes("/p2p/"))!;
  const publish = async (account: typeof anchored) => {
    const f = await createFederation({ listen: [], bootstrap: [address], account, manifests: () => SET, registry: new Registry() });
    running.push(f);
    await waitFor(() => f.status().topicPeers >= 1);
    return f;
  };
  const fromAnchored = await publish(anchored);
  const fromStranger = await publish(stranger);
  const refused = async () => metricValue(await registry.metrics(), 'ns_llm_federation_messages_total{result="refused",reason="unknown_operator"}');

  await fromAnchored.announce({ key: KEY, prompt: "from an anchoring node", text: "taken", model: "demo", tokens: 1, auditSeq: 0, manifests: SET });
  const taken = await waitFor(() => receiver.lookup(KEY, "from an anchoring node"));
  assert.equal(taken.operator, anchored.address);

  await fromStranger.announce({ key: KEY, prompt: "from a stranger", text: "refused", model: "demo", tokens: 1, auditSeq: 0, manifests: SET });
  await waitFor(async () => (await refused()) >= 1);
  assert.equal(receiver.lookup(KEY, "from a stranger"), null);

  // Once the stranger anchors a batch, it is one of the network's nodes.
  await anchorOne(stranger.address);
  await fromStranger.announce({ key: KEY, prompt: "from a stranger", text: "taken now", model: "demo", tokens: 1, auditSeq: 1, manifests: SET });
  const later = await waitFor(() => receiver.lookup(KEY, "from a stranger"));
  assert.equal(later.record.text, "taken now");
});
