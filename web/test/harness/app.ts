/**
 * The dApp as a user meets it: `next build` once (reused while the sources are unchanged), then
 * `next start` on a free port, pointed at the test's chain, deployment and node.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { REPO_ROOT, WEB_DIR } from "./paths.ts";
import { startChild, waitUntil, type Child } from "./processes.ts";

/** Tests build into their own folder, so a developer's `next dev`/`next build` never races them. */
export const TEST_DIST_DIR = ".next-test";

const SOURCES = ["app", "components", "lib", "next.config.ts", "tsconfig.json", "package.json"].map((p) => path.join(WEB_DIR, p));
const SHARED_SOURCES = [path.join(REPO_ROOT, "generated")];

function nextBin(): string {
  const pkg = createRequire(path.join(WEB_DIR, "package.json")).resolve("next/package.json");
  return path.join(path.dirname(pkg), "dist/bin/next");
}

async function filesUnder(target: string): Promise<string[]> {
  if (!existsSync(target)) return [];
  const entries = await readdir(target, { withFileTypes: true, recursive: true }).catch(() => null);
  if (entries === null) return [target];
  return entries
    .filter((e) => e.isFile() && !e.parentPath.includes("node_modules"))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** The build's cache key: a hash of every source file that goes into it. */
export async function sourceHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const target of [...SOURCES, ...SHARED_SOURCES]) {
    for (const file of await filesUnder(target)) {
      hash.update(path.relative(REPO_ROOT, file));
      hash.update(await readFile(file));
    }
  }
  return hash.digest("hex");
}

/**
 * Test processes share TEST_DIST_DIR: a build holds this lock exclusively and every `next start`
 * holds it shared, so a build never replaces the files under a running app (it waits for it).
 */
function distLock(): string {
  const dist = path.join(WEB_DIR, TEST_DIST_DIR);
  return path.join(tmpdir(), `ns-web-dist-${createHash("sha256").update(dist).digest("hex").slice(0, 12)}.lock`);
}

export type BuildResult = { reused: boolean; ms: number };

/** `next build` into TEST_DIST_DIR unless a build of the same sources is there. */
export async function buildApp(): Promise<BuildResult> {
  const started = Date.now();
  const key = await sourceHash();
  const dist = path.join(WEB_DIR, TEST_DIST_DIR);
  const keyFile = path.join(dist, "ns-llm-source-hash");
  const built = existsSync(path.join(dist, "BUILD_ID")) && (await readFile(keyFile, "utf8").catch(() => "")) === key;
  if (built) return { reused: true, ms: Date.now() - started };
  const build = startChild("flock", ["--exclusive", distLock(), process.execPath, nextBin(), "build"], {
    cwd: WEB_DIR,
    env: { ...process.env, NS_LLM_WEB_DIST_DIR: TEST_DIST_DIR, NEXT_TELEMETRY_DISABLED: "1" },
    name: "next build",
  });
  const code = await new Promise<number | null>((resolve) => build.child.once("exit", (c) => resolve(c)));
  if (code !== 0) throw new Error(`next build failed (exit ${code})\n${build.output()}`);
  await writeFile(keyFile, key);
  return { reused: false, ms: Date.now() - started };
}

export type StartAppParameters = { port: number; rpcUrl: string; deploymentFile: string; nodeUrl: string };
export type TestApp = { url: string; process: Child; stop(): Promise<void> };

export async function startApp({ port, rpcUrl, deploymentFile, nodeUrl }: StartAppParameters): Promise<TestApp> {
  const app = startChild("flock", ["--shared", distLock(), process.execPath, nextBin(), "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: WEB_DIR,
    env: {
      ...process.env,
      NS_LLM_WEB_DIST_DIR: TEST_DIST_DIR,
      NEXT_TELEMETRY_DISABLED: "1",
      NEXT_PUBLIC_NS_LLM_RPC_URL: rpcUrl,
      NEXT_PUBLIC_NS_LLM_NODE_URL: nodeUrl,
      NS_LLM_DEPLOYMENT: deploymentFile,
    },
    name: "next start",
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    // Long enough to wait for another test process's build to finish (the shared lock).
    await waitUntil("the dApp answering", async () => (await fetch(url)).ok, 300_000, 250);
  } catch (error) {
    await app.stop();
    throw new Error(`${(error as Error).message}\n${app.output()}`);
  }
  return { url, process: app, stop: () => app.stop() };
}
