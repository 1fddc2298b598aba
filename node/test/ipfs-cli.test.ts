/**
 * `ns-llm ipfs add`, `ns-llm manifest publish` and `ns-llm manifest show`, run as a user runs
 * them (the real bin, a fresh NS_LLM_HOME): output, --json, one-line errors and exit codes, and
 * the detour through a running node's API while that node holds the embedded repo.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import Fastify from "fastify";
import { computeCid, openEmbeddedIpfs } from "../src/ipfs/index.ts";
import { manifestRoutes } from "../src/server/index.ts";
import { manifestDigest } from "../src/manifest/index.ts";

const BIN = new URL("../bin/ns-llm.js", import.meta.url).pathname;
const EXAMPLE = new URL("../../manifests/examples/parameters-change.json", import.meta.url).pathname;

type Run = { code: number; stdout: string; stderr: string };
function nsLlm(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, NS_LLM_IPFS_API: "", ...env }, encoding: "utf8", timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A copy of a home (its repo unlocked), so two commands can read the same blocks at once. */
async function copyOf(home: string): Promise<string> {
  const copy = await fs.mkdtemp(path.join(os.tmpdir(), "ns-llm-ipfs-cli-copy-"));
  await fs.cp(home, copy, { recursive: true });
  copies.push(copy);
  return copy;
}
const copies: string[] = [];
after(async () => {
  for (const copy of copies) await fs.rm(copy, { recursive: true, force: true });
});

describe("ns-llm ipfs/manifest commands", () => {
  let home: string;
  let env: Record<string, string>;
  const example = () => fs.readFile(EXAMPLE);

  before(async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), "ns-llm-ipfs-cli-"));
    env = { NS_LLM_HOME: home };
  });
  after(async () => {
    await fs.rm(home, { recursive: true, force: true });
  });

  it("ipfs add prints the file's CID (--json: cid, url, size)", async () => {
    const file = path.join(home, "artifact.bin");
    const bytes = randomBytes(600_000);
    await fs.writeFile(file, bytes);
    const human = await nsLlm(["ipfs", "add", file], env);
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stdout.trim(), await computeCid(bytes));
    const json = await nsLlm(["ipfs", "add", file, "--json"], env);
    assert.deepEqual(JSON.parse(json.stdout), { cid: await computeCid(bytes), url: `ipfs://${await computeCid(bytes)}`, file, size: bytes.length, via: "embedded" });
  });

  it("manifest publish then show: the same bytes, CID and digest", async () => {
    const bytes = await example();
    const published = await nsLlm(["manifest", "publish", EXAMPLE, "--json"], env);
    assert.equal(published.code, 0, published.stderr);
    const result = JSON.parse(published.stdout);
    assert.equal(result.cid, await computeCid(bytes));
    assert.equal(result.digest, manifestDigest(bytes));
    assert.equal(result.role, "parameters");

    const [shown, shownAsJson] = await Promise.all([
      nsLlm(["manifest", "show", result.cid], env),
      nsLlm(["manifest", "show", `ipfs://${result.cid}`, "--json"], { ...env, NS_LLM_HOME: await copyOf(home) }),
    ]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(shown.stdout, bytes.toString("utf8"));
    const shownJson = JSON.parse(shownAsJson.stdout);
    assert.equal(shownJson.valid, true);
    assert.equal(shownJson.digest, result.digest);
    assert.equal(shownJson.manifest.name, JSON.parse(bytes.toString()).name);
  });

  it("fails with one line and exit 1 for an invalid manifest, a missing CID or a malformed one; exit 2 for wrong usage", async () => {
    const bad = path.join(home, "bad.json");
    await fs.writeFile(bad, JSON.stringify({ schema: "ns-llm.manifest/v1", role: "oracle" }));
    // Independent runs, side by side; only one opens the repo.
    const [invalid, missing, malformed, usage] = await Promise.all([
      nsLlm(["manifest", "publish", bad], env),
      nsLlm(["manifest", "show", await computeCid(randomBytes(16)), "--timeout", "3600"], env),
      nsLlm(["manifest", "show", "not-a-cid"], env),
      nsLlm(["manifest", "publish"], env),
    ]);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /^error: .*bad\.json is not a valid manifest/m);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: .* not found locally/m);
    assert.equal(malformed.code, 1);
    assert.match(malformed.stderr, /^error: "not-a-cid" is not a CID/m);
    assert.equal(usage.code, 2);
  });

  it("goes through the running node's API while that node holds the embedded repo", async () => {
    const nodeHome = await fs.mkdtemp(path.join(os.tmpdir(), "ns-llm-ipfs-cli-node-"));
    const ipfs = await openEmbeddedIpfs({ repo: path.join(nodeHome, "ipfs") });
    const app = Fastify({ bodyLimit: 1024 * 1024 });
    await app.register(manifestRoutes, { ipfs });
    await app.listen({ host: "127.0.0.1", port: 0 });
    try {
      const nodeEnv = { NS_LLM_HOME: nodeHome, NS_LLM_HOST: "127.0.0.1", NS_LLM_PORT: String((app.server.address() as AddressInfo).port) };
      const published = await nsLlm(["manifest", "publish", EXAMPLE, "--json"], nodeEnv);
      assert.equal(published.code, 0, published.stderr);
      const result = JSON.parse(published.stdout);
      assert.equal(result.via, "node");
      assert.equal(result.cid, await computeCid(await example()));
      assert.ok(await ipfs.has!(result.cid), "the node's own repo holds it");

      const shown = await nsLlm(["manifest", "show", result.cid], nodeEnv);
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal(shown.stdout, (await example()).toString("utf8"));

      const add = await nsLlm(["ipfs", "add", EXAMPLE], nodeEnv);
      assert.equal(add.code, 1);
      // This stand-in node has no POST /api/ipfs: a clear error, not a hang or a stack trace.
      assert.match(add.stderr, /^error: the embedded IPFS repo is in use by a running ns-llm node/m);
    } finally {
      await app.close();
      await ipfs.stop();
      await fs.rm(nodeHome, { recursive: true, force: true });
    }
  });
});
