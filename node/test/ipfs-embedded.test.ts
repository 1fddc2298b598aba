/**
 * The embedded IPFS node (real Helia on a real filesystem repo, offline): add/cat round trips,
 * persistence across a restart, a missing CID failing at once, size caps, the repo lock between
 * two real processes, manifests, and the model store pulling an ipfs:// artifact through it.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
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
  publishManifest,
  type IpfsClient,
} from "../src/ipfs/index.ts";
import { manifestDigest, parseManifest, type Manifest } from "../src/manifest/index.ts";
import { stopChild } from "./helpers/processes.ts";

const homes: string[] = [];
async function tempHome(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "ns-llm-ipfs-test-"));
  homes.push(dir);
  return dir;
}
after(async () => {
  for (const dir of homes) await fs.rm(dir, { recursive: true, force: true });
});

async function readAll(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

/** A CID nobody added: the raw CID of fresh random bytes. */
const absentCid = () => computeCid(randomBytes(64));

/** An hour: a read that waited for its timeout would fail the test by the runner's timeout. */
const NEVER = 3_600_000;

describe("embedded IPFS node", () => {
  let home: string;
  let ipfs: IpfsClient;
  const data = randomBytes(1024 * 1024 + 12_345); // five chunks, the last one short

  before(async () => {
    home = await tempHome();
    ipfs = await openIpfs({ home, ipfsApi: undefined });
  });
  after(async () => {
    await ipfs.stop();
  });

  it("is the embedded mode, in <home>/ipfs", () => {
    assert.equal(ipfs.mode, "embedded");
    assert.equal(ipfs.location, path.join(home, "ipfs"));
  });

  it("adds bytes under the CID computeCid gives and cats them back", async () => {
    const cid = await ipfs.addBytes(data);
    assert.equal(cid, await computeCid(data));
    assert.ok(await ipfs.has!(cid));
    assert.ok((await readAll(ipfs.cat(cid))).equals(data));
    assert.ok(Buffer.from(await ipfs.catBytes(cid, { maxBytes: data.length, timeoutMs: NEVER })).equals(data));
  });

  it("cats from an offset, across chunk boundaries", async () => {
    const cid = await ipfs.addBytes(data);
    for (const offset of [1, 262_143, 262_144, 700_000, data.length - 1]) {
      assert.ok((await readAll(ipfs.cat(cid, { offset }))).equals(data.subarray(offset)), `offset ${offset}`);
    }
  });

  it("adds a stream under the same CID as the bytes", async () => {
    const pieces = (async function* () {
      for (let at = 0; at < data.length; at += 65_537) yield data.subarray(at, at + 65_537);
    })();
    assert.equal(await ipfs.addByteStream(pieces), await ipfs.addBytes(data));
  });

  it("fails at once with not_found for a CID it does not have (offline, no network search)", async () => {
    const cid = await absentCid();
    assert.equal(await ipfs.has!(cid), false);
    await assert.rejects(ipfs.catBytes(cid, { maxBytes: 1024, timeoutMs: NEVER }), (e) => {
      assert.ok(isIpfsError(e, "not_found"), String(e));
      assert.match((e as Error).message, /not found locally/);
      return true;
    });
    await assert.rejects(readAll(ipfs.cat(cid, { timeoutMs: NEVER })), (e) => isIpfsError(e, "not_found"));
  });

  it("enforces the size cap: exactly maxBytes passes, one byte more is too_large", async () => {
    const cid = await ipfs.addBytes(data);
    assert.equal((await ipfs.catBytes(cid, { maxBytes: data.length, timeoutMs: NEVER })).byteLength, data.length);
    await assert.rejects(ipfs.catBytes(cid, { maxBytes: data.length - 1, timeoutMs: NEVER }), (e) => isIpfsError(e, "too_large"));
    await assert.rejects(readAll(ipfs.cat(cid, { maxBytes: 1000 })), (e) => isIpfsError(e, "too_large"));
    // The cap counts from the offset.
    assert.equal((await readAll(ipfs.cat(cid, { offset: data.length - 10, maxBytes: 10 }))).length, 10);
  });

  it("refuses a malformed CID with invalid_cid", async () => {
    await assert.rejects(ipfs.catBytes("bafy-not-a-cid", { maxBytes: 10, timeoutMs: NEVER }), (e) => isIpfsError(e, "invalid_cid"));
    await assert.rejects(ipfs.has!("nope"), (e) => isIpfsError(e, "invalid_cid"));
  });

  it("stops the read when the caller aborts", async () => {
    const cid = await ipfs.addBytes(data);
    const controller = new AbortController();
    const reason = new Error("caller gave up");
    let read = 0;
    await assert.rejects(
      (async () => {
        for await (const chunk of ipfs.cat(cid, { signal: controller.signal })) {
          read += chunk.byteLength;
          controller.abort(reason);
        }
      })(),
      (e) => e === reason,
    );
    assert.ok(read < data.length);
  });

  it("publishes a manifest's exact bytes and fetches them back", async () => {
    const bytes = await fs.readFile(new URL("../../manifests/examples/parameters-change.json", import.meta.url));
    parseManifest(bytes);
    const { cid, digest } = await publishManifest(ipfs, bytes);
    assert.equal(cid, await computeCid(bytes));
    assert.equal(digest, `0x${createHash("sha256").update(bytes).digest("hex")}`);
    assert.equal(digest, manifestDigest(bytes));
    assert.ok(Buffer.from(await fetchManifest(ipfs, cid)).equals(bytes));
    await assert.rejects(fetchManifest(ipfs, cid, { maxBytes: 100 }), (e) => isIpfsError(e, "too_large"));
    await assert.rejects(fetchManifest(ipfs, await absentCid()), (e) => isIpfsError(e, "not_found"));
  });

  it("feeds the model store: an ipfs:// artifact pulled, verified, and resumed from an offset", async () => {
    const cid = await ipfs.addBytes(data);
    const fetcher = ipfsSourceFetcher(ipfs);
    assert.ok((await readAll(await fetcher(new URL(`ipfs://${cid}`), { offset: 300_000 }))).equals(data.subarray(300_000)));

    const manifest = {
      schema: "ns-llm.manifest/v1",
      role: "embedding",
      name: "ipfs-test-model",
      model: {
        format: "onnx",
        artifacts: [{ path: "model.onnx", sha256: createHash("sha256").update(data).digest("hex"), size: data.length, sources: [`ipfs://${cid}`] }],
        dimensions: 8,
      },
    };
    const store = openModelStore(await tempHome());
    const result = await store.pull(parseManifest(manifest) as Manifest, { fetchers: { "ipfs:": fetcher } });
    assert.equal(result.artifacts[0]!.status, "downloaded");
    assert.equal(result.artifacts[0]!.source, `ipfs://${cid}`);
    assert.equal(result.downloadedBytes, data.length);
  });

  it("tells the model store why an ipfs:// source failed, fast", async () => {
    const missing = await absentCid();
    const fetcher = ipfsSourceFetcher(ipfs, { stallTimeoutMs: NEVER });
    await assert.rejects(
      (async () => readAll(await fetcher(new URL(`ipfs://${missing}`), { offset: 0 })))(),
      (e) => (e as Error).name === "SourceError" && /not found locally/.test((e as Error).message),
    );
  });
});

describe("embedded repo across restarts and processes", () => {
  it("keeps its blocks across a restart", async () => {
    const repo = path.join(await tempHome(), "ipfs");
    const bytes = randomBytes(700_000);
    const first = await openEmbeddedIpfs({ repo });
    const cid = await first.addBytes(bytes);
    await first.stop();
    await first.stop(); // twice is harmless

    const second = await openEmbeddedIpfs({ repo });
    try {
      assert.ok(await second.has!(cid));
      assert.ok(Buffer.from(await second.catBytes(cid, { maxBytes: bytes.length, timeoutMs: NEVER })).equals(bytes));
    } finally {
      await second.stop();
    }
  });

  it("refuses a second opener in the same process, and opens again after stop", async () => {
    const repo = path.join(await tempHome(), "ipfs");
    const first = await openEmbeddedIpfs({ repo });
    await assert.rejects(openEmbeddedIpfs({ repo }), (e) => isIpfsError(e, "repo_locked"));
    await first.stop();
    const again = await openEmbeddedIpfs({ repo });
    await again.stop();
  });

  it("refuses the repo while another live process holds it, with its pid", async () => {
    const repo = path.join(await tempHome(), "ipfs");
    const holder = await holdRepoInChild(repo);
    try {
      await assert.rejects(openEmbeddedIpfs({ repo }), (e) => {
        assert.ok(isIpfsError(e, "repo_locked"), String(e));
        assert.match((e as Error).message, new RegExp(`in use by process ${holder.pid}`));
        return true;
      });
    } finally {
      await stopChild(holder, "SIGKILL");
    }
    // Killed without cleaning up: its lock is stale now and is taken over.
    const taken = await openEmbeddedIpfs({ repo });
    await taken.stop();
    await assert.rejects(fs.access(path.join(repo, "repo.lock")));
  });
});

/** A real second process that opens the repo and waits (killed by the test). */
async function holdRepoInChild(repo: string): Promise<ChildProcess> {
  const script = `
    import { openEmbeddedIpfs } from ${JSON.stringify(new URL("../src/ipfs/index.ts", import.meta.url).href)};
    await openEmbeddedIpfs({ repo: ${JSON.stringify(repo)} });
    process.stdout.write("open\\n");
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("open") && resolve());
    child.once("exit", (code) => reject(new Error(`the holder exited with ${code}`)));
  });
  return child;
}
