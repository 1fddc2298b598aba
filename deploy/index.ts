/**
 * `npm run deploy -- --network <name>`: deploys the contracts to a network of hardhat.config.ts
 * (`localhost` is the chain at NS_LLM_RPC_URL, `custom` the same URL signed by
 * NS_LLM_DEPLOYER_KEY) and writes deployments/<chainId>.json (in the folder of NS_LLM_DEPLOYMENT
 * when it is set, as `npm start` does). A second run reuses what is on the chain;
 * NS_LLM_FRESH_DEPLOY=1 deploys again.
 *
 * Who holds NSG at genesis: on the dev chain its first five accounts, 1,000 NSG each; elsewhere the
 * genesis file NS_LLM_GENESIS names (or NS_LLM_INITIAL_SUPPLY wei for the deployer), which the
 * deployment guard checks before sending anything. NS_LLM_GUARDIAN names an account that may cancel
 * queued proposals. A setting that cannot work ends the run with one line on stderr.
 */
import path from "node:path";
import { network } from "hardhat";
import { getAddress, isAddress, type Address } from "viem";
import { ensureDeployed } from "./deployments.ts";
import { DeploymentSettingsError } from "./errors.ts";
import { genesisFromEnv } from "./genesis.ts";
import { DEV_CHAIN_ID, settingsFor } from "./settings.ts";

let connection: Awaited<ReturnType<typeof network.create>> | undefined;
try {
  connection = await network.create();
  const publicClient = await connection.viem.getPublicClient();
  const wallets = await connection.viem.getWalletClients();
  const [deployer] = wallets;
  if (!deployer) throw new DeploymentSettingsError(`no account to deploy with on network "${connection.networkName}"`, "set NS_LLM_DEPLOYER_KEY");
  const chainId = await publicClient.getChainId();
  const genesis = await genesisFromEnv(getAddress(deployer.account.address));
  // The dev chain gives its dev accounts tokens unless a genesis is given (to rehearse a public one).
  const devAllocations = chainId === DEV_CHAIN_ID && genesis === undefined;
  const { deployment, file, reused, added } = await ensureDeployed({
    publicClient: publicClient as never,
    deployer: deployer as never,
    settings: settingsFor(chainId),
    contributors: devAllocations ? (wallets.slice(0, 5) as never[]) : [],
    ...(genesis ? { genesis, guard: true } : {}),
    ...guardianFromEnv(),
    fresh: process.env.NS_LLM_FRESH_DEPLOY === "1",
    ...(process.env.NS_LLM_DEPLOYMENT ? { dir: path.dirname(path.resolve(process.env.NS_LLM_DEPLOYMENT)) } : {}),
    log: (line) => console.log(`  ${line}`),
  });
  const what = reused ? (added.length > 0 ? `reused, with ${added.join(", ")} added,` : "reused") : "deployed";
  console.log(`${what} on chain ${chainId} (${connection.networkName}): ${file}`);
  for (const [name, { address }] of Object.entries(deployment.contracts)) console.log(`  ${name.padEnd(14)}${address}`);
} catch (error) {
  const cause = ((error as { shortMessage?: string }).shortMessage ?? (error as Error).message).split("\n")[0];
  const message = error instanceof DeploymentSettingsError ? error.message : `deployment failed: ${cause} (check NS_LLM_RPC_URL, that the chain answers, and the deployer's funds)`;
  console.error(`error: ${message}`);
  process.exitCode = 1;
} finally {
  await connection?.close();
}

/** `{ guardian }` from NS_LLM_GUARDIAN, or nothing when it is unset. */
function guardianFromEnv(): { guardian?: Address } {
  const value = process.env.NS_LLM_GUARDIAN?.trim();
  if (!value) return {};
  if (!isAddress(value, { strict: false })) throw new DeploymentSettingsError(`NS_LLM_GUARDIAN is not an address: "${value}"`, "set it to 0x and 40 hex digits, or leave it unset for no guardian");
  return { guardian: getAddress(value) };
}
