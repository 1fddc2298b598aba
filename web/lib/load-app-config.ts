/**
 * Server side: reads the deployment from disk at request time.
 * The deployment file is NS_LLM_DEPLOYMENT, else `<repo>/deployments/<chainId>.json` for the chain
 * the RPC answers with.
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

/**
 * `host`: the Host header the page was asked for with. The node's token goes into the page only
 * under a loopback name: a foreign name is a page that rebound its name to this machine.
 */
export async function loadAppConfig({ host }: { host?: string | null } = {}): Promise<AppConfig> {
  const rpcUrl = runtimeEnv("NEXT_PUBLIC_NS_LLM_RPC_URL", "NS_LLM_RPC_URL") ?? DEFAULT_RPC_URL;
  const nodeUrl = runtimeEnv("NEXT_PUBLIC_NS_LLM_NODE_URL", "NS_LLM_NODE_URL") ?? DEFAULT_NODE_URL;
  const gatewayUrl = runtimeEnv("NEXT_PUBLIC_NS_LLM_GATEWAY_URL", "NS_LLM_GATEWAY_URL") ?? null;
  const token = runtimeEnv("NS_LLM_API_TOKEN")?.trim() || null;
  const root = repoRoot();
  const base = { rpcUrl, nodeUrl, gatewayUrl, nodeToken: token && isLoopbackHostHeader(host) ? token : null };

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
      problem: `The chain at ${rpcUrl} does not answer (${(error as Error).message}). Start it (npx hardhat node) or set NEXT_PUBLIC_NS_LLM_RPC_URL.`,
    };
  }

  const file = runtimeEnv("NS_LLM_DEPLOYMENT") ?? path.join(root, "deployments", `${chainId}.json`);
  const deployment = await readJson<Deployment>(file);
  if (!deployment) {
    return { ...base, chainId, deployment: null, problem: `No deployment for chain ${chainId} (${file} is missing). Run npm run deploy -- --network localhost.` };
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
