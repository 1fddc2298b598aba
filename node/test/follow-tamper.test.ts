/**
 * Follow the chain, refusals: adoptions that must not be applied, each taken through the real
 * governance path on a real Hardhat chain to a real node process. Each one is refused with a clear
 * reason (GET /api/governance `lastError` and history, /health degraded with the reason,
 * ns_llm_governance_refusals_total, an audit entry) while the old model keeps serving. An
 * unreachable CID is retried with backoff (its `tries` grows) and the node stays up.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Role } from "@ns-llm/contracts";
import { computeCid } from "../src/ipfs/index.ts";
import { encodeManifest, manifestDigest } from "../src/manifest/index.ts";
import { startTestChain, type TestChain } from "./helpers/chain.ts";
import {
  addToNodeIpfs,
  adopt,
  auditEntries,
  generationManifest,
  otherDemoLlama,
  publishRawManifest,
  sha256Hex,
  spawnFollowNode,
  type FollowNode,
  type GovernanceState,
  type Health,
} from "./helpers/follow.ts";
import { waitUntil } from "./helpers/processes.ts";

const MAX_MODEL_BYTES = 4 * 1024 * 1024;

describe("follow the chain: tampered and unreachable adoptions", () => {
  let chain: TestChain;
  let node: FollowNode;
  let old: { model: string; manifest: string };
  /** The genuine second model, in the node's IPFS. */
  const gguf = otherDemoLlama(0x7a3d_0001, "ns-llm-test-llama-t");
  let ggufCid: string;

  before(async () => {
    chain = await startTestChain();
    node = await spawnFollowNode({ chain, env: { NS_LLM_MAX_MODEL_BYTES: String(MAX_MODEL_BYTES) } });
    const health = await node.get<Health>("/health");
    old = { model: health.generation.model!, manifest: health.generation.manifest! };
    ggufCid = await addToNodeIpfs(node, gguf);
  });

  after(async () => {
    await node?.stop();
    await chain?.stop();
  });

  /** Adopts (cid, digest) for generation and checks that the node refuses it with `code` and a reason matching `reason`. */
  async function expectRefused(p: { cid: string; digest: `0x${string}`; code: string; reason: RegExp; retrying?: boolean; role?: Role }) {
    const role = p.role ?? "generation";
    await adopt(chain, { role, cid: p.cid, digest: p.digest });
    const state = await waitUntil(
      `the refusal of ${p.cid}`,
      async () => {
        const s = await node.get<GovernanceState>("/api/governance");
        return s.lastError?.cid === p.cid ? s : undefined;
      },
      30_000,
      () => node.output,
    );
    const error = state.lastError!;
    assert.equal(error.code, p.code, error.message);
    assert.match(error.message, p.reason);
    assert.equal(error.role, role);
    assert.equal(error.retrying, p.retrying ?? false);
    const attempt = state.history.find((a) => a.cid === p.cid && a.version === error.version);
    assert.equal(attempt?.status, p.retrying ? "retrying" : "failed");
    assert.equal(attempt?.code, p.code);
    assert.equal(attempt?.reason, error.message);

    const health = await node.get<Health>("/health");
    assert.equal(health.status, "degraded");
    assert.ok(health.reasons.some((r) => r.includes(error.message)), `/health says why: ${health.reasons.join("; ")}`);
    assert.deepEqual({ model: health.generation.model, manifest: health.generation.manifest, ready: health.generation.ready }, { ...old, ready: true });

    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`ns_llm_governance_refusals_total\\{role="${role}",code="${p.code}"\\} [1-9]`));
    const entries = await waitUntil("the audit entry", async () => {
      const all = await auditEntries(node);
      return all.some((e) => e.type === "governance" && e.step === "refused" && e.cid === p.cid && e.code === p.code) ? all : undefined;
    });
    assert.ok(entries.length > 0);

    // The old model keeps serving.
    const r = await fetch(`${node.url}/generate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ prompt: "Still there?", maxTokens: 3 }) });
    assert.equal(r.status, 200);
    const body = (await r.json()) as { model: string; manifest: string; source: string };
    assert.deepEqual({ model: body.model, manifest: body.manifest, source: body.source }, { ...old, source: "llm" });
    return state;
  }

  const valid = () => generationManifest({ name: "ns-llm-test-llama-t", sha256: sha256Hex(gguf), size: gguf.byteLength, sources: [`ipfs://${ggufCid}`] });

  it("refuses manifest bytes that do not match the digest on chain", async () => {
    const { cid, bytes } = await publishRawManifest(node, { ...valid(), description: "the bytes the chain did not vote for" });
    const voted = manifestDigest(encodeManifest({ ...valid(), description: "the bytes the chain voted for" }));
    assert.notEqual(voted, manifestDigest(bytes));
    await expectRefused({ cid, digest: voted, code: "digest_mismatch", reason: /manifest bytes hash to 0x[0-9a-f]{64}, the chain says 0x[0-9a-f]{64}/ });
  });

  it("refuses an artifact whose bytes have another sha256", async () => {
    const { cid, digest } = await publishRawManifest(node, { ...valid(), model: { ...valid().model as object, artifacts: [{ path: "model.gguf", sha256: sha256Hex(randomBytes(32)), size: gguf.byteLength, sources: [`ipfs://${ggufCid}`] }] } });
    await expectRefused({ cid, digest, code: "artifact_mismatch", reason: /model\.gguf \(sha256 [0-9a-f]{12}…, \d+ bytes\): ipfs:\/\/\S+: wrong_content$/ });
  });

  it("refuses a truncated artifact (fewer bytes than its size)", async () => {
    const truncated = gguf.subarray(0, Math.floor(gguf.byteLength / 2));
    const truncatedCid = await addToNodeIpfs(node, truncated);
    const { cid, digest } = await publishRawManifest(node, generationManifest({ name: "ns-llm-test-llama-t", sha256: sha256Hex(gguf), size: gguf.byteLength, sources: [`ipfs://${truncatedCid}`] }));
    await expectRefused({ cid, digest, code: "artifact_mismatch", reason: new RegExp(`${gguf.byteLength} bytes\\): ipfs://${truncatedCid}: wrong_content$`) });
    // What the source held (its size) is for the operator's log only.
    assert.match(node.output, new RegExp(`holds ${truncated.byteLength} bytes, the manifest says ${gguf.byteLength}`));
  });

  it("refuses an artifact path that leaves its folder (at validation)", async () => {
    const { cid, digest } = await publishRawManifest(node, generationManifest({ name: "ns-llm-test-llama-t", sha256: sha256Hex(gguf), size: gguf.byteLength, sources: [`ipfs://${ggufCid}`], path: "../x" }));
    await expectRefused({ cid, digest, code: "manifest_invalid", reason: /\/model\/artifacts\/0\/path: .*'\.\.' segment/ });
  });

  it("refuses an artifact above NS_LLM_MAX_MODEL_BYTES (before fetching it)", async () => {
    const big = randomBytes(MAX_MODEL_BYTES + 1024);
    const upload = await node.post("/api/ipfs", big);
    assert.equal(upload.status, 413, "the upload route is bounded by the same limit");
    assert.equal(((await upload.json()) as { error: { code: string } }).error.code, "body_too_large");
    const { cid, digest } = await publishRawManifest(node, generationManifest({ name: "ns-llm-test-llama-big", sha256: sha256Hex(big), size: big.byteLength, sources: [`ipfs://${await computeCid(big)}`] }));
    await expectRefused({ cid, digest, code: "manifest_invalid", reason: new RegExp(`total size ${big.byteLength} bytes is above this node's limit of ${MAX_MODEL_BYTES} bytes \\(NS_LLM_MAX_MODEL_BYTES\\)`) });
  });

  it("retries an unreachable artifact CID with backoff and reports it", async () => {
    const absent = randomBytes(4096);
    const { cid, digest } = await publishRawManifest(node, generationManifest({ name: "ns-llm-test-llama-absent", sha256: sha256Hex(absent), size: absent.byteLength, sources: [`ipfs://${await computeCid(absent)}`] }));
    await expectRefused({ cid, digest, code: "source_unreachable", reason: /: source_unavailable$/, retrying: true });
    const retried = await waitUntil("a second try", async () => {
      const s = await node.get<GovernanceState>("/api/governance");
      return s.history.find((a) => a.cid === cid && a.tries >= 2);
    });
    assert.equal(retried.status, "retrying");
  });

  it("retries an unreachable manifest CID with backoff, reports it, and stays up", async () => {
    const bytes = encodeManifest(valid());
    const cid = await computeCid(encodeManifest({ ...valid(), description: "published nowhere" }));
    await expectRefused({ cid, digest: manifestDigest(bytes), code: "manifest_unreachable", reason: /could not fetch manifest/, retrying: true });
    const tries: number[] = [];
    const attempt = await waitUntil(
      "three tries",
      async () => {
        const s = await node.get<GovernanceState>("/api/governance");
        const a = s.history.find((h) => h.cid === cid);
        if (a && tries.at(-1) !== a.tries) tries.push(a.tries);
        return a && a.tries >= 3 ? a : undefined;
      },
      30_000,
    );
    assert.equal(attempt.status, "retrying");
    assert.deepEqual(tries, [...tries].sort((a, b) => a - b), "tries only grows");
    const refusals = (await auditEntries(node)).filter((e) => e.step === "refused" && e.cid === cid);
    assert.ok(refusals.length >= 3, "each try is in the audit log");
    // Backoff: the gaps between tries grow (base 1 s, doubling, with jitter 0.5..1).
    const times = refusals.map((e) => Date.parse(String(e.time)));
    console.log(`unreachable manifest: tries at +${times.map((t) => ((t - times[0]!) / 1000).toFixed(1)).join(" s, +")} s`);
    assert.ok(node.running, "the node is up");
    assert.equal((await node.get<Health>("/health")).generation.model, old.model);
  });
});
