/**
 * The Linux x64 package as a user gets it: built by `npm run package`'s code, unpacked into an
 * empty folder (and the .deb into a throwaway root with dpkg-deb -x), started by its launcher with
 * no Node.js on the PATH, chatted with over the OpenAI route, checked with its own
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
import { readInstallState, releasePublicKey, rollbackVersion, signRelease, stagePackage, switchVersion } from "../../node/src/release/index.ts";

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

function descendants(pid: number): number[] {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" }).trim().split("\n").map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const out: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of rows) if (ppid === parent) (out.push(child), walk(child));
  };
  walk(pid);
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

type Started = { child: ChildProcess; url: string; output: () => string };

/** Runs `launcher` (no arguments: the packaged default) until it prints its URL. */
async function start(launcher: string, envPath: string, home: string): Promise<Started> {
  const child = spawn(launcher, [], {
    env: { PATH: envPath, HOME: home, NS_LLM_PORT: "0", NS_LLM_THREADS: "1" },
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
  for (let i = 0; i < 50 && [pid, ...tree].some(alive); i++) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual([pid, ...tree].filter(alive), [], "a process of the package is still running");
  return code;
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

  test("starts from the .tar.gz with no Node.js on the PATH, serves the demo models, chats, stops cleanly", async () => {
    const home = path.join(work, "home-tar");
    const node = await start(path.join(root(), "ns-llm"), envPath, home);
    try {
      const answer = await chat(node.url);
      assert.equal(answer.model, "ns-llm-demo-llama");
      assert.ok(answer.content.trim().length > 0);
      assert.match(node.output(), /serving the demo models without a chain/);
      // The data folder is the user's, not the install folder.
      assert.ok(existsSync(path.join(home, ".local", "share", "ns-llm")));
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

  test("an update stages 0.1.1 beside 0.1.0, runs it after a switch, rollback returns to 0.1.0, a broken current falls back", async () => {
    const v2 = await buildPackages({ platforms: ["linux-x64"], out: path.join(work, "out-v2"), version: "0.1.1", compression: "fast", check: false, releaseKeyFile: path.join(v1.out, "dev-keys", "ns-llm-DEV-release-key.pem"), log: () => {} });
    const trustedKeys = [releasePublicKey(await readFile(path.join(root(), "versions", "0.1.0", "release-key.pem")))];
    const staged = await stagePackage({ root: root(), file: v2.packages.find((p) => p.format === "tar.gz")!.path, release: await readFile(v2.release), trustedKeys, platform: "linux-x64" });
    assert.deepEqual({ version: staged.version, staged: staged.staged }, { version: "0.1.1", staged: true });
    assert.equal((await readInstallState(root())).current, "0.1.0", "staging alone switches nothing");

    await switchVersion({ root: root(), version: "0.1.1" });
    const runs = async (expected: string, said?: RegExp) => {
      const node = await start(path.join(root(), "ns-llm"), envPath, path.join(work, "home-update"));
      try {
        if (said) assert.match(node.output(), said);
        // The launcher execs the version's runtime: its pid is the runtime's.
        const command = execFileSync("ps", ["-o", "args=", "-p", String(node.child.pid!)], { encoding: "utf8" });
        assert.match(command, new RegExp(`versions/${expected.replaceAll(".", "\\.")}/node `));
        assert.equal((await chat(node.url)).model, "ns-llm-demo-llama");
      } finally {
        assert.equal(await stop(node), 0);
      }
    };
    await runs("0.1.1");
    const back = await rollbackVersion({ root: root() });
    assert.deepEqual({ current: back.current, previous: back.previous }, { current: "0.1.0", previous: "0.1.1" });
    await runs("0.1.0");
    // A current version that cannot run (its runtime is gone) is passed over for the previous one.
    await switchVersion({ root: root(), version: "0.1.1" });
    await rm(path.join(root(), "versions", "0.1.1", "node"));
    await runs("0.1.0", /version 0\.1\.1 is not complete; starting the previous version 0\.1\.0/);
    // The operator's fix: roll back, so the pointer names the version that runs; a switch to the
    // broken one is refused.
    assert.equal((await rollbackVersion({ root: root() })).current, "0.1.0");
    await assert.rejects(switchVersion({ root: root(), version: "0.1.1" }), /version 0\.1\.1 is not complete/);
    // The packaged CLI reads the same state.
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
