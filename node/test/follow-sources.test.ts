/**
 * Follow the chain, sources: adoptions taken through the real governance path (Hardhat chain,
 * node process, embedded IPFS) whose artifacts come from an HTTP mirror run by the test on
 * 127.0.0.1 (the dev chain allows loopback sources).
 *
 * - A mirror that fails twice and then serves does not doom the adoption: it is applied.
 * - A mirror serving other bytes: refused (artifact_mismatch); /api/governance, /health and the
 *   audit log say which source and a code, never the hash it served; `ns-llm adoption list`
 *   gives the operator the whole story; `ns-llm adoption retry` applies it once the mirror is fixed.
 * - A manifest naming a private or metadata address is refused with the reason, before any fetch.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestChain, type TestChain } from "./helpers/chain.ts";
import {
  adopt,
  auditEntries,
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

const BIN = path.resolve(import.meta.dirname, "../bin/ns-llm.js");

describe("follow the chain: sources", () => {
  let chain: TestChain;
  let node: FollowNode;
  let mirror: http.Server;
  let mirrorUrl: string;
  const files = new Map<string, Uint8Array>();
  const hits = new Map<string, number>();
  const failFirst = new Map<string, number>();

  before(async () => {
    chain = await startTestChain();
    node = await spawnFollowNode({ chain });
    mirror = http.createServer((req, res) => {
      const name = new URL(req.url!, "http://x").pathname;
      hits.set(name, (hits.get(name) ?? 0) + 1);
      const left = failFirst.get(name) ?? 0;
      if (left > 0) {
        failFirst.set(name, left - 1);
        res.writeHead(503).end("try later");
        return;
      }
      const bytes = files.get(name);
      if (!bytes) return void res.writeHead(404).end();
      res.end(bytes);
    });
    await new Promise<void>((resolve) => mirror.listen(0, "127.0.0.1", resolve));
    mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
  });

  after(async () => {
    await node?.stop();
    await chain?.stop();
    await new Promise((resolve) => mirror?.close(resolve));
  });

  const governance = () => node.get<GovernanceState>("/api/governance");
  const applied = (cid: string) =>
    waitUntil(`the adoption of ${cid}`, async () => ((await governance()).applied.generation?.cid === cid ? true : undefined), 60_000, () => node.output);

  function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args], { env: { ...process.env, NS_LLM_HOME: node.home } }, (error, stdout, stderr) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  it("a source that fails twice and then serves does not doom the adoption", async () => {
    const bytes = otherDemoLlama(0x5a5a_0001, "ns-llm-test-llama-flaky");
    files.set("/flaky.gguf", bytes);
    failFirst.set("/flaky.gguf", 2);
    const { cid, digest } = await publishManifest(
      node,
      generationManifest({ name: "ns-llm-test-llama-flaky", sha256: sha256Hex(bytes), size: bytes.byteLength, sources: [`${mirrorUrl}/flaky.gguf`] }),
    );
    await adopt(chain, { role: "generation", cid, digest });
    await applied(cid);
    assert.equal(hits.get("/flaky.gguf"), 3, "two failures, then the download");
    const attempt = (await governance()).history.find((a) => a.cid === cid && a.status === "applied");
    assert.ok(attempt, "applied, not refused");
  });

  it("wrong bytes are refused without telling the public what the source served; the operator sees it, and retries", async () => {
    const bytes = otherDemoLlama(0x5a5a_0002, "ns-llm-test-llama-wrong");
    const served = new Uint8Array(bytes.byteLength).fill(7);
    files.set("/wrong.gguf", served);
    const { cid, digest } = await publishManifest(
      node,
      generationManifest({ name: "ns-llm-test-llama-wrong", sha256: sha256Hex(bytes), size: bytes.byteLength, sources: [`${mirrorUrl}/wrong.gguf`] }),
    );
    await adopt(chain, { role: "generation", cid, digest });
    const state = await waitUntil("the refusal", async () => {
      const s = await governance();
      return s.errors.generation?.cid === cid ? s : undefined;
    });
    const error = state.errors.generation!;
    assert.equal(error.code, "artifact_mismatch");
    assert.equal(error.retrying, false);
    assert.match(error.message, new RegExp(`could not fetch model\\.gguf \\(sha256 ${sha256Hex(bytes).slice(0, 12)}…, ${bytes.byteLength} bytes\\): ${mirrorUrl}/wrong\\.gguf: wrong_content`));
    const leaked = sha256Hex(served);
    assert.ok(!JSON.stringify(state).includes(leaked), "/api/governance does not carry the served bytes' hash");
    const health = await node.get<Health>("/health");
    assert.ok(!JSON.stringify(health).includes(leaked), "/health neither");
    const refused = await waitUntil("the audit entry", async () => (await auditEntries(node)).find((e) => e.step === "refused" && e.cid === cid));
    assert.equal(refused.code, "artifact_mismatch");
    assert.ok(!JSON.stringify(await auditEntries(node)).includes(leaked), "nor the anchored audit log");

    // The operator's view has the whole story.
    const list = await cli("adoption", "list", "--json");
    assert.equal(list.code, 0, list.stderr);
    const mine = (JSON.parse(list.stdout) as { attempts: Array<{ cid: string; status: string; detail: string | null }> }).attempts.find((a) => a.cid === cid)!;
    assert.equal(mine.status, "failed");
    assert.match(mine.detail!, new RegExp(`wrong digest: the bytes have sha256 ${leaked}`));
    assert.match(node.output, new RegExp(`wrong digest: the bytes have sha256 ${leaked}`), "and so has the node's log");

    // Refused for good until the operator asks; the mirror is fixed, the retry applies it.
    files.set("/wrong.gguf", bytes);
    const retry = await cli("adoption", "retry", "generation");
    assert.equal(retry.code, 0, retry.stderr);
    assert.match(retry.stdout, /generation v\d+ \(.*\) will be tried again by the running node/);
    await applied(cid);
    assert.equal((await cli("adoption", "retry", "generation")).code, 1, "nothing refused any more");
  });

  it("a manifest naming a private or metadata address is refused with the reason, before any fetch", async () => {
    const bytes = otherDemoLlama(0x5a5a_0003, "ns-llm-test-llama-private");
    const manifest = generationManifest({
      name: "ns-llm-test-llama-private",
      sha256: sha256Hex(bytes),
      size: bytes.byteLength,
      sources: ["http://169.254.169.254/latest/meta-data/model.gguf"],
    });
    const publish = await node.post("/api/manifests", manifest);
    assert.equal(publish.status, 400);
    assert.match(await publish.text(), /cloud metadata address \(never allowed\)/);

    // Published around the validation, and adopted: the follower refuses it the same way.
    const { cid, digest } = await publishRawManifest(node, manifest);
    await adopt(chain, { role: "generation", cid, digest });
    const error = await waitUntil("the refusal", async () => {
      const e = (await governance()).errors.generation;
      return e?.cid === cid ? e : undefined;
    });
    assert.equal(error.code, "manifest_invalid");
    assert.match(error.message, /\/model\/artifacts\/0\/sources\/0: names 169\.254\.169\.254 is a cloud metadata address \(never allowed\): sources must reach public addresses/);
  });
});
