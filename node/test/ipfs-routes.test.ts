/**
 * `POST /api/manifests` and `GET /api/manifests/:cid` (the `manifestRoutes` plugin) over a real
 * embedded IPFS node, through fastify's inject.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import Fastify, { type FastifyInstance } from "fastify";
import { computeCid, openEmbeddedIpfs, type IpfsClient } from "../src/ipfs/index.ts";
import { manifestRoutes } from "../src/server/index.ts";
import { manifestDigest, parseManifest } from "../src/manifest/index.ts";

describe("manifest routes", () => {
  let dir: string;
  let ipfs: IpfsClient;
  let app: FastifyInstance;
  let example: Buffer;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "ns-llm-ipfs-routes-"));
    ipfs = await openEmbeddedIpfs({ repo: dir });
    app = Fastify({ bodyLimit: 1024 * 1024 });
    await app.register(manifestRoutes, { ipfs, validate: (bytes) => parseManifest(bytes, { maxTotalBytes: 10 ** 9 }) });
    // A route outside the plugin keeps fastify's own JSON parser.
    app.post("/echo", async (request) => request.body);
    await app.ready();
    example = await fs.readFile(new URL("../../manifests/examples/parameters-change.json", import.meta.url));
  });
  after(async () => {
    await app.close();
    await ipfs.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const post = (payload: string | Buffer, contentType = "application/json") =>
    app.inject({ method: "POST", url: "/api/manifests", headers: { "content-type": contentType }, payload });

  it("publishes the exact bytes sent and answers their CID and digest", async () => {
    const res = await post(example);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { cid: await computeCid(example), digest: manifestDigest(example) });
  });

  it("keeps the client's formatting: compact JSON gets its own digest", async () => {
    const compact = JSON.stringify(JSON.parse(example.toString()));
    const res = await post(compact);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().digest, manifestDigest(compact));
    assert.notEqual(res.json().cid, await computeCid(example));
  });

  it("refuses an invalid manifest with 400 and every reason, publishing nothing", async () => {
    const bad = JSON.stringify({ schema: "ns-llm.manifest/v1", role: "oracle", name: "" });
    const res = await post(bad);
    assert.equal(res.statusCode, 400);
    const { error } = res.json();
    assert.equal(error.code, "manifest_invalid");
    assert.ok(Array.isArray(error.problems) && error.problems.length >= 2, res.body);
    assert.ok(error.problems.some((p: { pointer: string }) => p.pointer === "/role"));
    assert.equal(await ipfs.has!(await computeCid(Buffer.from(bad))), false);
  });

  it("refuses a body that is not JSON with 400 manifest_not_json", async () => {
    const res = await post("{ not json");
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, "manifest_not_json");
  });

  it("leaves other routes' JSON parsing alone", async () => {
    const res = await app.inject({ method: "POST", url: "/echo", payload: { a: 1 } });
    assert.deepEqual(res.json(), { a: 1 });
  });

  it("serves a published manifest's exact bytes by CID, with its digest and immutable caching", async () => {
    const { cid } = (await post(example)).json();
    const res = await app.inject({ method: "GET", url: `/api/manifests/${cid}` });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers["content-type"]), /^application\/json/);
    assert.ok(res.rawPayload.equals(example));
    assert.equal(res.headers["x-ns-llm-manifest-digest"], manifestDigest(example));
    assert.match(String(res.headers["cache-control"]), /immutable/);
  });

  it("answers 404 for a CID the node cannot find, 400 for a malformed one", async () => {
    const missing = await app.inject({ method: "GET", url: `/api/manifests/${await computeCid(randomBytes(32))}` });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, "not_found");
    const malformed = await app.inject({ method: "GET", url: "/api/manifests/not-a-cid" });
    assert.equal(malformed.statusCode, 400);
    assert.equal(malformed.json().error.code, "invalid_cid");
  });

  it("answers 422 for content that is not a JSON manifest", async () => {
    const notJson = await ipfs.addBytes(Buffer.from("\x00\x01 binary"));
    const res = await app.inject({ method: "GET", url: `/api/manifests/${notJson}` });
    assert.equal(res.statusCode, 422);
    assert.equal(res.json().error.code, "not_a_manifest");
    const tooLarge = await ipfs.addBytes(Buffer.alloc(1024 * 1024 + 1, 0x20));
    const large = await app.inject({ method: "GET", url: `/api/manifests/${tooLarge}` });
    assert.equal(large.statusCode, 422);
    assert.equal(large.json().error.code, "manifest_too_large");
  });
});
