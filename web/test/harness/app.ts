/**
 * The dApp as a user meets it: `next build` once (reused while the sources are unchanged), then
 * `next start` on a free port, pointed at the test's chain, deployment and node.
 */
import { createHash } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ensureWebBuild, nextBin } from "../../../scripts/stack/web.ts";
import { WEB_DIR } from "./paths.ts";
import { startChild, waitUntil, type Child } from "./processes.ts";

/** Tests build into their own folder, so a developer's `next dev`/`next build` never races them. */
export const TEST_DIST_DIR = ".next-test";

/**
 * Test processes share TEST_DIST_DIR: a build holds this lock exclusively and every `next start`
 * holds it shared, so a build never replaces the files under a running app (it waits for it).
 */
function distLock(): string {
  const dist = path.join(WEB_DIR, TEST_DIST_DIR);
  return path.join(tmpdir(), `ns-web-dist-${createHash("sha256").update(dist).digest("hex").slice(0, 12)}.lock`);
}

export type BuildResult = { reused: boolean; ms: number };

/** `next build` into TEST_DIST_DIR unless a build of the same sources is there (the cache `npm start` uses). */
export async function buildApp(): Promise<BuildResult> {
  const started = Date.now();
  const logFile = path.join(tmpdir(), `ns-web-test-build-${process.pid}.log`);
  try {
    const { reused } = await ensureWebBuild(TEST_DIST_DIR, logFile, { lockFile: distLock() });
    return { reused, ms: Date.now() - started };
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${(await readFile(logFile, "utf8").catch(() => "")).slice(-20_000)}`);
  } finally {
    await rm(logFile, { force: true });
  }
}

export type StartAppParameters = { port: number; rpcUrl: string; deploymentFile: string; nodeUrl: string; gatewayUrl?: string };
export type TestApp = { url: string; process: Child; stop(): Promise<void> };

export async function startApp({ port, rpcUrl, deploymentFile, nodeUrl, gatewayUrl }: StartAppParameters): Promise<TestApp> {
  const app = startChild("flock", ["--shared", distLock(), process.execPath, nextBin(), "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: WEB_DIR,
    env: {
      ...process.env,
      NS_LLM_WEB_DIST_DIR: TEST_DIST_DIR,
      NEXT_TELEMETRY_DISABLED: "1",
      NEXT_PUBLIC_NS_LLM_RPC_URL: rpcUrl,
      NEXT_PUBLIC_NS_LLM_NODE_URL: nodeUrl,
      // No gateway unless the test starts one (the dashboard then says "no gateway").
      NEXT_PUBLIC_NS_LLM_GATEWAY_URL: gatewayUrl ?? "",
      NS_LLM_GATEWAY_URL: gatewayUrl ?? "",
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
