/**
 * A real Hardhat network for tests: `hardhat node` on a free port as a child process, the
 * contracts deployed by the project's own deployment code into a temporary deployments folder.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Address, PublicClient } from "viem";
import type { Deployment } from "@ns-llm/contracts";
import { ensureDeployed } from "../../../deploy/deployments.ts";
import { DEV_SETTINGS } from "../../../deploy/settings.ts";
import { devAccounts, publicClientFor, unlockedWallet } from "../../src/chain/index.ts";
import { freePort, stopChild, waitUntil } from "./processes.ts";

const REPO = path.resolve(import.meta.dirname, "../../..");

/**
 * The well-known keys of Hardhat's dev accounts 0..4, the ones deployed with 1,000 NSG each (never
 * use them on a real network): tests sign with them as separate operators and contributors.
 */
export const DEV_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
] as const;

/** Hardhat's first dev account's key: the deployer's. */
export const DEV_KEY_0 = DEV_KEYS[0];

export type TestChain = {
  rpcUrl: string;
  publicClient: PublicClient;
  deployment: Deployment;
  /** The deployments folder holding `<chainId>.json`. */
  deploymentsDir: string;
  deploymentFile: string;
  accounts: Address[];
  stop(): Promise<void>;
};

/** Starts a Hardhat node and deploys the contracts (dev settings unless overridden). */
export async function startTestChain(settings = DEV_SETTINGS): Promise<TestChain> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(REPO, "node_modules/hardhat/dist/src/cli.js"), "node", "--port", String(port), "--hostname", "127.0.0.1"], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const rpcUrl = `http://127.0.0.1:${port}`;
  const publicClient = publicClientFor(rpcUrl, 100);
  try {
    await waitUntil("the Hardhat node answering", async () => (await publicClient.getChainId()) > 0, 60_000, () => output, 100);
    const accounts = await devAccounts(rpcUrl);
    const chainId = await publicClient.getChainId();
    const deploymentsDir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-deployments-"));
    const wallets = accounts.slice(0, 5).map((a) => unlockedWallet(rpcUrl, a, chainId));
    const { deployment, file } = await ensureDeployed({
      publicClient,
      deployer: wallets[0]!,
      contributors: wallets,
      settings,
      dir: deploymentsDir,
    });
    return {
      rpcUrl,
      publicClient,
      deployment,
      deploymentsDir,
      deploymentFile: file,
      accounts,
      async stop() {
        await stopChild(child);
        await rm(deploymentsDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}
