/**
 * The NS-LLM node the node pages talk to: a real `ns-llm serve --demo` with its own home, a free
 * port, the test chain and deployment, Hardhat account 0 as the operator that anchors, a 2 s batch
 * timer, one inference thread, and CORS for the app's origin.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "./paths.ts";
import { freePort, startChild, type Child } from "./processes.ts";

const run = promisify(execFile);
const CLI = path.join(REPO_ROOT, "node/bin/ns-llm.js");

/** Hardhat's well-known dev account 0 (never use it on a real network). */
export const HARDHAT_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
export const HARDHAT_ADDRESS_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

export type DemoNode = {
  url: string;
  process: Child;
  /** Runs `ns-llm <args> --json` against this node and chain; resolves with its JSON output. */
  cli<T = unknown>(...args: string[]): Promise<T>;
  stop(): Promise<void>;
};

/** `env`: more environment for the node (e.g. a packaged install's NS_LLM_INSTALL_ROOT and NS_LLM_VERSION). */
export type StartDemoNodeParameters = { rpcUrl: string; deploymentFile: string; corsOrigin: string; batchSeconds?: number; env?: Record<string, string> };

export async function startDemoNode({ rpcUrl, deploymentFile, corsOrigin, batchSeconds = 2, env: extraEnv = {} }: StartDemoNodeParameters): Promise<DemoNode> {
  const home = await mkdtemp(path.join(tmpdir(), "ns-web-p2-node-"));
  const env = {
    ...process.env,
    NS_LLM_HOME: home,
    NS_LLM_HOST: "127.0.0.1",
    NS_LLM_PORT: String(await freePort()),
    NS_LLM_RPC_URL: rpcUrl,
    NS_LLM_DEPLOYMENT: deploymentFile,
    NS_LLM_OPERATOR_KEY: HARDHAT_KEY_0,
    NS_LLM_CORS_ORIGINS: corsOrigin,
    NS_LLM_THREADS: "1",
    NS_LLM_AUDIT_BATCH_SECONDS: String(batchSeconds),
    ...extraEnv,
  };
  const cleanup = () => rm(home, { recursive: true, force: true });
  const child = startChild(process.execPath, [CLI, "serve", "--demo"], { cwd: REPO_ROOT, env, name: "ns-llm serve --demo" });
  try {
    const [, url] = await child.waitForLine(/ns-llm listening on (http:\/\/\S+)/, 180_000);
    return {
      url: url!,
      process: child,
      async cli<T>(...args: string[]): Promise<T> {
        const { stdout } = await run(process.execPath, [CLI, ...args, "--json"], { cwd: REPO_ROOT, env, timeout: 120_000 });
        return JSON.parse(stdout) as T;
      },
      async stop() {
        await child.stop();
        await cleanup();
      },
    };
  } catch (error) {
    await child.stop();
    await cleanup();
    throw error;
  }
}
