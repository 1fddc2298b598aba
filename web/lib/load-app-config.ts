/**
 * Server side: reads the deployment from disk at request time.
 * The deployment file is NS_LLM_DEPLOYMENT, else `<repo>/deployments/<chainId>.json` for the chain
 * the RPC answers with.
 *
 * Served by an NS-LLM node on its own port (the node starts this app and sets these): with
 * NS_LLM_DAPP_SAME_ORIGIN=1 the default node is the page's own origin (the node that served it,
 * whatever port a person used); NS_LLM_CHAIN=off says the node follows no chain; NS_LLM_CONFIG_FILE
 * is where a packaged node's settings go, named in the problems shown.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Deployment } from "@ns-llm/contracts";
import { DEFAULT_NODE_URL, DEFAULT_RPC_URL, type AppConfig } from "./app-config.ts";

/** Reads an environment variable at run time (Next.js inlines literal `process.env.NEXT_PUBLIC_*`). */
function runtimeEnv(...names: string[]): string | undefined {
  const env = process.env;
  for (const name of names) {
    const value = env[name];
    if (value) return value;
  }
  return undefined;
}

/** The repository root: the nearest folder up from the app that holds `deployments/` or hardhat.config.ts. */
export function repoRoot(start = process.cwd()): string {
  // Read at run time on purpose (the files change while the app runs): keep them out of tracing.
  let dir = path.resolve(/*turbopackIgnore: true*/ start);
  for (;;) {
    if (existsSync(path.join(dir, "hardhat.config.ts"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start, "..");
    dir = parent;
  }
}

async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(3000),
    cache: "no-store",
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result as T;
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(/*turbopackIgnore: true*/ file, "utf8")) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Whether a Host header names this machine (localhost, 127.x.x.x, [::1], any port). */
export function isLoopbackHostHeader(host: string | null | undefined): boolean {
  if (!host) return false;
  const h = host.trim().toLowerCase();
  const name = (h.startsWith("[") ? h.slice(1, h.indexOf("]")) : h.replace(/:\d*$/, "")).replace(/\.$/, "");
  return name === "localhost" || name === "::1" || /^127(\.\d{1,3}){3}$/.test(name);
}

/** `http://<host>` for a Host header that is a plain host[:port], else undefined. */
function originOf(host: string | null | undefined): string | undefined {
  const h = host?.trim() ?? "";
  return /^(?:[a-z0-9._-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i.test(h) ? `http://${h}` : undefined;
}

/** Where a person sets the chain: the packaged node's settings file, else the environment. */
function settingsHint(): { where: string; packaged: boolean } {
  const file = runtimeEnv("NS_LLM_CONFIG_FILE");
  if (file) return { where: `in ${file} (one NAME=value per line), then restart ns-llm`, packaged: true };
  // Served by a node (it starts this app with its own settings), or on its own.
  return { where: runtimeEnv("NS_LLM_DAPP_SAME_ORIGIN") === "1" ? "in the node's environment, then restart it" : "in the environment of the node and of this app", packaged: false };
}

/**
 * `host`: the Host header the page was asked for with. The node's token goes into the page only
 * under a loopback name: a foreign name is a page that rebound its name to this machine.
 */
export async function loadAppConfig({ host }: { host?: string | null } = {}): Promise<AppConfig> {
  const rpcUrl = runtimeEnv("NEXT_PUBLIC_NS_LLM_RPC_URL", "NS_LLM_RPC_URL") ?? DEFAULT_RPC_URL;
  const sameOrigin = runtimeEnv("NS_LLM_DAPP_SAME_ORIGIN") === "1" ? originOf(host) : undefined;
  const nodeUrl = sameOrigin ?? runtimeEnv("NEXT_PUBLIC_NS_LLM_NODE_URL", "NS_LLM_NODE_URL") ?? DEFAULT_NODE_URL;
  const gatewayUrl = runtimeEnv("NEXT_PUBLIC_NS_LLM_GATEWAY_URL", "NS_LLM_GATEWAY_URL") ?? null;
  const token = runtimeEnv("NS_LLM_API_TOKEN")?.trim() || null;
  const root = repoRoot();
  const base = { rpcUrl, nodeUrl, gatewayUrl, nodeToken: token && isLoopbackHostHeader(host) ? token : null };
  const settings = settingsHint();

  if (runtimeEnv("NS_LLM_CHAIN") === "off") {
    return {
      ...base,
      chainId: 0,
      deployment: null,
      problemTitle: "This node follows no chain",
      problem:
        `This node runs without a chain, so there are no proposals, votes or registry to show: it serves the models it was started with (its API answers on this same address: /health, /v1/chat/completions). ` +
        `To govern it, set NS_LLM_RPC_URL to the chain's JSON-RPC URL and NS_LLM_DEPLOYMENT to that chain's deployment file (deployments/<chainId>.json) ${settings.where}.`,
    };
  }

  let chainId: number;
  try {
    chainId = Number(BigInt(await rpc<string>(rpcUrl, "eth_chainId")));
  } catch (error) {
    const deploymentFile = runtimeEnv("NS_LLM_DEPLOYMENT");
    const recorded = deploymentFile ? await readJson<Deployment>(deploymentFile) : undefined;
    return {
      ...base,
      chainId: recorded?.chainId ?? 0,
      deployment: null,
      problem: settings.packaged
        ? `The chain at ${rpcUrl} does not answer (${(error as Error).message}). Check that it runs, or set NS_LLM_RPC_URL to its JSON-RPC URL ${settings.where}.`
        : `The chain at ${rpcUrl} does not answer (${(error as Error).message}). Start it (npx hardhat node) or set NEXT_PUBLIC_NS_LLM_RPC_URL.`,
    };
  }

  const file = runtimeEnv("NS_LLM_DEPLOYMENT") ?? path.join(root, "deployments", `${chainId}.json`);
  const deployment = await readJson<Deployment>(file);
  if (!deployment) {
    const fix = settings.packaged ? `Set NS_LLM_DEPLOYMENT to the chain's deployment file (deployments/${chainId}.json) ${settings.where}.` : "Run npm run deploy -- --network localhost.";
    return { ...base, chainId, deployment: null, problem: `No deployment for chain ${chainId} (${file} is missing). ${fix}` };
  }
  if (deployment.chainId !== chainId) {
    return { ...base, chainId, deployment: null, problem: `${file} is for chain ${deployment.chainId}, but ${rpcUrl} is chain ${chainId}.` };
  }
  const code = await rpc<string>(rpcUrl, "eth_getCode", [deployment.contracts.NSGovernor.address, "latest"]).catch(() => "0x");
  if (code === "0x") {
    return { ...base, chainId, deployment: null, problem: `The contracts recorded in ${file} are not on this chain (a new dev chain?). Run npm run deploy -- --network localhost.` };
  }
  return { ...base, chainId, deployment, problem: null };
}
