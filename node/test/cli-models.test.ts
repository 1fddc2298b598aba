import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { canonicalManifestJson, manifestDigest } from "../src/manifest/index.ts";

const root = path.join(import.meta.dirname, "..", "..");
const bin = path.join(root, "node", "bin", "ns-llm.js");
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let tmp: string;
let home: string;
let server: http.Server;
let base: string;
const files = new Map<string, Uint8Array>();

/** Runs `ns-llm ...args` as a user would; never throws on a non-zero exit. */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, NS_LLM_HOME: home, NS_LLM_ALLOW_PRIVATE_SOURCES: "loopback" } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

before(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "ns-llm-cli-models-"));
  home = path.join(tmp, "home");
  server = http.createServer((req, res) => {
    const bytes = files.get(new URL(req.url!, "http://x").pathname);
    if (!bytes) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { "content-length": bytes.length });
    res.end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  server.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await fs.readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const full = path.join(entry.parentPath, entry.name);
      out.set(path.relative(dir, full), await fs.readFile(full));
    }
  }
  return out;
}

describe("ns-llm manifest validate", () => {
  it("prints ok, name, role and the digest of the file's bytes", async () => {
    const file = path.join(root, "manifests", "all-minilm-l6-v2.json");
    const digest = manifestDigest(await fs.readFile(file));
    const human = await cli("manifest", "validate", file);
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stdout.trim(), `ok  all-minilm-l6-v2  role=embedding  digest=${digest}`);
    const json = await cli("manifest", "validate", file, "--json");
    assert.deepEqual(JSON.parse(json.stdout), { ok: true, file, name: "all-minilm-l6-v2", role: "embedding", digest, totalBytes: 90405214 + 231508 });
  });

  it("lists every problem and exits 1", async () => {
    const file = path.join(tmp, "bad.json");
    await fs.writeFile(file, JSON.stringify({ schema: "ns-llm.manifest/v0", role: "embedding", name: "x", model: { format: "onnx", dimensions: 4, artifacts: [{ path: "../x", sha256: "00", size: 1, sources: [] }] } }));
    const human = await cli("manifest", "validate", file);
    assert.equal(human.code, 1);
    assert.match(human.stderr, /\/model\/artifacts\/0\/path: has a '\.\.' segment/);
    assert.match(human.stderr, /\/model\/artifacts\/0\/sha256: must be a sha256/);
    assert.match(human.stderr, /\/schema: unknown schema/);
    assert.match(human.stderr, /\/model\/artifacts\/0\/sources: is empty/);
    assert.match(human.stderr, /^error: .*bad\.json is not a valid manifest \(4 problems\)/m);
    const json = await cli("manifest", "validate", file, "--json");
    assert.equal(json.code, 1);
    const out = JSON.parse(json.stdout);
    assert.equal(out.ok, false);
    assert.deepEqual(out.problems.map((p: { pointer: string }) => p.pointer), ["/model/artifacts/0/path", "/model/artifacts/0/sha256", "/model/artifacts/0/sources", "/schema"]);
  });

  it("wrong usage exits 2", async () => {
    assert.equal((await cli("manifest", "validate")).code, 2);
    assert.equal((await cli("manifest", "validate", "a", "--nope")).code, 2);
    assert.equal((await cli("models", "make-demo")).code, 2);
  });
});

describe("ns-llm models", () => {
  it("make-demo --out twice writes byte-identical models and manifests", async () => {
    const a = await cli("models", "make-demo", "--out", path.join(tmp, "demo-a"), "--json");
    const b = await cli("models", "make-demo", "--out", path.join(tmp, "demo-b"));
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const treeA = await readTree(path.join(tmp, "demo-a"));
    const treeB = await readTree(path.join(tmp, "demo-b"));
    assert.deepEqual([...treeA.keys()].sort(), [
      "embedding.json",
      path.join("embedding", "model.onnx"),
      path.join("embedding", "vocab.txt"),
      "generation.json",
      path.join("generation", "demo-llama.gguf"),
      "parameters.json",
    ]);
    for (const [name, bytes] of treeA) assert.ok(bytes.equals(treeB.get(name)!), `${name} differs between runs`);

    const out = JSON.parse(a.stdout);
    for (const role of ["generation", "embedding", "parameters"]) {
      const bytes = treeA.get(`${role}.json`)!;
      assert.equal(out.manifests[role].digest, manifestDigest(bytes));
      const manifest = JSON.parse(bytes.toString("utf8"));
      assert.equal(bytes.toString("utf8"), canonicalManifestJson(manifest), "canonical");
      assert.equal(manifest.role, role);
      for (const artifact of manifest.model?.artifacts ?? []) {
        const file = treeA.get(path.join(role, artifact.path))!;
        assert.equal(artifact.sha256, sha256(file));
        assert.equal(artifact.size, file.length);
        assert.deepEqual(artifact.sources, []);
      }
    }
    // The demo's manifests name local files (no sources yet): valid as drafts, not for a vote.
    assert.equal((await cli("manifest", "validate", "--local", path.join(tmp, "demo-a", "generation.json"))).code, 0);
    const forVote = await cli("manifest", "validate", path.join(tmp, "demo-a", "generation.json"));
    assert.equal(forVote.code, 1);
    assert.match(forVote.stderr, /\/model\/artifacts\/0\/sources: is empty: name at least one ipfs:\/\/ or https:\/\/ source/);
  });

  it("pull downloads and verifies, list shows the blobs, verify finds damage", async () => {
    const model = Buffer.from("pretend onnx ".repeat(5000));
    const vocab = Buffer.from("[PAD]\n[UNK]\nhello\n");
    files.set("/model.onnx", model);
    files.set("/vocab.txt", vocab);
    const manifestFile = path.join(tmp, "served.json");
    await fs.writeFile(
      manifestFile,
      canonicalManifestJson({
        schema: "ns-llm.manifest/v1",
        role: "embedding",
        name: "served-model",
        model: {
          format: "onnx",
          dimensions: 4,
          artifacts: [
            { path: "model.onnx", sha256: sha256(model), size: model.length, sources: [`${base}/missing.onnx`, `${base}/model.onnx`] },
            { path: "vocab.txt", sha256: sha256(vocab), size: vocab.length, sources: [`${base}/vocab.txt`] },
          ],
        },
      }),
    );
    const human = await cli("models", "pull", manifestFile);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stderr, /model\.onnx: .*missing\.onnx failed: HTTP 404/);
    assert.match(human.stderr, /model\.onnx: stored and verified/);
    assert.match(human.stdout, /served-model: 2 artifacts stored and verified \(2 downloaded/);

    const again = JSON.parse((await cli("models", "pull", manifestFile, "--json")).stdout);
    assert.deepEqual(again.artifacts.map((a: { status: string }) => a.status), ["present", "present"]);
    assert.equal(again.digest, manifestDigest(await fs.readFile(manifestFile)));

    const list = await cli("models", "list", "--json");
    assert.equal(list.code, 0);
    const blobs = JSON.parse(list.stdout).blobs as Array<{ sha256: string; size: number; refs: Array<{ manifest: string; path: string }> }>;
    assert.deepEqual(
      blobs.map((b) => [b.sha256, b.size, b.refs.map((r) => `${r.manifest}:${r.path}`)]).sort(),
      [
        [sha256(model), model.length, ["served-model:model.onnx"]],
        [sha256(vocab), vocab.length, ["served-model:vocab.txt"]],
      ].sort(),
    );
    const table = await cli("models", "list");
    assert.match(table.stdout, new RegExp(`^${sha256(model).slice(0, 12)} .* served-model:model\\.onnx$`, "m"));

    assert.equal((await cli("models", "verify")).code, 0);
    const blob = path.join(home, "store", "sha256", sha256(vocab));
    await fs.chmod(blob, 0o644);
    await fs.writeFile(blob, "[PAD]\n[UNK]\nhellO\n");
    const verify = await cli("models", "verify", "--json");
    assert.equal(verify.code, 1);
    assert.deepEqual(JSON.parse(verify.stdout).bad, [sha256(vocab)]);
    assert.match(verify.stderr, new RegExp(`error: 1 damaged blob: ${sha256(vocab)}`));
  });

  it("pull refuses a wrong digest and says which artifact and source failed", async () => {
    files.set("/other.bin", Buffer.from("not what the manifest says"));
    const manifestFile = path.join(tmp, "wrong.json");
    await fs.writeFile(
      manifestFile,
      canonicalManifestJson({
        schema: "ns-llm.manifest/v1",
        role: "generation",
        name: "wrong-model",
        model: { format: "gguf", artifacts: [{ path: "m.gguf", sha256: "ab".repeat(32), size: 26, sources: [`${base}/other.bin`] }] },
      }),
    );
    const result = await cli("models", "pull", manifestFile, "--json");
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^error: could not fetch m\.gguf .*other\.bin: wrong digest/m);
  });

  it("pull --from imports the files of a manifest without sources", async () => {
    const demo = path.join(tmp, "demo-a");
    const without = await cli("models", "pull", path.join(demo, "generation.json"));
    assert.equal(without.code, 1);
    assert.match(without.stderr, /names no source \(give the folder that holds the file with --from DIR\)/);
    const result = await cli("models", "pull", path.join(demo, "generation.json"), "--from", path.join(demo, "generation"), "--json");
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).imported, 1);
  });
});

describe("ns-llm models pull from ipfs://", () => {
  it("fetches an artifact named only by its IPFS CID from the configured IPFS node, verified", async () => {
    const { openEmbeddedIpfs, embeddedRepoPath } = await import("../src/ipfs/index.ts");
    const bytes = new TextEncoder().encode("an artifact that only IPFS has\n".repeat(5000));
    const ipfs = await openEmbeddedIpfs({ repo: embeddedRepoPath(home) });
    let cid: string;
    try {
      cid = await ipfs.addBytes(bytes);
    } finally {
      await ipfs.stop();
    }
    const manifest = {
      schema: "ns-llm.manifest/v1",
      role: "generation",
      name: "ipfs-only",
      model: { format: "gguf", artifacts: [{ path: "model.gguf", sha256: sha256(bytes), size: bytes.length, sources: [`ipfs://${cid}`] }] },
    };
    const file = path.join(tmp, "ipfs-only.json");
    await fs.writeFile(file, canonicalManifestJson(manifest));
    const result = await cli("models", "pull", file, "--json");
    assert.equal(result.code, 0, result.stderr);
    const out = JSON.parse(result.stdout) as { artifacts: Array<{ status: string; source: string }> };
    assert.equal(out.artifacts[0]!.status, "downloaded");
    assert.equal(out.artifacts[0]!.source, `ipfs://${cid}`);
    const stored = await fs.readFile(path.join(home, "store", "sha256", sha256(bytes)));
    assert.equal(sha256(stored), sha256(bytes), "the stored blob has the manifest's digest");
  });
});
