/**
 * The NS-LLM node the dApp publishes and fetches manifests through: a real `ns-llm serve
 * --no-chain` (or the node at NS_LLM_TEST_NODE_URL). Returns undefined, with the reason, when that
 * node has no manifest routes yet, so the tests that need them can say so and skip.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { REPO_ROOT } from "./paths.ts";
import { startChild } from "./processes.ts";

export type TestNode = { url: string; stop(): Promise<void> };
export type StartNodeResult = { node: TestNode; missing?: undefined } | { node?: undefined; missing: string };

/** True when `POST /api/manifests` exists (an empty body is refused with a 4xx other than 404). */
async function hasManifestRoutes(url: string): Promise<boolean> {
  const response = await fetch(new URL("/api/manifests", url), { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  await response.arrayBuffer();
  return response.status !== 404;
}

export async function startNsNode({ corsOrigin }: { corsOrigin: string }): Promise<StartNodeResult> {
  const external = process.env.NS_LLM_TEST_NODE_URL;
  if (external) {
    if (!(await hasManifestRoutes(external))) return { missing: `the node at NS_LLM_TEST_NODE_URL=${external} has no POST /api/manifests` };
    return { node: { url: external, stop: async () => {} } };
  }
  const home = await mkdtemp(path.join(tmpdir(), "ns-web-node-"));
  const serve = startChild(process.execPath, [path.join(REPO_ROOT, "node/bin/ns-llm.js"), "serve", "--no-chain"], {
    cwd: REPO_ROOT,
    env: { ...process.env, NS_LLM_HOME: home, NS_LLM_HOST: "127.0.0.1", NS_LLM_PORT: "0", NS_LLM_CORS_ORIGINS: corsOrigin, NS_LLM_THREADS: "1" },
    name: "ns-llm serve",
  });
  const stop = async () => {
    await serve.stop();
    await rm(home, { recursive: true, force: true });
  };
  try {
    const [, url] = await serve.waitForLine(/ns-llm listening on (http:\/\/\S+)/, 120_000);
    if (!(await hasManifestRoutes(url!))) {
      await stop();
      return { missing: "ns-llm serve has no POST /api/manifests yet (the IPFS manifest routes are not wired into the node)" };
    }
    return { node: { url: url!, stop } };
  } catch (error) {
    await stop();
    throw error;
  }
}
