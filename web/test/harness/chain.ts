/** A real Hardhat node started from the repository root, with the contracts deployed by `ensureDeployed`. */
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { createPublicClient, createWalletClient, http, type Address, type PublicClient } from "viem";
import { hardhat } from "viem/chains";
import type { Deployment } from "@ns-llm/contracts";
import { ensureDeployed } from "../../../deploy/deployments.ts";
import { DEV_SETTINGS } from "../../../deploy/settings.ts";
import { REPO_ROOT } from "./paths.ts";
import { freePort, startChild, waitUntil } from "./processes.ts";

export type TestChain = {
  url: string;
  accounts: Address[];
  deployment: Deployment;
  deploymentFile: string;
  publicClient: PublicClient;
  stop(): Promise<void>;
};

async function rpc<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result as T;
}

export async function startChain(): Promise<TestChain> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const hardhatPackage = createRequire(path.join(REPO_ROOT, "package.json")).resolve("hardhat/package.json");
  const hardhatCli = path.join(path.dirname(hardhatPackage), "dist/src/cli.js");
  const node = startChild(process.execPath, [hardhatCli, "node", "--port", String(port), "--hostname", "127.0.0.1"], { cwd: REPO_ROOT, env: process.env, name: "hardhat node" });
  const dir = await mkdtemp(path.join(tmpdir(), "ns-web-deployments-"));
  const stop = async () => {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil("the Hardhat node answering", () => rpc<string>(url, "eth_chainId"), 60_000);
    const chain = { ...hardhat, rpcUrls: { default: { http: [url] } } };
    const publicClient = createPublicClient({ chain, transport: http(url), pollingInterval: 100 }) as PublicClient;
    const accounts = await rpc<Address[]>(url, "eth_accounts");
    const wallets = accounts.slice(0, 5).map((account) => createWalletClient({ account, chain, transport: http(url) }));
    const { deployment, file } = await ensureDeployed({ publicClient, deployer: wallets[0]!, settings: DEV_SETTINGS, contributors: wallets, dir, fresh: true });
    return { url, accounts, deployment, deploymentFile: file, publicClient, stop };
  } catch (error) {
    const output = node.output();
    await stop();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
}
