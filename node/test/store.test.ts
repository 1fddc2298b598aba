import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { parseManifest, type Manifest, type ModelManifest } from "../src/manifest/index.ts";
import { PullError, openModelStore, type ModelStore, type PullEvent } from "../src/inference/store/index.ts";
import { LOOPBACK_SOURCES } from "../src/manifest/index.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const BLOB = randomBytes(300_000);
const VOCAB = Buffer.from("[PAD]\n[UNK]\nhello\nworld\n");
const HALF = 150_000;

/** A real HTTP server on a free port; each test says how each path answers. */
type Route = (req: http.IncomingMessage, res: http.ServerResponse, hit: number) => void;
const routes = new Map<string, Route>();
const requests: Array<{ path: string; range: string | undefined }> = [];
let server: http.Server;
let base: string;

/** Serves `bytes`, honouring `Range: bytes=N-` like a CDN does. */
function serve(bytes: Uint8Array, req: http.IncomingMessage, res: http.ServerResponse): void {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  if (m) {
    const start = Number(m[1]);
    res.writeHead(206, { "content-length": bytes.length - start, "content-range": `bytes ${start}-${bytes.length - 1}/${bytes.length}` });
    res.end(bytes.subarray(start));
  } else {
    res.writeHead(200, { "content-length": bytes.length });
    res.end(bytes);
  }
}

before(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    requests.push({ path: url.pathname, range: req.headers.range });
    const route = routes.get(url.pathname);
    const hit = requests.filter((r) => r.path === url.pathname).length;
    if (route) route(req, res, hit);
    else {
      res.writeHead(404);
      res.end("not found");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

let home: string;
let store: ModelStore;
const homes: string[] = [];
beforeEach(async () => {
  routes.clear();
  requests.length = 0;
  home = await fs.mkdtemp(path.join(os.tmpdir(), "ns-llm-store-"));
  homes.push(home);
  // Loopback mirrors allowed (the dev chain's default); one round over the sources, so each
  // test sees each source asked once (store-sources.test.ts covers the retry rounds).
  store = openModelStore(home, { sourcePolicy: LOOPBACK_SOURCES, retry: { rounds: 1 } });
});
after(async () => {
  for (const dir of homes) await fs.rm(dir, { recursive: true, force: true });
});

function manifest(sources: string[], bytes: Uint8Array = BLOB, extra: object[] = []): ModelManifest {
  return parseManifest({
    schema: "ns-llm.manifest/v1",
    role: "embedding",
    name: "test-model",
    model: { format: "onnx", dimensions: 8, artifacts: [{ path: "model.onnx", sha256: sha256(bytes), size: bytes.length, sources }, ...extra] },
  }, { requireSources: false }) as ModelManifest;
}

async function storedFiles(): Promise<string[]> {
  try {
    return await fs.readdir(path.join(home, "store", "sha256"));
  } catch {
    return [];
  }
}

async function partSize(digest: string): Promise<number | undefined> {
  return (await fs.stat(path.join(home, "store", "tmp", `${digest}.part`)).catch(() => undefined))?.size;
}

async function pullError(m: Manifest, options = {}): Promise<PullError> {
  const error = await store.pull(m, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof PullError, `expected a PullError, got ${String(error)}`);
  return error;
}

describe("model store: pull over HTTP", () => {
  it("downloads, verifies and stores a blob under its digest, read-only", async () => {
    routes.set("/good", (req, res) => serve(BLOB, req, res));
    const events: PullEvent["type"][] = [];
    const result = await store.pull(manifest([`${base}/good`]), { onProgress: (e) => events.push(e.type) });
    assert.equal(result.artifacts[0]!.status, "downloaded");
    assert.equal(result.downloadedBytes, BLOB.length);
    const file = store.pathOf(sha256(BLOB));
    assert.equal(file, path.join(home, "store", "sha256", sha256(BLOB)));
    assert.deepEqual(await fs.readFile(file), BLOB);
    assert.equal((await fs.stat(file)).mode & 0o222, 0, "blobs are read-only");
    assert.ok(await store.has(sha256(BLOB)));
    assert.deepEqual([events[0], events.at(-1)], ["start", "done"]);
    assert.ok(events.includes("progress"));
    // a second pull finds it stored and asks no source
    const again = await store.pull(manifest([`${base}/good`]));
    assert.equal(again.artifacts[0]!.status, "present");
    assert.equal(requests.length, 1);
  });

  it("refuses bytes with the wrong digest: nothing stored, nothing kept, the source not asked again", async () => {
    routes.set("/wrong", (req, res) => serve(randomBytes(BLOB.length), req, res));
    const error = await pullError(manifest([`${base}/wrong`]));
    assert.equal(error.attempts[0]!.kind, "digest");
    assert.match(error.message, /model\.onnx .*\/wrong: wrong digest/);
    assert.deepEqual(await storedFiles(), []);
    assert.equal(await partSize(sha256(BLOB)), undefined);
    assert.equal(requests.length, 1);
  });

  it("refuses a truncated body and keeps the part for resuming", async () => {
    routes.set("/short", (_req, res) => {
      res.writeHead(200); // no content-length: the body simply ends early
      res.end(BLOB.subarray(0, HALF));
    });
    const error = await pullError(manifest([`${base}/short`]));
    assert.equal(error.attempts[0]!.kind, "truncated");
    assert.match(error.message, /after 150000 of 300000 bytes/);
    assert.deepEqual(await storedFiles(), []);
    assert.equal(await partSize(sha256(BLOB)), HALF);
  });

  it("resumes with Range after the server died mid-way, and the blob verifies", async () => {
    routes.set("/flaky", (req, res, hit) => {
      if (hit === 1) {
        res.writeHead(200, { "content-length": BLOB.length });
        res.write(BLOB.subarray(0, HALF), () => setTimeout(() => res.socket?.destroy(), 50));
      } else serve(BLOB, req, res);
    });
    const m = manifest([`${base}/flaky`]);
    const first = await pullError(m);
    assert.equal(first.attempts[0]!.kind, "truncated");
    assert.equal(await partSize(sha256(BLOB)), HALF);

    const starts: number[] = [];
    const result = await store.pull(m, { onProgress: (e) => e.type === "start" && starts.push(e.offset) });
    assert.deepEqual(starts, [HALF]);
    assert.deepEqual(requests.map((r) => r.range), [undefined, `bytes=${HALF}-`]);
    assert.equal(result.downloadedBytes, BLOB.length - HALF);
    const { bad } = await store.verify();
    assert.deepEqual(bad, []);
    assert.deepEqual(await fs.readFile(store.pathOf(sha256(BLOB))), BLOB);
    assert.equal(await partSize(sha256(BLOB)), undefined);
  });

  it("resumes from the start of the body when a server ignores Range", async () => {
    routes.set("/norange", (_req, res, hit) => {
      res.writeHead(200, hit === 1 ? {} : { "content-length": BLOB.length });
      res.end(hit === 1 ? BLOB.subarray(0, HALF) : BLOB);
    });
    const m = manifest([`${base}/norange`]);
    await pullError(m);
    await store.pull(m);
    assert.deepEqual(await fs.readFile(store.pathOf(sha256(BLOB))), BLOB);
  });

  it("uses the next source when the first fails, and says why the first failed", async () => {
    routes.set("/good", (req, res) => serve(BLOB, req, res));
    const failed: string[] = [];
    const result = await store.pull(manifest([`${base}/missing`, `${base}/good`]), {
      onProgress: (e) => e.type === "source-failed" && failed.push(`${e.attempt.source} ${e.attempt.reason}`),
    });
    assert.equal(result.artifacts[0]!.source, `${base}/good`);
    assert.deepEqual(failed, [`${base}/missing HTTP 404 Not Found`]);
  });

  it("a part kept from one source is finished by the next", async () => {
    routes.set("/short", (_req, res) => {
      res.writeHead(200);
      res.end(BLOB.subarray(0, HALF));
    });
    routes.set("/good", (req, res) => serve(BLOB, req, res));
    await store.pull(manifest([`${base}/short`, `${base}/good`]));
    assert.deepEqual(requests.map((r) => `${r.path} ${r.range ?? ""}`), ["/short ", `/good bytes=${HALF}-`]);
    assert.deepEqual(await fs.readFile(store.pathOf(sha256(BLOB))), BLOB);
  });

  it("refuses a source that sends more than the declared size", async () => {
    routes.set("/big", (_req, res) => {
      res.writeHead(200); // no content-length, so the excess shows only in the body
      res.end(Buffer.concat([BLOB, Buffer.from("extra")]));
    });
    const error = await pullError(manifest([`${base}/big`]));
    assert.equal(error.attempts[0]!.kind, "oversize");
    assert.equal(await partSize(sha256(BLOB)), undefined);
    assert.deepEqual(await storedFiles(), []);
  });

  it("gives up on a silent source after the timeout and tries the next", async () => {
    routes.set("/silent", (_req, res) => {
      res.writeHead(200, { "content-length": BLOB.length });
      res.flushHeaders(); // then nothing
    });
    routes.set("/good", (req, res) => serve(BLOB, req, res));
    const failed: string[] = [];
    await store.pull(manifest([`${base}/silent`, `${base}/good`]), {
      timeoutMs: 300,
      onProgress: (e) => e.type === "source-failed" && failed.push(e.attempt.reason),
    });
    assert.deepEqual(failed, ["no data for 0.3 s"]);
  });

  it("says which source failed how when none delivers, and that a refused connection is a network fault", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await pullError(manifest([`http://127.0.0.1:${deadPort}/x`, "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"]));
    assert.deepEqual(error.attempts.map((a) => a.kind), ["network", "unsupported"]);
    assert.match(error.message, /ECONNREFUSED/);
    assert.match(error.message, /no fetcher for ipfs:\/\//);
  });

  it("an artifact with no sources must already be stored", async () => {
    const error = await pullError(manifest([]));
    assert.match(error.message, /not in the store and its manifest names no source/);
  });

  it("takes fetchers for other schemes (ipfs://)", async () => {
    const offsets: number[] = [];
    const result = await store.pull(manifest(["ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"]), {
      fetchers: {
        "ipfs:": async (url, { offset }) => {
          assert.equal(url.host, "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy");
          offsets.push(offset);
          return (async function* () {
            yield BLOB.subarray(offset, offset + 1000);
            yield BLOB.subarray(offset + 1000);
          })();
        },
      },
    });
    assert.equal(result.artifacts[0]!.source, "ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy");
    assert.deepEqual(offsets, [0]);
  });

  it("an abort stops the pull at once and keeps the part", async () => {
    routes.set("/slow", (_req, res) => {
      res.writeHead(200, { "content-length": BLOB.length });
      res.write(BLOB.subarray(0, HALF)); // and then waits
    });
    const controller = new AbortController();
    const pulling = store.pull(manifest([`${base}/slow`]), {
      signal: controller.signal,
      onProgress: (e) => e.type === "progress" && e.received >= HALF && controller.abort(new Error("stopped by the user")),
    });
    await assert.rejects(pulling, /stopped by the user/);
    assert.equal(await partSize(sha256(BLOB)), HALF);
  });
});

describe("model store: list, verify, materialize", () => {
  it("lists blobs with size and the manifests and paths that reference them", async () => {
    routes.set("/good", (req, res) => serve(BLOB, req, res));
    routes.set("/vocab", (req, res) => serve(VOCAB, req, res));
    const m = manifest([`${base}/good`], BLOB, [{ path: "tok/vocab.txt", sha256: sha256(VOCAB), size: VOCAB.length, sources: [`${base}/vocab`] }]);
    await store.pull(m, { manifestDigest: "0xabc" });
    const blobs = await store.list();
    assert.deepEqual(
      blobs.map((b) => [b.sha256, b.size, b.refs]).sort(),
      [
        [sha256(BLOB), BLOB.length, [{ manifest: "test-model", manifestDigest: "0xabc", path: "model.onnx" }]],
        [sha256(VOCAB), VOCAB.length, [{ manifest: "test-model", manifestDigest: "0xabc", path: "tok/vocab.txt" }]],
      ].sort(),
    );
  });

  it("verify re-hashes every blob and names the bad ones", async () => {
    routes.set("/good", (req, res) => serve(BLOB, req, res));
    await store.pull(manifest([`${base}/good`]));
    assert.deepEqual((await store.verify()).bad, []);
    const file = store.pathOf(sha256(BLOB));
    await fs.chmod(file, 0o644);
    const handle = await fs.open(file, "r+");
    await handle.write(Buffer.from([BLOB[0]! ^ 1]), 0, 1, 0); // one flipped bit on disk
    await handle.close();
    const { bad, blobs } = await store.verify();
    assert.equal(blobs.length, 1);
    assert.equal(bad[0]!.sha256, sha256(BLOB));
    assert.notEqual(bad[0]!.actual, sha256(BLOB));
  });

  it("materializes a folder of real files linked to the blobs, once", async () => {
    routes.set("/good", (req, res) => serve(BLOB, req, res));
    routes.set("/vocab", (req, res) => serve(VOCAB, req, res));
    const m = manifest([`${base}/good`], BLOB, [{ path: "tok/vocab.txt", sha256: sha256(VOCAB), size: VOCAB.length, sources: [`${base}/vocab`] }]);
    await assert.rejects(store.materialize(m), /not in the store: model\.onnx .*tok\/vocab\.txt/);
    await store.pull(m);
    const dir = await store.materialize(m);
    assert.equal(path.dirname(dir), path.join(home, "models"));
    assert.match(path.basename(dir), /^test-model-[0-9a-f]{12}$/);
    assert.deepEqual(await fs.readFile(path.join(dir, "model.onnx")), BLOB);
    assert.deepEqual(await fs.readFile(path.join(dir, "tok", "vocab.txt")), VOCAB);
    assert.equal((await fs.stat(path.join(dir, "model.onnx"))).ino, (await fs.stat(store.pathOf(sha256(BLOB)))).ino, "a hard link");
    assert.equal(await store.materialize(m), dir);
    assert.deepEqual((await fs.readdir(path.join(home, "models"))).sort(), [path.basename(dir)]);
  });

  it("never writes outside the model's folder, even given an unchecked manifest", async () => {
    routes.set("/good", (req, res) => serve(BLOB, req, res));
    const m = manifest([`${base}/good`]);
    await store.pull(m);
    const evil = structuredClone(m);
    evil.model.artifacts[0]!.path = "../../escaped.onnx";
    await assert.rejects(store.materialize(evil), /leaves its folder/);
    await assert.rejects(fs.stat(path.join(home, "escaped.onnx")));
    assert.throws(() => store.pathOf("../../etc/passwd"), /not a sha256/);
  });

  it("imports a local file after checking it", async () => {
    const file = path.join(home, "local.bin");
    await fs.writeFile(file, VOCAB);
    await assert.rejects(store.importFile(file, { sha256: "0".repeat(64) }), /expected/);
    assert.equal(await store.importFile(file, { sha256: sha256(VOCAB), size: VOCAB.length }), sha256(VOCAB));
    assert.ok(await store.has(sha256(VOCAB)));
  });
});
