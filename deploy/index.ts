/**
 * `npm run deploy -- --network <name>`: deploys the contracts to a network of hardhat.config.ts
 * (`localhost` is the chain at NS_LLM_RPC_URL, `custom` the same URL signed by
 * NS_LLM_DEPLOYER_KEY) and writes deployments/<chainId>.json. A second run reuses what is on the
 * chain; NS_LLM_FRESH_DEPLOY=1 deploys again.
 */
import { network } from "hardhat";
import { ensureDeployed } from "./deployments.ts";
import { DEV_CHAIN_ID, settingsFor } from "./settings.ts";

const connection = await network.create();
const publicClient = await connection.viem.getPublicClient();
const wallets = await connection.viem.getWalletClients();
const [deployer] = wallets;
if (!deployer) {
  console.error(`error: no account to deploy with on network "${connection.networkName}" (set NS_LLM_DEPLOYER_KEY)`);
  process.exit(1);
}
const chainId = await publicClient.getChainId();
const isDev = chainId === DEV_CHAIN_ID;
const { deployment, file, reused } = await ensureDeployed({
  publicClient: publicClient as never,
  deployer: deployer as never,
  settings: settingsFor(chainId),
  contributors: isDev ? (wallets.slice(0, 5) as never[]) : [],
  initialSupply: isDev ? 0n : BigInt(process.env.NS_LLM_INITIAL_SUPPLY ?? "0"),
  fresh: process.env.NS_LLM_FRESH_DEPLOY === "1",
  log: (line) => console.log(`  ${line}`),
});
console.log(`${reused ? "reused" : "deployed"} on chain ${chainId} (${connection.networkName}): ${file}`);
for (const [name, { address }] of Object.entries(deployment.contracts)) console.log(`  ${name.padEnd(14)}${address}`);
await connection.close();
