/**
 * The Linux x64 package as a user gets it: built by `npm run package`'s code, unpacked into an
 * empty folder (and the .deb into a throwaway root with dpkg-deb -x), started by its launcher with
 * no Node.js on the PATH, chatted with over the OpenAI route, its dApp opened on the same port
 * (the dApp's standalone build is the one web/.next-package caches, shared with
 * node/test/dapp-serving.test.ts), checked with its own
 * `release verify`, then taken from one version to the next (stage, switch) and back (rollback),
 * and stopped with nothing left running. Other platforms are built by `npm run package`, not here.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildPackages, type BuildPackagesReturnType } from "../src/build.ts";
import { generateKeyPairSync } from "node:crypto";
import { manifestDigest } from "@ns-llm/contracts";
import { readInstallState, releasePrivateKey, rollbackVersion, signRelease, switchVersion, type ReleaseManifest } from "../../node/src/release/index.ts";
import { startTestChain } from "../../node/test/helpers/chain.ts";
import { devAccounts, unlockedWallet } from "../../node/src/chain/index.ts";
import { devPass, proposeAdoption } from "../../node/src/governance/index.ts";
import { descendants, pidAlive, waitUntil } from "../../node/test/helpers/processes.ts";

const work = await mkdtemp(path.join(os.tmpdir(), "ns-llm-package-test-"));
after(() => rm(work, { recursive: true, force: true }));

/** A PATH with only what the shell launcher uses: no node anywhere on it. */
async function pathWithoutNode(): Promise<string> {
  const dir = path.join(work, "bin");
  await mkdir(dir, { recursive: true });
  for (const tool of ["sh", "cat", "dirname", "readlink"]) {
    await symlink(execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim(), path.join(dir, tool));
  }
  return dir;
}

type Started = { child: ChildProcess; url: string; output: () => string };

/** Runs `launcher` (no arguments: the packaged default) until it prints its URL. */
async function start(launcher: string, envPath: string, home: string, env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(launcher, [], {
    env: { PATH: envPath, HOME: home, NS_LLM_PORT: "0", NS_LLM_THREADS: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 120 s:\n${output}`)), 120_000);
    const check = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) (clearTimeout(timer), resolve(match[1]!));
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => (clearTimeout(timer), reject(new Error(`exited with ${code} before listening:\n${output}`))));
  });
  return { child, url, output: () => output };
}

/** SIGTERM, wait for the exit, and check that neither it nor any child of it is left. */
async function stop({ child }: Started): Promise<number | null> {
  const pid = child.pid!;
  const tree = descendants(pid);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  const code = await exited;
  for (let i = 0; i < 50 && [pid, ...tree].some(pidAlive); i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual([pid, ...tree].filter(pidAlive), [], "a process of the package is still running");
  return code;
}

type ReleaseNodeHealth = {
  release?: { running: string; current: string; previous: string | null; lastRefused: { code: string } | null };
  governance: { errors?: Record<string, { cid: string; code: string }> };
};

/** The versions whose runtime runs under `pid` (the supervisor's children). */
function runtimesUnder(pid: number): string[] {
  return descendants(pid)
    .map((child) => /versions\/([^/]+)\/node /.exec(execFileSync("ps", ["-o", "args=", "-p", String(child)], { encoding: "utf8" }))?.[1])
    .filter((v): v is string => v !== undefined);
}

async function chat(url: string): Promise<{ model: string; content: string }> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "any", messages: [{ role: "user", content: "Hello from the package test" }], max_tokens: 8 }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const body = (await res.json()) as { model: string; choices: Array<{ message: { content: string } }> };
  return { model: body.model, content: body.choices[0]!.message.content };
}

/** The packaged CLI, run by the package's own runtime and launcher. */
function cli(launcher: string, envPath: string, home: string, args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(launcher, args, { env: { PATH: envPath, HOME: home }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { code: 0, stdout, stderr: "" };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("the Linux x64 package", { timeout: 900_000 }, () => {
  let v1: BuildPackagesReturnType;
  let envPath: string;
  const tarGz = () => v1.packages.find((p) => p.format === "tar.gz")!;
  const installDir = path.join(work, "install");
  const root = () => path.join(installDir, `ns-llm-${v1.version}-linux-x64`);

  before(async () => {
    v1 = await buildPackages({ platforms: ["linux-x64"], out: path.join(work, "out-v1"), version: "0.1.0", compression: "fast", log: () => {} });
    envPath = await pathWithoutNode();
    await mkdir(installDir);
    execFileSync("tar", ["-xzf", tarGz().path, "-C", installDir]);
  });

  test("builds a .tar.gz and a .deb named by a release manifest signed with the key it ships", async () => {
    assert.deepEqual(v1.packages.map((p) => p.format).sort(), ["deb", "tar.gz"]);
    const release = JSON.parse(await readFile(v1.release, "utf8"));
    assert.equal(release.manifest.version, "0.1.0");
    assert.deepEqual(release.manifest.artifacts.map((a: { file: string }) => a.file).sort(), ["ns-llm-0.1.0-linux-x64.deb", "ns-llm-0.1.0-linux-x64.tar.gz"]);
    const shipped = await readFile(path.join(root(), "versions", "0.1.0", "release-key.pem"), "utf8");
    assert.equal(shipped, await readFile(path.join(v1.out, "release-key.pem"), "utf8"));
    assert.ok(!existsSync(path.join(envPath, "node")));
  });

  test("starts from the .tar.gz with no Node.js on the PATH, serves the demo models and the dApp, chats, stops cleanly", async () => {
    const home = path.join(work, "home-tar");
    const node = await start(path.join(root(), "ns-llm"), envPath, home);
    try {
      const answer = await chat(node.url);
      assert.equal(answer.model, "ns-llm-demo-llama");
      assert.ok(answer.content.trim().length > 0);
      assert.match(node.output(), /serving the demo models without a chain/);
      // The data folder is the user's, not the install folder.
      assert.ok(existsSync(path.join(home, ".local", "share", "ns-llm")));
      // The dApp, on the same port, run by the package's own Node: with no chain, it says what to set and where.
      const page = await fetch(`${node.url}/`);
      const html = await page.text();
      assert.equal(page.status, 200, html.slice(0, 500));
      assert.match(html, /NS-LLM governance/);
      assert.match(html, /This node follows no chain/);
      assert.ok(html.includes(path.join(home, ".local", "share", "ns-llm", "config.env")), "the page names the package's settings file");
      const script = /src="(\/_next\/static\/[^"]+\.js)"/.exec(html)?.[1];
      assert.ok(script, "the page names its scripts");
      assert.equal((await fetch(`${node.url}${script}`)).status, 200);
      assert.match(node.output(), /dApp server \(pid \d+\) answers on http:\/\/127\.0\.0\.1:\d+/);
    } finally {
      assert.equal(await stop(node), 0);
    }
  });

  test("starts from the .deb unpacked into a throwaway root and chats", async () => {
    const debRoot = path.join(work, "deb-root");
    execFileSync("dpkg-deb", ["-x", v1.packages.find((p) => p.format === "deb")!.path, debRoot]);
    const fields = execFileSync("dpkg-deb", ["-f", v1.packages.find((p) => p.format === "deb")!.path, "Package", "Version", "Architecture"], { encoding: "utf8" });
    assert.match(fields, /Package: ns-llm\nVersion: 0\.1\.0\nArchitecture: amd64/);
    assert.equal(execFileSync("readlink", [path.join(debRoot, "usr", "bin", "ns-llm")], { encoding: "utf8" }).trim(), "/opt/ns-llm/ns-llm");
    const node = await start(path.join(debRoot, "opt", "ns-llm", "ns-llm"), envPath, path.join(work, "home-deb"));
    try {
      assert.equal((await chat(node.url)).model, "ns-llm-demo-llama");
    } finally {
      assert.equal(await stop(node), 0);
    }
  });

  test("`ns-llm release verify` accepts the package and refuses an altered one or a foreign signature", async () => {
    const launcher = path.join(root(), "ns-llm");
    const home = path.join(work, "home-cli");
    const ok = cli(launcher, envPath, home, ["release", "verify", tarGz().path, "--manifest", v1.release]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^ok {2}ns-llm-0\.1\.0-linux-x64\.tar\.gz/);

    const altered = path.join(work, tarGz().file);
    await copyFile(tarGz().path, altered);
    const bytes = await readFile(altered);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    await writeFile(altered, bytes);
    const bad = cli(launcher, envPath, home, ["release", "verify", altered, "--manifest", v1.release]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: ns-llm-0\.1\.0-linux-x64\.tar\.gz has sha256 [0-9a-f]{64}, the release says [0-9a-f]{64} \(the file was altered/);

    // A release signed by a key this package does not ship is refused before any byte is read.
    const other = await buildPackagesSignedElsewhere();
    const foreign = cli(launcher, envPath, home, ["release", "verify", tarGz().path, "--manifest", other]);
    assert.equal(foreign.code, 1);
    assert.match(foreign.stderr, /^error: the release is signed by key sha256:[0-9a-f]{64}, which this node does not trust/);
  });

  test("a governed update on a Hardhat chain: refuses a bad signature and a corrupted package, switches 0.1.0 -> 0.1.1 at once under the supervisor with no lost request, rolls back", async () => {
    const devKey = path.join(v1.out, "dev-keys", "ns-llm-DEV-release-key.pem");
    const v2 = await buildPackages({ platforms: ["linux-x64"], out: path.join(work, "out-v2"), version: "0.1.1", formats: ["tar.gz"], compression: "fast", check: false, releaseKeyFile: devKey, log: () => {} });
    const chain = await startTestChain();
    const home = path.join(work, "home-update");
    const node = await start(path.join(root(), "ns-llm"), envPath, home, { NS_LLM_RPC_URL: chain.rpcUrl, NS_LLM_DEPLOYMENT: chain.deploymentFile });
    const health = async () => (await (await fetch(`${node.url}/health`)).json()) as ReleaseNodeHealth;
    const publish = async (bytes: Uint8Array) => {
      const res = await fetch(`${node.url}/api/ipfs`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: Buffer.from(bytes) }).catch((error: Error) => {
        throw new Error(`POST /api/ipfs (${bytes.byteLength} bytes) failed: ${error.message} (${String((error.cause as Error | undefined)?.message ?? "")})\n${node.output()}`);
      });
      assert.equal(res.status, 200, await res.clone().text());
      return ((await res.json()) as { cid: string }).cid;
    };
    // A proposal adopting the file for role `release`, passed by the dev accounts' votes.
    const adoptRelease = async (bytes: Uint8Array) => {
      const cid = await publish(bytes);
      const wallet = unlockedWallet(chain.rpcUrl, (await devAccounts(chain.rpcUrl))[0]!, await chain.publicClient.getChainId());
      const { proposalId } = await proposeAdoption({ publicClient: chain.publicClient, wallet, deployment: chain.deployment, role: "release", cid, digest: manifestDigest(bytes), name: "release" });
      await devPass({ publicClient: chain.publicClient, rpcUrl: chain.rpcUrl, deployment: chain.deployment, proposalId, log: () => {} });
      return cid;
    };
    const refusedWith = (cid: string, code: string) =>
      waitUntil(`release ${cid} refused with ${code}`, async () => ((await health()).governance.errors?.release?.cid === cid && (await health()).governance.errors?.release?.code === code), 120_000, node.output);
    try {
      assert.deepEqual((await health()).release?.running, "0.1.0");
      // The package, published to the node's IPFS, gets the CID the signed release names.
      const pkg = v2.packages.find((p) => p.format === "tar.gz")!;
      const releaseBytes = await readFile(v2.release);
      const release = JSON.parse(new TextDecoder().decode(releaseBytes)) as { manifest: ReleaseManifest };
      const linuxTarGz = release.manifest.artifacts.find((a) => a.file === pkg.file)!;
      assert.equal(`ipfs://${await publish(await readFile(pkg.path))}`, linuxTarGz.sources[0]);

      // Altered after signing: refused before any download.
      const altered = JSON.parse(new TextDecoder().decode(releaseBytes));
      altered.manifest.artifacts[0].size += 1;
      await refusedWith(await adoptRelease(new TextEncoder().encode(JSON.stringify(altered, null, 2))), "release_bad_signature");
      // Signed by the release key, but the bytes its source serves are a corrupted copy.
      const corrupted = await readFile(pkg.path);
      corrupted[corrupted.length >> 1] = corrupted[corrupted.length >> 1]! ^ 0xff;
      const badSource = `ipfs://${await publish(corrupted)}`;
      const lying = { ...release.manifest, artifacts: release.manifest.artifacts.map((a) => (a === linuxTarGz ? { ...a, sources: [badSource] } : a)) };
      await refusedWith(await adoptRelease(signRelease({ manifest: lying, privateKey: releasePrivateKey(await readFile(devKey)) })), "artifact_digest_mismatch");
      assert.deepEqual({ running: (await health()).release?.running, versions: (await readInstallState(root())).versions }, { running: "0.1.0", versions: ["0.1.0"] });
      assert.equal((await chat(node.url)).model, "ns-llm-demo-llama", "the node keeps serving 0.1.0");

      // The real release: while it is adopted, staged and switched to, requests keep coming.
      const seen: Array<{ status: number; running?: string }> = [];
      let load = true;
      const loops = [0, 1].map(async (i) => {
        while (load) {
          if (i === 0) {
            const res = await fetch(`${node.url}/health`);
            seen.push({ status: res.status, running: ((await res.json()) as ReleaseNodeHealth).release?.running });
          } else {
            const res = await fetch(`${node.url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "any", messages: [{ role: "user", content: "Hi" }], max_tokens: 4 }) });
            await res.text();
            seen.push({ status: res.status });
          }
        }
      });
      await adoptRelease(releaseBytes);
      await waitUntil("0.1.1 to serve behind the supervisor", async () => seen.at(-1)?.running === "0.1.1" || (await health()).release?.running === "0.1.1", 240_000, node.output);
      load = false;
      await Promise.all(loops);
      assert.ok(seen.length > 10, `${seen.length} requests during the switch`);
      assert.deepEqual(seen.filter((r) => r.status !== 200), [], "no request was lost or refused");
      assert.ok(seen.some((r) => r.running === "0.1.0"), "requests were answered by 0.1.0 during the update");
      const after = await health();
      assert.deepEqual({ current: after.release?.current, previous: after.release?.previous }, { current: "0.1.1", previous: "0.1.0" });
      assert.match(node.output(), /supervisor: switching from 0\.1\.0 to 0\.1\.1: new requests wait; 0\.1\.0 finishes its \d+ request\(s\) and stops[\s\S]*supervisor: version 0\.1\.1 is healthy: it answers the held requests/);
      assert.deepEqual(runtimesUnder(node.child.pid!), ["0.1.1"], "the old node stopped; the new one runs");

      // The operator rolls back with the packaged CLI: the supervisor follows `current`.
      const back = cli(path.join(root(), "ns-llm"), envPath, home, ["release", "rollback"]);
      assert.equal(back.code, 0, back.stderr);
      await waitUntil("0.1.0 to serve again", async () => (await health()).release?.running === "0.1.0", 240_000, node.output);
      assert.equal((await chat(node.url)).model, "ns-llm-demo-llama");

      // A version that cannot start (its app is broken) is rolled back to, automatically.
      await switchVersion({ root: root(), version: "0.1.1" });
      await writeFile(path.join(root(), "versions", "0.1.1", "app", "node", "build", "cli", "launch.js"), "process.exit(3);\n");
      await waitUntil("the supervisor to give up on the broken 0.1.1", async () => (await health()).release?.lastRefused?.code === "health_check_failed", 120_000, node.output);
      const h = await health();
      assert.deepEqual({ running: h.release?.running, current: h.release?.current }, { running: "0.1.0", current: "0.1.0" });
      assert.match(node.output(), /version 0\.1\.1 exited \(3\) before it was ready[\s\S]*rolled back to 0\.1\.0/);
      // Reported as a refusal too: the counter and the audit log.
      assert.match(await (await fetch(`${node.url}/metrics`)).text(), /ns_llm_governance_refusals_total\{role="release",code="health_check_failed"\} 1/);
      // (appended just after /health shows the failure: waited for)
      // (every answer of the load above is audited too: more than one page of entries)
      const steps = await waitUntil("the rollback in the audit log", async () => {
        const found: Array<string | undefined> = [];
        for (let from = 0, total = 1; from < total; ) {
          const page = (await (await fetch(`${node.url}/api/audit?from=${from}&limit=1000`)).json()) as { entries: Array<{ type: string; step?: string; role?: string; code?: string }>; total: number; next: number };
          for (const e of page.entries) if (e.type === "governance" && e.role === "release") found.push(e.step === "refused" ? `refused ${e.code}` : e.step);
          if (page.next === from) break;
          ({ total, next: from } = page);
        }
        return found.includes("release-rolled-back") ? found : undefined;
      }, 30_000, node.output);
      assert.deepEqual(
        steps.filter((step) => step !== "adoption-seen" && step !== "manifest-fetched" && step !== "verified"),
        ["refused release_bad_signature", "refused artifact_digest_mismatch", "applied", "release-rolled-back"],
      );
    } finally {
      assert.equal(await stop(node), 0);
      await chain.stop();
      // What the supervisor and the node said (for the README's example), when asked for.
      if (process.env.NS_LLM_PACKAGE_TEST_LOG) await writeFile(process.env.NS_LLM_PACKAGE_TEST_LOG, node.output());
    }
  });

  test("a current version that cannot run is passed over for the previous one", async () => {
    await rm(path.join(root(), "versions", "0.1.1", "node"));
    await writeFile(path.join(root(), "current"), "0.1.1\n");
    await writeFile(path.join(root(), "previous"), "0.1.0\n");
    const node = await start(path.join(root(), "ns-llm"), envPath, path.join(work, "home-update"));
    try {
      assert.match(node.output(), /version 0\.1\.1 is not complete; starting the previous version 0\.1\.0/);
      assert.match(execFileSync("ps", ["-o", "args=", "-p", String(node.child.pid!)], { encoding: "utf8" }), /versions\/0\.1\.0\/node /);
      assert.equal((await chat(node.url)).model, "ns-llm-demo-llama");
    } finally {
      assert.equal(await stop(node), 0);
    }
    // The operator's fix: roll back, so the pointer names the version that runs; a switch to the
    // broken one is refused. The packaged CLI reads the same state.
    assert.equal((await rollbackVersion({ root: root() })).current, "0.1.0");
    await assert.rejects(switchVersion({ root: root(), version: "0.1.1" }), /version 0\.1\.1 is not complete/);
    const status = cli(path.join(root(), "ns-llm"), envPath, path.join(work, "home-update"), ["release", "status", "--json"]);
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual(JSON.parse(status.stdout).versions, ["0.1.0", "0.1.1"]);
  });

  /** The same manifest signed by a key nobody shipped: a stranger's release file. */
  async function buildPackagesSignedElsewhere(): Promise<string> {
    const release = JSON.parse(await readFile(v1.release, "utf8"));
    const file = path.join(work, "stranger-release.json");
    await writeFile(file, signRelease({ manifest: release.manifest, privateKey: generateKeyPairSync("ed25519").privateKey }));
    return file;
  }
});
