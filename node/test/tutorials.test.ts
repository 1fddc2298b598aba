/**
 * The tutorials (docs/tutorials/) followed literally: each one's `sh` blocks, in order and as
 * written, in one bash shell at the root of a fresh clone of this repository (`git clone` of the committed
 * tree; the dependencies are this checkout's node_modules, linked rather than installed, and the
 * clone's own workspace packages). The node listens on a free port (NS_LLM_PORT, which the
 * tutorial's commands honour), and so would `npm start`'s chain, gateway and dApp
 * (NS_LLM_CHAIN_PORT, NS_LLM_GATEWAY_PORT, NS_LLM_WEB_PORT). Prints how long the clone and the steps took.
 */
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, it } from "node:test";
import { freePort } from "./helpers/processes.ts";

const REPO = path.resolve(import.meta.dirname, "..", "..");
let work: string | undefined;
let clone: string;
let cloneSeconds = 0;
const groups: number[] = [];

before(async () => {
  const began = performance.now();
  work = await mkdtemp(path.join(os.tmpdir(), "ns-llm-tutorial-"));
  clone = path.join(work, "ns-llm");
  execFileSync("git", ["clone", "--quiet", "--local", REPO, clone]);
  await linkDependencies(clone);
  cloneSeconds = (performance.now() - began) / 1000;
  console.log(`# fresh clone: ${cloneSeconds.toFixed(1)} s`);
});

after(async () => {
  for (const group of groups) {
    try {
      process.kill(-group, "SIGKILL");
    } catch {
      // already gone
    }
  }
  // `npm start` runs its services in process groups of their own: end any the tutorial left.
  for (const pid of await leftovers()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs the tutorial's sh blocks in one shell at the clone's root; its output, after printing the time. */
async function follow(tutorial: string): Promise<string> {
  const markdown = await readFile(path.join(clone, tutorial), "utf8");
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 3, "the tutorial has its steps");
  const script = `set -euo pipefail\n${blocks.map((b, i) => `echo "### step ${i + 1}"\n${b}`).join("\n")}`;
  // The node's port and, for a tutorial that runs `npm start`, the chain's, the gateway's and the dApp's.
  const ports = { NS_LLM_PORT: await freePort(), NS_LLM_CHAIN_PORT: await freePort(), NS_LLM_GATEWAY_PORT: await freePort(), NS_LLM_WEB_PORT: await freePort() };
  // The shell of a person following the tutorial: not a child of this test runner.
  const env: NodeJS.ProcessEnv = { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
  for (const name of ["NS_LLM_RPC_URL", "NS_LLM_DEPLOYMENT", "NS_LLM_API_TOKEN", "NS_LLM_HOME"]) delete env[name];
  delete env.NODE_TEST_CONTEXT;
  const began = performance.now();
  // Its output goes to a file, as a terminal would take it (not a pipe this process reads).
  const log = path.join(work!, `${path.basename(tutorial, ".md")}.log`);
  const fd = openSync(log, "w");
  const child = spawn("bash", ["-c", script], { cwd: clone, detached: true, env, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  groups.push(child.pid!);
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  // What the tutorial's shell left running in its own group (a server `npx` started as a child)
  // ends with it, so that the next tutorial's check of leftovers sees only its own.
  await endGroup(child.pid!);
  const out = await readFile(log, "utf8");
  const seconds = (performance.now() - began) / 1000;
  console.log(`# tutorial ${tutorial}: steps ${seconds.toFixed(1)} s (with the fresh clone: ${(seconds + cloneSeconds).toFixed(1)} s)`);
  assert.equal(code, 0, out);
  return out;
}

/** Kills process group `pgid` and waits (at most 5 s) until it is gone. */
async function endGroup(pgid: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      return; // no process left in the group
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The processes still running from the clone (their command line names its folder), this runner aside. */
async function leftovers(): Promise<number[]> {
  if (!work) return [];
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(work)) pids.push(Number(entry));
  }
  return pids;
}

/** The clone's node_modules: this checkout's packages linked, the workspace packages the clone's own. */
async function linkDependencies(clone: string): Promise<void> {
  const from = path.join(REPO, "node_modules");
  const to = path.join(clone, "node_modules");
  await mkdir(path.join(to, ".bin"), { recursive: true });
  await mkdir(path.join(to, "@ns-llm"));
  for (const entry of await readdir(from)) {
    if (entry === ".bin" || entry === "@ns-llm" || entry === "ns-llm") continue;
    await symlink(path.join(from, entry), path.join(to, entry));
  }
  for (const bin of await readdir(path.join(from, ".bin"))) await symlink(await readlink(path.join(from, ".bin", bin)), path.join(to, ".bin", bin));
  await symlink("../node", path.join(to, "ns-llm"));
  await symlink("../../generated", path.join(to, "@ns-llm", "contracts"));
  await symlink("../../web", path.join(to, "@ns-llm", "web"));
  for (const ws of ["node", "web"]) await symlink(path.join(REPO, ws, "node_modules"), path.join(clone, ws, "node_modules"));
}

it("write-a-plugin: a plugin of one's own, tested, checked, loaded into a node, its verdict and metric seen", { timeout: 900_000 }, async () => {
  const out = await follow("docs/tutorials/write-a-plugin.md");
  assert.match(out, /wrote ns-llm-plugin-my-plugin in /);
  assert.match(out, /# pass 3/);
  assert.match(out, /ns-llm-plugin-my-plugin@0\.1\.0 loads: hooks answer, answered/);
  assert.match(out, /"name":"ns-llm-plugin-my-plugin","version":"0\.1\.0","digest":"[0-9a-f]{64}".*"state":"running"/);
  assert.match(out, /"plugins":\[\{"plugin":"ns-llm-plugin-my-plugin","version":"0\.1\.0","verdict":"pass","score":\d+\}\]/);
  assert.match(out, /ns_llm_plugin_starter_answers_total\{plugin="ns-llm-plugin-my-plugin",verdict="pass"\} 1/);
});

it("run-a-node-and-verify-an-answer: a demo node answers, and the answer matches its audit entry", { timeout: 900_000 }, async () => {
  const out = await follow("docs/tutorials/run-a-node-and-verify-an-answer.md");
  assert.match(out, /NS-LLM node at http:\/\/127\.0\.0\.1:\d+: ok/);
  assert.match(out, /"model":"ns-llm-demo-llama","source":"llm"/);
  assert.match(out, /answer matches its audit entry 0/);
  assert.match(out, /seq 0: ok \(leaf 0x[0-9a-f]{64}, batch 0, root 0x[0-9a-f]{64}, chain not checked\)/);
});

it("vote-a-model: a manifest of one's own proposed, voted and executed on a local chain; the node serves it", { timeout: 900_000 }, async () => {
  const out = await follow("docs/tutorials/vote-a-model.md");
  assert.match(out, /"cid":"b[a-z2-7]+","url":"ipfs:\/\/b[a-z2-7]+","file":"my-model\/generation\/demo-llama.gguf"/);
  const cid = /"cid":"(b[a-z2-7]+)","digest":"0x[0-9a-f]{64}","url":"ipfs:\/\/\1","name":"my-demo-llama"/.exec(out)?.[1];
  assert.ok(cid, `the manifest was published to IPFS:\n${out}`);
  assert.match(out, /proposal \d+: Executed/);
  // The node's health names the voted manifest, and the answer's provenance too.
  assert.match(out, new RegExp(`generation +ready +my-demo-llama +\\(manifest ${cid}\\)`));
  assert.match(out, new RegExp(`"model":"my-demo-llama".*"manifest":"${cid}"`));
  // The last step stopped the chain, the node and the gateway.
  assert.deepEqual(await leftovers(), []);
});
