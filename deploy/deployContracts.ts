/**
 * Deploys and wires the five contracts with plain viem clients, so the same code serves
 * `npm run deploy` (any network), the dev stack (`npm start`) and the tests.
 */
import {
  getAddress,
  parseEther,
  zeroAddress,
  type Account,
  type Address,
  type Chain,
  type Hash,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import {
  auditAnchorAbi,
  auditAnchorBytecode,
  CONTRACT_NAMES,
  modelRegistryAbi,
  modelRegistryBytecode,
  nsGovernorAbi,
  nsGovernorBytecode,
  nsTimelockAbi,
  nsTimelockBytecode,
  nsTokenAbi,
  nsTokenBytecode,
  type Deployment,
  type GovernanceSettings,
} from "@ns-llm/contracts";
import { DEV_CHAIN_ID } from "./settings.ts";

export type DeployWallet = WalletClient<Transport, Chain | undefined, Account>;

export type DeployContractsParameters = {
  publicClient: PublicClient;
  /** Signs every deployment and wiring transaction; its admin rights are renounced at the end. */
  deployer: DeployWallet;
  settings: GovernanceSettings;
  /** Dev chain only: each wallet gets `devTokens` and delegates to itself, so it can vote at once. */
  contributors?: DeployWallet[];
  devTokens?: bigint;
  /** Tokens minted to the deployer before ownership passes to the timelock (public chains). */
  initialSupply?: bigint;
  log?: (line: string) => void;
};

export type DeployContractsReturnType = Deployment;

/** 1,000 NSG for each dev account. */
export const DEV_TOKENS = parseEther("1000");

/**
 * Deploys NSToken, NSTimelock, NSGovernor, ModelRegistry and AuditAnchor; makes the governor the
 * timelock's only proposer and canceller, lets anyone execute, hands the token and the registry to
 * the timelock and renounces the deployer's admin role.
 */
export async function deployContracts(parameters: DeployContractsParameters): Promise<DeployContractsReturnType> {
  const { publicClient, deployer, settings, contributors = [], devTokens = DEV_TOKENS, initialSupply = 0n } = parameters;
  const log = parameters.log ?? (() => {});
  const chainId = await publicClient.getChainId();
  let startBlock: bigint | undefined;
  const me = deployer.account.address;

  const deploy = async (name: string, request: Parameters<DeployWallet["deployContract"]>[0]): Promise<Address> => {
    const hash = await deployer.deployContract(request);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`deploying ${name} failed in ${hash}`);
    // The block of the first deployment: where a follower starts reading events.
    startBlock ??= receipt.blockNumber;
    log(`${name} ${receipt.contractAddress}`);
    return getAddress(receipt.contractAddress);
  };
  const send = async (what: string, hash: Promise<Hash>): Promise<void> => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
    if (receipt.status !== "success") throw new Error(`${what} reverted in ${receipt.transactionHash}`);
  };

  const token = await deploy("NSToken", { abi: nsTokenAbi, bytecode: nsTokenBytecode, args: [me], chain: deployer.chain, account: deployer.account });
  const timelock = await deploy("NSTimelock", {
    abi: nsTimelockAbi,
    bytecode: nsTimelockBytecode,
    args: [BigInt(settings.timelockDelay), [], [zeroAddress], me],
    chain: deployer.chain,
    account: deployer.account,
  });
  const governor = await deploy("NSGovernor", {
    abi: nsGovernorAbi,
    bytecode: nsGovernorBytecode,
    args: [
      token,
      timelock,
      {
        votingDelay: settings.votingDelay,
        votingPeriod: settings.votingPeriod,
        proposalThreshold: BigInt(settings.proposalThreshold),
        quorumNumerator: BigInt(settings.quorumNumerator),
        lateQuorumExtension: settings.lateQuorumExtension,
      },
    ],
    chain: deployer.chain,
    account: deployer.account,
  });
  const registry = await deploy("ModelRegistry", { abi: modelRegistryAbi, bytecode: modelRegistryBytecode, args: [timelock], chain: deployer.chain, account: deployer.account });
  const anchor = await deploy("AuditAnchor", { abi: auditAnchorAbi, bytecode: auditAnchorBytecode, args: [], chain: deployer.chain, account: deployer.account });

  const write = { chain: deployer.chain, account: deployer.account } as const;
  const roleOf = (functionName: "PROPOSER_ROLE" | "CANCELLER_ROLE" | "DEFAULT_ADMIN_ROLE") =>
    publicClient.readContract({ address: timelock, abi: nsTimelockAbi, functionName });
  const [proposerRole, cancellerRole, adminRole] = await Promise.all([roleOf("PROPOSER_ROLE"), roleOf("CANCELLER_ROLE"), roleOf("DEFAULT_ADMIN_ROLE")]);
  await send("granting the proposer role", deployer.writeContract({ ...write, address: timelock, abi: nsTimelockAbi, functionName: "grantRole", args: [proposerRole, governor] }));
  await send("granting the canceller role", deployer.writeContract({ ...write, address: timelock, abi: nsTimelockAbi, functionName: "grantRole", args: [cancellerRole, governor] }));

  if (chainId === DEV_CHAIN_ID) {
    for (const wallet of contributors) {
      await send("minting dev tokens", deployer.writeContract({ ...write, address: token, abi: nsTokenAbi, functionName: "mint", args: [wallet.account.address, devTokens] }));
      await send("delegating", wallet.writeContract({ chain: wallet.chain, account: wallet.account, address: token, abi: nsTokenAbi, functionName: "delegate", args: [wallet.account.address] }));
    }
    if (contributors.length > 0) log(`minted ${contributors.length} x ${devTokens / 10n ** 18n} NSG, each delegated to itself`);
  }
  if (initialSupply > 0n) {
    await send("minting the initial supply", deployer.writeContract({ ...write, address: token, abi: nsTokenAbi, functionName: "mint", args: [me, initialSupply] }));
    await send("delegating", deployer.writeContract({ ...write, address: token, abi: nsTokenAbi, functionName: "delegate", args: [me] }));
  }

  await send("handing the token to the timelock", deployer.writeContract({ ...write, address: token, abi: nsTokenAbi, functionName: "transferOwnership", args: [timelock] }));
  await send("renouncing the deployer's admin role", deployer.writeContract({ ...write, address: timelock, abi: nsTimelockAbi, functionName: "renounceRole", args: [adminRole, me] }));

  const addresses = { NSToken: token, NSTimelock: timelock, NSGovernor: governor, ModelRegistry: registry, AuditAnchor: anchor };
  return {
    chainId,
    startBlock: Number(startBlock ?? 0n),
    contracts: Object.fromEntries(CONTRACT_NAMES.map((name) => [name, { address: addresses[name] }])) as Deployment["contracts"],
    settings,
    deployedAt: new Date().toISOString(),
  };
}

/** True when every contract recorded in `deployment` has code on the chain `publicClient` reads. */
export async function isDeployed(publicClient: PublicClient, deployment: Deployment): Promise<boolean> {
  if ((await publicClient.getChainId()) !== deployment.chainId) return false;
  const codes = await Promise.all(
    CONTRACT_NAMES.map((name) => publicClient.getCode({ address: deployment.contracts[name].address })),
  );
  return codes.every((code) => code !== undefined && code !== "0x");
}
