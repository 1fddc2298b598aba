/**
 * The Kubo back end against a real Kubo-RPC server: the js-ipfs daemon, installed by this test
 * into a stable temp folder (first run: a few minutes of npm; later runs: none) and started
 * offline on free ports. Adds through kubo-rpc-client give the same CIDs as the embedded node;
 * manifests publish and fetch; reads are capped and time out; the store pulls ipfs:// through it.
 *
 * Skips itself, saying why, only when npm cannot install js-ipfs (no registry).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openModelStore } from "../src/inference/store/index.ts";
import {
  computeCid,
  fetchManifest,
  ipfsSourceFetcher,
  isIpfsError,
  openEmbeddedIpfs,
  openIpfs,
  openKuboIpfs,
  publishManifest,
  type IpfsClient,
} from "../src/ipfs/index.ts";
import { manifestDigest, parseManifest, type Manifest } from "../src/manifest/index.ts";
import { installJsIpfs, JS_IPFS_DIR, startJsIpfs, type JsIpfsDaemon } from "./helpers/js-ipfs-daemon.ts";
import { freePort } from "./helpers/processes.ts";

let cli: string | undefined;
let skipReason: string | false = false;
try {
  cli = await installJsIpfs();
} catch (error) {
  skipReason = `js-ipfs could not be installed into ${JS_IPFS_DIR} (${(error as Error).message.split("\n")[0]})`;
  console.error(`# skipping the Kubo RPC tests: ${skipReason}`);
}

async function readAll(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

describe("Kubo RPC back end (js-ipfs daemon)", { skip: skipReason }, () => {
  let dir: string;
  let daemon: JsIpfsDaemon;
  let kubo: IpfsClient;
  let embedded: IpfsClient;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "ns-llm-ipfs-kubo-"));
    daemon = await startJsIpfs(cli!, path.join(dir, "js-ipfs-repo"));
    kubo = await openIpfs({ home: dir, ipfsApi: daemon.apiUrl });
    embedded = await openEmbeddedIpfs({ repo: path.join(dir, "embedded") });
  });
  after(async () => {
    await embedded?.stop();
    await kubo?.stop();
    await daemon?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("is the kubo mode when NS_LLM_IPFS_API is set", () => {
    assert.equal(kubo.mode, "kubo");
    assert.equal(kubo.location, daemon.apiUrl);
  });

  it("adds under the same CIDs as the embedded node (one chunk, 256 KiB edge, multi-chunk)", async () => {
    for (const size of [0, 11, 262_144, 262_145, 3 * 1024 * 1024 + 7]) {
      const bytes = randomBytes(size);
      const viaKubo = await kubo.addBytes(bytes);
      assert.equal(viaKubo, await embedded.addBytes(bytes), `${size} bytes`);
      assert.equal(viaKubo, await computeCid(bytes), `${size} bytes`);
    }
    assert.equal(await kubo.addBytes(new TextEncoder().encode("hello world")), "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e");
  });

  it("adds a stream under the same CID", async () => {
    const bytes = randomBytes(700_001);
    const stream = (async function* () {
      for (let at = 0; at < bytes.length; at += 99_999) yield bytes.subarray(at, at + 99_999);
    })();
    assert.equal(await kubo.addByteStream(stream), await computeCid(bytes));
  });

  it("cats back, from an offset, within the size cap", async () => {
    const bytes = randomBytes(1024 * 1024 + 3);
    const cid = await kubo.addBytes(bytes);
    assert.ok((await readAll(kubo.cat(cid))).equals(bytes));
    assert.ok((await readAll(kubo.cat(cid, { offset: 500_000 }))).equals(bytes.subarray(500_000)));
    assert.ok(Buffer.from(await kubo.catBytes(cid, { maxBytes: bytes.length, timeoutMs: 60_000 })).equals(bytes));
    await assert.rejects(kubo.catBytes(cid, { maxBytes: bytes.length - 1, timeoutMs: 60_000 }), (e) => isIpfsError(e, "too_large"));
  });

  it("knows which CIDs the daemon holds", async () => {
    const cid = await kubo.addBytes(randomBytes(100));
    assert.equal(await kubo.has!(cid), true);
    assert.equal(await kubo.has!(await computeCid(randomBytes(100)), { timeoutMs: 2_000 }), false);
  });

  it("gives up on a CID no provider has after the timeout, with timeout", async () => {
    const missing = await computeCid(randomBytes(64));
    await assert.rejects(kubo.catBytes(missing, { maxBytes: 1024, timeoutMs: 1_500 }), (e) => isIpfsError(e, "timeout"));
  });

  it("publishes and fetches a manifest: same CID and digest as the embedded node", async () => {
    const bytes = await fs.readFile(new URL("../../manifests/examples/parameters-change.json", import.meta.url));
    const published = await publishManifest(kubo, bytes);
    assert.deepEqual(published, await publishManifest(embedded, bytes));
    assert.equal(published.digest, manifestDigest(bytes));
    assert.ok(Buffer.from(await fetchManifest(kubo, published.cid, { timeoutMs: 30_000 })).equals(bytes));
  });

  it("feeds the model store through the daemon", async () => {
    const bytes = randomBytes(600_000);
    const cid = await kubo.addBytes(bytes);
    const home = path.join(dir, "store-home");
    const manifest = parseManifest({
      schema: "ns-llm.manifest/v1",
      role: "embedding",
      name: "kubo-test-model",
      model: {
        format: "onnx",
        artifacts: [{ path: "model.onnx", sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length, sources: [`ipfs://${cid}`] }],
        dimensions: 8,
      },
    }) as Manifest;
    const result = await openModelStore(home).pull(manifest, { fetchers: { "ipfs:": ipfsSourceFetcher(kubo) } });
    assert.equal(result.downloadedBytes, bytes.length);
  });

  it("ns-llm ipfs add goes through the daemon and checks its CID", async () => {
    const file = path.join(dir, "artifact.bin");
    const bytes = randomBytes(400_000);
    await fs.writeFile(file, bytes);
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        [new URL("../bin/ns-llm.js", import.meta.url).pathname, "ipfs", "add", file, "--json"],
        { env: { ...process.env, NS_LLM_HOME: dir, NS_LLM_IPFS_API: daemon.apiUrl }, encoding: "utf8" },
        (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout)),
      ),
    );
    const result = JSON.parse(out);
    assert.equal(result.via, "kubo");
    assert.equal(result.cid, await computeCid(bytes));
    assert.equal(await kubo.has!(result.cid), true);
  });
});

describe("Kubo RPC back end without a daemon", () => {
  it("fails to open with unavailable, naming the URL", async () => {
    const port = await freePort();
    await assert.rejects(openKuboIpfs({ url: `http://127.0.0.1:${port}` }), (e) => {
      assert.ok(isIpfsError(e, "unavailable"), String(e));
      assert.match((e as Error).message, new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
      return true;
    });
  });
});
