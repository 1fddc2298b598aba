/**
 * docs/tutorials/write-a-plugin.md followed literally: its `sh` blocks, in order and as written,
 * in one bash shell at the root of a fresh clone of this repository (`git clone` of the committed
 * tree; the dependencies are this checkout's node_modules, linked rather than installed, and the
 * clone's own workspace packages). The node listens on a free port (NS_LLM_PORT, which the
 * tutorial's commands honour). Prints how long the clone and the steps took.
 */
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, it } from "node:test";
import { freePort } from "./helpers/processes.ts";

const REPO = path.resolve(import.meta.dirname, "..", "..");
const TUTORIAL = "docs/tutorials/write-a-plugin.md";
let work: string | undefined;
let group: number | undefined;

after(async () => {
  if (group) {
    try {
      process.kill(-group, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (work) await rm(work, { recursive: true, force: true });
});

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

it("the write-a-plugin tutorial works as written, from a fresh clone", { timeout: 900_000 }, async () => {
  const began = performance.now();
  work = await mkdtemp(path.join(os.tmpdir(), "ns-llm-tutorial-"));
  const clone = path.join(work, "ns-llm");
  execFileSync("git", ["clone", "--quiet", "--local", REPO, clone]);
  await linkDependencies(clone);
  const cloned = performance.now();

  const markdown = await readFile(path.join(clone, TUTORIAL), "utf8");
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 6, "the tutorial has its steps");
  const script = `set -euo pipefail\n${blocks.map((b, i) => `echo "### step ${i + 1}"\n${b}`).join("\n")}`;
  const port = await freePort();
  // The shell of a person following the tutorial: not a child of this test runner.
  const env: NodeJS.ProcessEnv = { ...process.env, NS_LLM_PORT: String(port) };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn("bash", ["-c", script], { cwd: clone, detached: true, env, stdio: ["ignore", "pipe", "pipe"] });
  group = child.pid;
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const done = performance.now();
  console.log(`# tutorial ${TUTORIAL}: clone ${((cloned - began) / 1000).toFixed(1)} s, steps ${((done - cloned) / 1000).toFixed(1)} s, total ${((done - began) / 1000).toFixed(1)} s`);
  assert.equal(code, 0, out);

  assert.match(out, /wrote ns-llm-plugin-my-plugin in /);
  assert.match(out, /# pass 3/);
  assert.match(out, /ns-llm-plugin-my-plugin@0\.1\.0 loads: hooks answer, answered/);
  assert.match(out, /"name":"ns-llm-plugin-my-plugin","version":"0\.1\.0","digest":"[0-9a-f]{64}".*"state":"running"/);
  assert.match(out, /"plugins":\[\{"plugin":"ns-llm-plugin-my-plugin","version":"0\.1\.0","verdict":"pass","score":\d+\}\]/);
  assert.match(out, /ns_llm_plugin_starter_answers_total\{plugin="ns-llm-plugin-my-plugin",verdict="pass"\} 1/);
});
