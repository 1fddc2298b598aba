/**
 * The model store against real HTTP servers on 127.0.0.1: the source policy (a private address is
 * refused before any byte is asked for, also behind a name or a redirect), the retry policy (a
 * source that fails twice then serves; wrong bytes from one source pass the turn to the next),
 * the quota and the free-space check, garbage collection, and one writer per partial file across
 * processes.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { PullError, StoreFullError, openModelStore, storeLayout } from "../src/inference/store/index.ts";
import { classifyAddress, createSourcePolicy, LOOPBACK_SOURCES, parseManifest, type ModelManifest } from "../src/manifest/index.ts";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const BLOB = new TextEncoder().encode("model bytes ".repeat(4000));
const OTHER = new TextEncoder().encode("other model ".repeat(3000));

/** Loopback refused, http:// allowed: the policy of a node on a public network with http mirrors. */
const PUBLIC_ONLY = createSourcePolicy({ allowPrivate: "none", allowHttp: true });

let server: http.Server;
let base: string;
const hits = new Map<string, number>();
/** Requests that fail before serving, per path. */
const failFirst = new Map<string, number>();

before(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    const left = failFirst.get(url.pathname) ?? 0;
    if (left > 0) {
      failFirst.set(url.pathname, left - 1);
      res.writeHead(503).end("busy");
      return;
    }
    if (url.pathname === "/good") return void res.end(BLOB);
    if (url.pathname === "/other") return void res.end(OTHER);
    if (url.pathname === "/wrong") return void res.end(new Uint8Array(BLOB.length).fill(120));
    if (url.pathname.startsWith("/redirect")) {
      res.writeHead(302, { location: url.searchParams.get("to")! }).end();
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

let home: string;
beforeEach(async () => {
  hits.clear();
  failFirst.clear();
  home = await fs.mkdtemp(path.join(os.tmpdir(), "ns-llm-sources-"));
});

function manifest(name: string, sources: string[], bytes: Uint8Array = BLOB): ModelManifest {
  return {
    schema: "ns-llm.manifest/v1",
    role: "embedding",
    name,
    model: { format: "onnx", dimensions: 8, artifacts: [{ path: "model.onnx", sha256: sha256(bytes), size: bytes.length, sources }] },
  };
}

async function pullError(promise: Promise<unknown>): Promise<PullError> {
  const error = await promise.then(
    () => assert.fail("the pull should have failed"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof PullError, String(error));
  return error;
}

const requests = () => [...hits.values()].reduce((a, b) => a + b, 0);
const tmpFiles = async () => (await fs.readdir(storeLayout(home).tmp).catch(() => [] as string[])).sort();

describe("source policy", () => {
  it("a manifest naming a loopback address is refused at validation, with the reason", () => {
    assert.throws(
      () => parseManifest(manifest("m", [`${base}/good`]), { sourcePolicy: PUBLIC_ONLY }),
      (error: Error) => /\/model\/artifacts\/0\/sources\/0: names 127\.0\.0\.1 is a loopback address \(allowed only with NS_LLM_ALLOW_PRIVATE_SOURCES=loopback\)/.test(error.message),
    );
    for (const [source, reason] of [
      ["http://169.254.169.254/latest/meta-data", /cloud metadata address \(never allowed\)/],
      ["https://10.1.2.3/m.onnx", /private network address/],
      ["https://100.64.0.1/m.onnx", /carrier-grade NAT/],
      ["https://[::ffff:127.0.0.1]/m.onnx", /loopback/],
      ["https://[fe80::1]/m.onnx", /link-local/],
      ["https://0x7f000001/m.onnx", /127\.0\.0\.1 is a loopback address/],
      ["https://localhost/m.onnx", /local host name/],
      ["http://example.org/m.onnx", /is http:\/\/ \(not encrypted\)/],
    ] as const) {
      const policy = source.startsWith("http://example") ? createSourcePolicy({ allowPrivate: "none" }) : PUBLIC_ONLY;
      assert.throws(() => parseManifest(manifest("m", [source]), { sourcePolicy: policy }), reason, source);
    }
    // allowed by the operator: validation passes
    assert.doesNotThrow(() => parseManifest(manifest("m", [`${base}/good`]), { sourcePolicy: LOOPBACK_SOURCES }));
    assert.doesNotThrow(() => parseManifest(manifest("m", ["https://huggingface.co/x/resolve/main/m.onnx"]), { sourcePolicy: PUBLIC_ONLY }));
  });

  it("classifies addresses, IPv4 carried in IPv6 included", () => {
    const cases: Array<[string, string]> = [
      ["8.8.8.8", "public"],
      ["2606:4700:4700::1111", "public"],
      ["127.0.0.53", "loopback"],
      ["::1", "loopback"],
      ["::ffff:127.0.0.1", "loopback"],
      ["::ffff:7f00:1", "loopback"],
      ["64:ff9b::7f00:1", "loopback"],
      ["2002:a00:1::", "private"],
      ["192.168.1.10", "private"],
      ["fd12:3456::1", "private"],
      ["100.100.100.200", "metadata"],
      ["fd00:ec2::254", "metadata"],
      ["169.254.1.1", "link-local"],
      ["0.0.0.0", "unspecified"],
      ["224.0.0.1", "reserved"],
      ["not an ip", "reserved"],
    ];
    for (const [address, expected] of cases) assert.equal(classifyAddress(address), expected, address);
  });

  it("sources are validated like paths: the URI, the CID, at least one source", () => {
    const problems = (sources: string[]) => {
      try {
        parseManifest(manifest("m", sources));
        return "";
      } catch (error) {
        return (error as Error).message;
      }
    };
    assert.match(problems(["ipfs://not-a-cid"]), /sources\/0: names "not-a-cid", which is not a CID/);
    assert.match(problems(["ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy/../x"]), /'\.' or '\.\.' segment/);
    assert.match(problems(["ftp://example.org/m"]), /unsupported scheme|must be an ipfs:\/\/, http:\/\/ or https:\/\/ URL/);
    assert.match(problems([]), /\/model\/artifacts\/0\/sources: is empty: name at least one ipfs:\/\/ or https:\/\/ source/);
    assert.equal(problems(["ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"]), "");
    assert.doesNotThrow(() => parseManifest(manifest("m", []), { requireSources: false }));
  });

  it("a source on a loopback address is refused when fetched, and nothing is asked of it", async () => {
    const store = openModelStore(home, { sourcePolicy: PUBLIC_ONLY });
    const error = await pullError(store.pull(manifest("m", [`${base}/good`])));
    assert.equal(error.attempts[0]!.kind, "refused");
    assert.match(error.attempts[0]!.reason, /refused: 127\.0\.0\.1 is a loopback address/);
    assert.equal(error.transient, false);
    assert.equal(requests(), 0, "no request reached the server");
    assert.equal(await store.has(sha256(BLOB)), false);
  });

  it("a host name is judged by the address it resolves to (and the connection goes there)", async () => {
    const store = openModelStore(home, { sourcePolicy: PUBLIC_ONLY });
    const port = (server.address() as AddressInfo).port;
    const error = await pullError(store.pull(manifest("m", [`http://localhost:${port}/good`])));
    assert.equal(error.attempts[0]!.kind, "refused");
    assert.match(error.attempts[0]!.reason, /localhost resolves to (127\.0\.0\.1|::1) is a loopback address/);
    assert.equal(requests(), 0);
  });

  it("a redirect to a private or metadata address is refused before connecting", async () => {
    const store = openModelStore(home, { sourcePolicy: LOOPBACK_SOURCES });
    for (const to of ["http://169.254.169.254/latest/meta-data/iam", "http://10.0.0.1/m.onnx", "file:///etc/passwd"]) {
      hits.clear();
      const error = await pullError(store.pull(manifest("m", [`${base}/redirect?to=${encodeURIComponent(to)}`])));
      assert.equal(error.attempts[0]!.kind, "refused", to);
      assert.match(error.attempts[0]!.reason, /refused: redirected to/);
      assert.equal(requests(), 1, "only the first hop was asked");
    }
    // a redirect the policy allows is followed
    const ok = await store.pull(manifest("m", [`${base}/redirect?to=${encodeURIComponent(`${base}/good`)}`]));
    assert.equal(ok.artifacts[0]!.status, "downloaded");
  });

  it("redirects are bounded", async () => {
    const store = openModelStore(home, { sourcePolicy: LOOPBACK_SOURCES, retry: { rounds: 1 } });
    let url = `${base}/good`;
    for (let i = 0; i < 7; i++) url = `${base}/redirect${i}?to=${encodeURIComponent(url)}`;
    const error = await pullError(store.pull(manifest("m", [url])));
    assert.match(error.attempts[0]!.reason, /more than 5 redirects/);
  });

  it("public errors name the source and a code, never what it answered", async () => {
    const store = openModelStore(home, { sourcePolicy: LOOPBACK_SOURCES, retry: { rounds: 1 } });
    const error = await pullError(store.pull(manifest("m", [`${base}/wrong`, `${base}/missing`])));
    assert.match(error.message, /wrong digest: the bytes have sha256 [0-9a-f]{64}/, "the operator's message says it all");
    assert.match(error.message, /HTTP 404/);
    assert.equal(error.summary, `could not fetch model.onnx (sha256 ${sha256(BLOB).slice(0, 12)}…, ${BLOB.length} bytes): ${base}/wrong: wrong_content; ${base}/missing: source_unavailable`);
  });
});

describe("retry policy", () => {
  it("a source that fails twice then serves does not doom the pull", async () => {
    failFirst.set("/good", 2);
    const events: string[] = [];
    const store = openModelStore(home, { sourcePolicy: LOOPBACK_SOURCES, retry: { rounds: 3, baseMs: 10 } });
    const result = await store.pull(manifest("m", [`${base}/good`]), { onProgress: (e) => events.push(e.type) });
    assert.equal(result.artifacts[0]!.status, "downloaded");
    assert.equal(hits.get("/good"), 3);
    assert.deepEqual(events.filter((e) => e === "retry").length, 2);
    assert.equal(await store.has(sha256(BLOB)), true);
  });

  it("gives up after its rounds, transiently", async () => {
    failFirst.set("/good", 10);
    const store = openModelStore(home, { sourcePolicy: LOOPBACK_SOURCES, retry: { rounds: 2, baseMs: 10 } });
    const error = await pullError(store.pull(manifest("m", [`${base}/good`])));
    assert.equal(hits.get("/good"), 2);
    assert.equal(error.transient, true);
  });

  it("wrong bytes from one source pass the turn to the next", async () => {
    const store = openModelStore(home, { sourcePolicy: LOOPBACK_SOURCES, retry: { rounds: 1 } });
    const result = await store.pull(manifest("m", [`${base}/wrong`, `${base}/good`]));
    assert.equal(result.artifacts[0]!.source, `${base}/good`);
  });
});

describe("quota and free space", () => {
  it("a download past the store's quota is refused before any request, and leaves nothing", async () => {
    const store = openModelStore(home, { sourcePolicy: LOOPBACK_SOURCES, limits: { maxStoreBytes: BLOB.length - 1 } });
    const error = await store.pull(manifest("m", [`${base}/good`])).then(
      () => assert.fail("should be refused"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof StoreFullError);
    assert.equal(error.code, "store_full");
    assert.match(error.message, /above its quota of .* \(NS_LLM_MAX_STORE_BYTES\)/);
    assert.equal(requests(), 0);
    assert.deepEqual(await tmpFiles(), []);
  });

  it("a download that would leave less than the disk reserve is refused", async () => {
    const store = openModelStore(home, { sourcePolicy: LOOPBACK_SOURCES, limits: { minFreeBytes: Number.MAX_SAFE_INTEGER } });
    await assert.rejects(store.pull(manifest("m", [`${base}/good`])), /free; .* would leave less than .* \(NS_LLM_MIN_FREE_BYTES\)/);
    assert.equal(requests(), 0);
  });
});

describe("garbage collection", () => {
  it("removes the blobs, parts and folders no kept manifest references, and only those", async () => {
    const store = openModelStore(home, { sourcePolicy: LOOPBACK_SOURCES });
    const kept = manifest("kept", [`${base}/good`]);
    const dropped = manifest("dropped", [`${base}/other`], OTHER);
    await store.pull(kept);
    await store.pull(dropped);
    await store.materialize(kept);
    await store.materialize(dropped);
    const orphanPart = path.join(storeLayout(home).tmp, `${"ab".repeat(32)}.part`);
    await fs.writeFile(orphanPart, "half a file");

    // young files stay (a pull for a proposal being written)
    const young = await store.gc({ keep: [kept] });
    assert.deepEqual([young.blobs.length, young.parts.length, young.folders.length], [0, 0, 0]);

    const dry = await store.gc({ keep: [kept], graceMs: 0, dryRun: true });
    assert.deepEqual(dry.blobs.map((b) => b.sha256), [sha256(OTHER)]);
    assert.equal(await store.has(sha256(OTHER)), true, "a dry run removes nothing");

    const done = await store.gc({ keep: [kept], graceMs: 0 });
    assert.deepEqual(done.blobs.map((b) => b.sha256), [sha256(OTHER)]);
    assert.equal(done.bytes, OTHER.length + "half a file".length);
    assert.equal(done.folders.length, 1);
    assert.match(done.folders[0]!, /^dropped-/);
    assert.equal(await store.has(sha256(BLOB)), true);
    assert.equal(await store.has(sha256(OTHER)), false);
    assert.deepEqual((await store.list()).map((b) => b.sha256), [sha256(BLOB)]);
    assert.deepEqual(await fs.readdir(storeLayout(home).models).then((n) => n.map((x) => x.split("-")[0])), ["kept"]);
    await assert.rejects(fs.stat(orphanPart));

    // a blob of a pending adoption (by manifest digest in the index) stays
    await store.pull(dropped, { manifestDigest: "0x" + "cd".repeat(32) });
    const pending = await store.gc({ keep: [kept], keepManifestDigests: ["0x" + "cd".repeat(32)], graceMs: 0 });
    assert.equal(pending.blobs.length, 0);
  });
});

describe("ns-llm gc", () => {
  it("--dry-run lists an old unreferenced blob and removes nothing; gc removes it", async () => {
    const store = openModelStore(home, { sourcePolicy: LOOPBACK_SOURCES });
    await store.pull(manifest("dropped", [`${base}/other`], OTHER));
    const old = new Date(Date.now() - 2 * 3600 * 1000);
    await fs.utimes(store.pathOf(sha256(OTHER)), old, old);
    const bin = path.resolve(import.meta.dirname, "../bin/ns-llm.js");
    const run = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [bin, "gc", ...args], { env: { ...process.env, NS_LLM_HOME: home } }, (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        ),
      );
    const dry = await run("--dry-run");
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`would remove blob ${sha256(OTHER).slice(0, 12)}…  35 KiB  \\(dropped:model\\.onnx\\)`));
    assert.equal(await store.has(sha256(OTHER)), true);
    const done = await run("--json");
    assert.equal(done.code, 0, done.stderr);
    const out = JSON.parse(done.stdout) as { store: { blobs: Array<{ sha256: string }>; bytes: number } };
    assert.deepEqual(out.store.blobs.map((b) => b.sha256), [sha256(OTHER)]);
    assert.equal(out.store.bytes, OTHER.length);
    assert.equal(await store.has(sha256(OTHER)), false);
  });
});

describe("one writer per partial file", () => {
  it("waits while another process writes the part, and takes over a dead writer's lock", async () => {
    const layout = storeLayout(home);
    await fs.mkdir(layout.tmp, { recursive: true });
    const lockFile = path.join(layout.tmp, `${sha256(BLOB)}.part.lock`);
    // Another process (a `models pull`) holds the part file.
    const holder = spawn(
      process.execPath,
      ["--input-type=module", "-e", `import { acquirePartLock } from ${JSON.stringify(path.resolve(import.meta.dirname, "../src/inference/store/part-lock.ts"))}; await acquirePartLock(${JSON.stringify(lockFile)}); console.log("held"); setInterval(() => {}, 1000);`],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on("data", (d: Buffer) => d.toString().includes("held") && resolve());
        holder.once("exit", (code) => reject(new Error(`holder exited ${code}`)));
      });
      assert.match(await fs.readFile(lockFile, "utf8"), new RegExp(`^${holder.pid} [0-9a-f]{16}\\n$`));

      const store = openModelStore(home, { sourcePolicy: LOOPBACK_SOURCES });
      const waiting: number[] = [];
      const pull = store.pull(manifest("m", [`${base}/good`]), { onProgress: (e) => e.type === "waiting" && waiting.push(e.pid) });
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (waiting.length > 0) {
            clearInterval(check);
            resolve();
          }
        }, 20);
      });
      assert.deepEqual(waiting, [holder.pid]);
      assert.equal(requests(), 0, "no byte is written while another process holds the part");

      holder.kill("SIGKILL");
      const result = await pull;
      assert.equal(result.artifacts[0]!.status, "downloaded");
      assert.equal(requests(), 1);
      assert.deepEqual(await tmpFiles(), [], "lock released, part placed");
    } finally {
      holder.kill("SIGKILL");
    }
  });
});
