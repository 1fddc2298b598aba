/**
 * Storage and sources on a real node (startNode, embedded Helia, real HTTP): uploads past the
 * IPFS quota are refused and leave no block behind (refused from the Content-Length, or cut off
 * while streaming); a manifest naming a private address is refused at publication with the
 * reason; /metrics shows the storage figures; garbage collection keeps what is referenced.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { startTestNode, type TestNode } from "./helpers/api-node.ts";

const QUOTA = 2 * 1024 * 1024;

describe("a node's storage and sources", () => {
  let node: TestNode;
  let mirror: http.Server;
  let mirrorUrl: string;
  let mirrorRequests = 0;

  before(async () => {
    // no chain: loopback is not allowed unless the operator says so; uploads share a 2 MiB quota
    // (the demo genesis already uses some of it); GC only when asked.
    node = await startTestNode({}, { NS_LLM_MAX_IPFS_BYTES: String(QUOTA), NS_LLM_ALLOW_HTTP_SOURCES: "1", NS_LLM_GC_INTERVAL_S: "0" });
    mirror = http.createServer((_req, res) => {
      mirrorRequests++;
      res.end("model");
    });
    await new Promise<void>((resolve) => mirror.listen(0, "127.0.0.1", resolve));
    mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
  });

  after(async () => {
    await node?.stop();
    await new Promise((resolve) => mirror?.close(resolve));
  });

  const upload = (body: BodyInit) =>
    fetch(`${node.url}/api/ipfs`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body, duplex: "half" } as RequestInit);

  it("refuses an upload past the quota from its Content-Length, and nothing is stored", async () => {
    const before = await node.ipfs.repoBytes!();
    const response = await upload(randomBytes(QUOTA));
    assert.equal(response.status, 507);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, "storage_full");
    assert.match(body.error.message, /the IPFS repo holds .* of its 2\.0 MiB quota \(NS_LLM_MAX_IPFS_BYTES\)/);
    assert.equal(await node.ipfs.repoBytes!(), before);
  });

  it("cuts off a streamed upload (no Content-Length) once it passes the quota, and removes what it wrote", async () => {
    const before = await node.ipfs.repoBytes!();
    const chunk = randomBytes(256 * 1024);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= QUOTA * 2) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(new Uint8Array(randomBytes(chunk.byteLength)));
      },
    });
    const response = await upload(stream).catch(() => undefined);
    if (response) assert.equal(response.status, 507);
    assert.equal(await node.ipfs.repoBytes!(), before, "the blocks the cut upload wrote are gone");
    // and an upload that fits still works
    const ok = await upload(randomBytes(64 * 1024));
    assert.equal(ok.status, 200);
  });

  it("refuses to publish a manifest naming a private address, saying why, and fetches nothing", async () => {
    const manifest = {
      schema: "ns-llm.manifest/v1",
      role: "generation",
      name: "private-source",
      model: { format: "gguf", artifacts: [{ path: "m.gguf", sha256: "ab".repeat(32), size: 5, sources: [`${mirrorUrl}/m.gguf`, "http://169.254.169.254/latest"] }] },
    };
    const response = await fetch(`${node.url}/api/manifests`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(manifest) });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; message: string; problems: Array<{ pointer: string; message: string }> } };
    assert.equal(body.error.code, "manifest_invalid");
    assert.deepEqual(
      body.error.problems.map((p) => p.pointer),
      ["/model/artifacts/0/sources/0", "/model/artifacts/0/sources/1"],
    );
    assert.match(body.error.problems[0]!.message, /names 127\.0\.0\.1 is a loopback address \(allowed only with NS_LLM_ALLOW_PRIVATE_SOURCES=loopback\): sources must reach public addresses/);
    assert.match(body.error.problems[1]!.message, /cloud metadata address \(never allowed\)/);
    assert.equal(mirrorRequests, 0);
  });

  it("shows the storage figures in /metrics, and gc keeps the store's referenced blobs", async () => {
    const text = await (await fetch(`${node.url}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text)?.[1]);
    assert.ok(value("ns_llm_ipfs_repo_bytes") > 0, "the demo genesis is in the repo");
    assert.equal(value("ns_llm_ipfs_quota_bytes"), QUOTA);
    assert.equal(value("ns_llm_store_quota_bytes"), 64 * 1024 ** 3);
    assert.equal(value("ns_llm_store_bytes"), 0);
    assert.match(text, /^ns_llm_gc_collected_bytes_total\{store="models"\} 0$/m);

    // Nothing applied, the demo genesis kept as roots, files young: a sweep removes nothing.
    const repo = await node.ipfs.repoBytes!();
    const result = await node.storage.collect();
    assert.equal(result.store.blobs.length, 0);
    assert.equal(result.ipfs?.blocks, 0);
    assert.equal(await node.ipfs.repoBytes!(), repo);
  });

  it("IPFS gc removes the blocks no root reaches, and keeps every block of a root's DAG", async () => {
    const kept = randomBytes(300 * 1024); // two chunks: a dag-pb root and two raw leaves
    const dropped = randomBytes(100 * 1024);
    const add = async (bytes: Buffer) => {
      const response = await upload(new Uint8Array(bytes));
      assert.equal(response.status, 200, await response.clone().text());
      return ((await response.json()) as { cid: string }).cid;
    };
    const keptCid = await add(kept);
    const droppedCid = await add(dropped);
    const dry = await node.ipfs.gc!([keptCid], { graceMs: 0, dryRun: true });
    assert.ok(dry.blocks > 0);
    assert.ok(Buffer.from(await node.ipfs.catBytes(droppedCid, { maxBytes: 1 << 20, timeoutMs: 5000 })).equals(dropped), "a dry run removes nothing");
    const done = await node.ipfs.gc!([keptCid], { graceMs: 0 });
    assert.equal(done.blocks, dry.blocks);
    assert.equal(done.kept, 3, "the root and its two leaves");
    assert.ok(Buffer.from(await node.ipfs.catBytes(keptCid, { maxBytes: 1 << 20, timeoutMs: 5000 })).equals(kept));
    await assert.rejects(node.ipfs.catBytes(droppedCid, { maxBytes: 1 << 20, timeoutMs: 5000 }), /not found/);
  });
});
