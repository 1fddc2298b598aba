/**
 * Follow the chain, each role on its own: a real Hardhat chain, a real node process (`ns-llm serve
 * --demo`, embedded IPFS, llama.cpp, one thread), adoptions taken through the whole governance path.
 *
 * - A generation model whose download is stuck (its only source is an HTTP mirror run by the test
 *   that holds every byte past 256 KiB) does not hold up a parameters adoption.
 * - When the chain adopts a newer generation model, the stuck download is aborted, recorded as
 *   superseded, and the newer model serves; the partial file stays in the store, and adopting the
 *   old model again resumes it where it stopped.
 * - Each role keeps its own error: a generation adoption retried again and again does not hide
 *   a parameters adoption refused for good, and /health lists both.
 */
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { randomBytes } from "node:crypto";
import { storeLayout } from "../src/inference/store/index.ts";
import { computeCid } from "../src/ipfs/index.ts";
import { encodeManifest, manifestDigest, type Manifest } from "../src/manifest/index.ts";
import { startTestChain, type TestChain } from "./helpers/chain.ts";
import {
  addToNodeIpfs,
  adopt,
  auditEntries,
  generateOnce,
  generationManifest,
  otherDemoLlama,
  publishManifest,
  publishRawManifest,
  sha256Hex,
  spawnFollowNode,
  type FollowNode,
  type GovernanceState,
  type Health,
} from "./helpers/follow.ts";
import { waitUntil } from "./helpers/processes.ts";
import { slowMirror, type SlowMirror } from "./helpers/slow-mirror.ts";

const HOLD = 256 * 1024;

describe("follow the chain: each role on its own", () => {
  let chain: TestChain;
  let node: FollowNode;
  let mirror: SlowMirror;
  let genesis: { model: string; manifest: string };
  const bName = "ns-llm-test-llama-b";
  const b = otherDemoLlama(0x0b0b_0002, bName);
  let bManifest: { cid: string; digest: `0x${string}` };
  let bPart: string;

  before(async () => {
    chain = await startTestChain();
    node = await spawnFollowNode({ chain });
    mirror = await slowMirror(b, HOLD);
    const health = await node.get<Health>("/health");
    genesis = { model: health.generation.model!, manifest: health.generation.manifest! };
    bPart = path.join(storeLayout(node.home).tmp, `${sha256Hex(b)}.part`);
  });

  after(async () => {
    await node?.stop();
    await mirror?.close();
    await chain?.stop();
  });

  const governance = () => node.get<GovernanceState & { parameters: Record<string, unknown> }>("/api/governance");

  it("applies a parameters adoption while a generation download is stuck", async () => {
    assert.ok(b.byteLength > 2 * HOLD, "the model is larger than what the mirror sends before it holds");
    bManifest = await publishManifest(node, generationManifest({ name: bName, sha256: sha256Hex(b), size: b.byteLength, sources: [mirror.url] }));
    await adopt(chain, { role: "generation", ...bManifest, name: bName });
    await waitUntil(
      "the download of B to be stuck at the mirror's hold",
      async () => ((await stat(bPart).catch(() => undefined))?.size ?? 0) >= HOLD,
      30_000,
      () => node.output,
    );

    const parameters = await publishManifest(node, {
      schema: "ns-llm.manifest/v1",
      role: "parameters",
      name: "ns-llm-test-parameters-2",
      description: "adopted while a generation model downloads",
      parameters: { temperature: 0.3, maxTokens: 64, systemPrompt: "Adopted beside a download." },
    });
    await adopt(chain, { role: "parameters", ...parameters, name: "ns-llm-test-parameters-2" });
    const state = await waitUntil("the parameters to apply", async () => {
      const s = await governance();
      return s.applied.parameters?.cid === parameters.cid ? s : undefined;
    }, 30_000, () => node.output);

    // Applied while B was still held by the mirror: B's download is still in flight, untouched.
    assert.equal(state.applying.generation?.cid, bManifest.cid, "B is still being fetched");
    assert.deepEqual(mirror.requests.map((r) => ({ offset: r.offset, closed: r.closed })), [{ offset: 0, closed: false }], "one request for B, still open");
    assert.equal(state.history.find((h) => h.cid === parameters.cid)?.status, "applied");
    assert.equal(state.history.find((h) => h.cid === bManifest.cid)?.status, "seen");
    assert.deepEqual(state.parameters, { temperature: 0.3, maxTokens: 64, systemPrompt: "Adopted beside a download." });
    assert.deepEqual(state.errors, {});
    const health = await node.get<Health>("/health");
    assert.deepEqual({ model: health.generation.model, manifest: health.generation.manifest }, genesis, "the genesis model serves meanwhile");
  });

  it("supersedes a stuck generation download when the chain adopts a newer model, and resumes it when adopted again", async () => {
    const cName = "ns-llm-test-llama-c";
    const c = otherDemoLlama(0x0c0c_0002, cName);
    const cManifest = await publishManifest(node, generationManifest({ name: cName, sha256: sha256Hex(c), size: c.byteLength, sources: [`ipfs://${await addToNodeIpfs(node, c)}`] }));
    await adopt(chain, { role: "generation", ...cManifest, name: cName });
    await waitUntil("C to serve", async () => (await node.get<Health>("/health")).generation.manifest === cManifest.cid, 60_000, () => node.output);

    // B was passed over: aborted (its request closed before the end), recorded, its part kept.
    const state = await governance();
    const bAttempt = state.history.find((h) => h.cid === bManifest.cid);
    assert.equal(bAttempt?.status, "superseded");
    assert.equal(bAttempt?.code, "superseded");
    assert.match(bAttempt?.reason ?? "", new RegExp(`the chain adopted generation v\\d+ \\(${cManifest.cid}\\)`));
    assert.equal(state.applied.generation?.cid, cManifest.cid);
    assert.deepEqual(state.applying, {});
    assert.equal(state.lastError, null);
    const [first] = mirror.requests;
    await waitUntil("the node to close B's download", async () => first!.closed, 10_000);
    assert.ok(first!.sent < b.byteLength, `closed before the end (sent ${first!.sent} of ${b.byteLength})`);
    assert.ok((await stat(bPart)).size >= HOLD, "the part of B stays in the store");
    const audit = await auditEntries(node);
    assert.ok(audit.some((e) => e.type === "governance" && e.step === "superseded" && e.cid === bManifest.cid && e.byCid === cManifest.cid), "the audit log records it");
    assert.deepEqual(await generateOnce(node), { model: cName, manifest: cManifest.cid, source: "llm" });
    const health = await node.get<Health>("/health");
    assert.equal(health.status, "ok", health.reasons.join("; "));

    // The chain adopts B again (a new version; another proposal): the node resumes the part where it stopped.
    const before = mirror.requests.length;
    await adopt(chain, { role: "generation", ...bManifest, name: `${bName} (again)` });
    const resumed = await waitUntil("the download of B to resume", async () => mirror.requests.slice(before).find(() => true), 30_000, () => node.output);
    assert.equal(resumed.offset, (await stat(bPart)).size, "resumed at the end of the kept part");
    assert.ok(resumed.offset >= HOLD);
    mirror.release();
    await waitUntil("B to serve", async () => (await node.get<Health>("/health")).generation.manifest === bManifest.cid, 60_000, () => node.output);
    assert.equal(mirror.requests.filter((r) => r.offset === 0).length, 1, "B's first bytes were downloaded once");
    assert.deepEqual(await generateOnce(node), { model: bName, manifest: bManifest.cid, source: "llm" });
  });

  it("keeps each role's error: a generation retry does not hide a parameters refusal", async () => {
    // Generation: an artifact CID nobody holds (retried with backoff). Parameters: bytes the chain did not vote for (refused for good).
    const absent = randomBytes(4096);
    const unreachable = await publishRawManifest(node, generationManifest({ name: "ns-llm-test-llama-absent", sha256: sha256Hex(absent), size: absent.byteLength, sources: [`ipfs://${await computeCid(absent)}`] }));
    const pBody = { schema: "ns-llm.manifest/v1", role: "parameters", name: "ns-llm-test-parameters-bad", description: "published", parameters: { temperature: 0.9 } };
    const tampered = await publishRawManifest(node, pBody);
    const voted = manifestDigest(encodeManifest({ ...pBody, description: "voted" } as Manifest));
    await adopt(chain, { role: "generation", cid: unreachable.cid, digest: unreachable.digest });
    await adopt(chain, { role: "parameters", cid: tampered.cid, digest: voted });

    // Both errors stand, and the generation retries after the parameters refusal do not replace it.
    const state = await waitUntil(
      "a generation retry after the parameters refusal",
      async () => {
        const s = await governance();
        const g = s.errors.generation;
        const p = s.errors.parameters;
        const tries = s.history.find((h) => h.cid === unreachable.cid)?.tries ?? 0;
        return g?.cid === unreachable.cid && p?.cid === tampered.cid && tries >= 2 && Date.parse(g.time) > Date.parse(p.time) ? s : undefined;
      },
      60_000,
      () => node.output,
    );
    assert.equal(state.errors.generation!.code, "source_unreachable");
    assert.equal(state.errors.generation!.retrying, true);
    assert.equal(state.errors.parameters!.code, "digest_mismatch");
    assert.equal(state.errors.parameters!.retrying, false);
    assert.deepEqual(state.lastError, state.errors.generation, "lastError is the most recent one");

    const health = await node.get<Health>("/health");
    assert.equal(health.status, "degraded");
    assert.ok(health.reasons.some((r) => r.startsWith("governance: generation: ") && r.endsWith(": source_unavailable")), health.reasons.join("; "));
    assert.ok(health.reasons.includes(`governance: parameters: ${state.errors.parameters!.message}`), health.reasons.join("; "));
    assert.deepEqual({ model: health.generation.model, manifest: health.generation.manifest }, { model: bName, manifest: bManifest.cid }, "B keeps serving");

    // Good parameters: that role's error is gone, the other one stays.
    const good = await publishManifest(node, { schema: "ns-llm.manifest/v1", role: "parameters", name: "ns-llm-test-parameters-3", description: "fixed", parameters: { temperature: 0.5 } });
    await adopt(chain, { role: "parameters", ...good, name: "ns-llm-test-parameters-3" });
    const fixed = await waitUntil("the parameters to apply", async () => {
      const s = await governance();
      return s.applied.parameters?.cid === good.cid ? s : undefined;
    }, 30_000, () => node.output);
    assert.equal(fixed.errors.parameters, undefined);
    assert.equal(fixed.errors.generation?.cid, unreachable.cid);
    assert.equal(fixed.lastError?.role, "generation");
    const after = await node.get<Health>("/health");
    assert.deepEqual(after.reasons.filter((r) => r.startsWith("governance: ")).map((r) => r.split(":")[1]!.trim()), ["generation"], after.reasons.join("; "));
  });
});
