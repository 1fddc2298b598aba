/**
 * Deploys and wires the contracts with plain viem clients, so the same code serves
 * `npm run deploy` (any network), the dev stack (`npm start`) and the tests. Off the dev chain the
 * deployment guard (guard.ts) checks the settings and the genesis allocation before anything is sent.
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
  nodeReportsAbi,
  nodeReportsBytecode,
  nsGovernorAbi,
  nsGovernorBytecode,
  nsTimelockAbi,
  nsTimelockBytecode,
  nsTokenAbi,
  nsTokenBytecode,
  type ContractName,
  type Deployment,
  type GovernanceSettings,
} from "@ns-llm/contracts";
import { DeploymentSettingsError } from "./errors.ts";
import type { Genesis } from "./genesis.ts";
import { checkGovernance, describeGenesis, type GenesisHolder, type GovernancePlan } from "./guard.ts";
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
  /** Tokens minted to the deployer, delegated to itself, before ownership passes to the timelock. */
  initialSupply?: bigint;
  /** Who else holds NSG at genesis, and the treasury's share (genesis.ts). The deployer's own allocation is delegated to itself. */
  genesis?: Genesis;
  /** An account that may cancel a queued proposal during the timelock delay (the timelock's CANCELLER_ROLE). None by default. */
  guardian?: Address;
  /** Refuse settings under which nobody could ever propose or pass a proposal (guard.ts). On by default on every chain but the dev chain. */
  guard?: boolean;
  log?: (line: string) => void;
};

/** `deployments/<chainId>.json` with every contract's address, and the guardian when there is one. */
export type DeployContractsReturnType = Deployment & { contracts: Record<ContractName, { address: Address }>; guardian?: Address };

/** 1,000 NSG for each dev account. */
export const DEV_TOKENS = parseEther("1000");

/**
 * Deploys NSToken, NSTimelock, NSGovernor, ModelRegistry, AuditAnchor and NodeReports; makes the
 * governor the timelock's only proposer and canceller (plus the guardian, if any, as a canceller),
 * lets anyone execute, mints the genesis allocation, hands the token and the registry to the
 * timelock and renounces the deployer's admin role.
 *
 * Off the dev chain (or with `guard: true`) it first refuses, sending nothing, a plan under which
 * nobody could ever propose or reach quorum; it logs who holds the votes at genesis either way.
 */
export async function deployContracts(parameters: DeployContractsParameters): Promise<DeployContractsReturnType> {
  const { publicClient, deployer, settings, contributors = [], devTokens = DEV_TOKENS, initialSupply = 0n, genesis, guardian } = parameters;
  const log = parameters.log ?? (() => {});
  const chainId = await publicClient.getChainId();
  let startBlock: bigint | undefined;
  const me = getAddress(deployer.account.address);

  // Every allocation, with the wallet that delegates it at genesis when we hold its key.
  const allocations: (GenesisHolder & { wallet?: DeployWallet })[] = [];
  if (chainId === DEV_CHAIN_ID) {
    for (const wallet of contributors) allocations.push({ account: getAddress(wallet.account.address), amount: devTokens, delegated: true, wallet });
  }
  if (initialSupply > 0n) allocations.push({ account: me, amount: initialSupply, delegated: true, wallet: deployer });
  for (const { account, amount } of genesis?.allocations ?? []) {
    const own = getAddress(account) === me;
    allocations.push({ account: getAddress(account), amount, delegated: own, ...(own ? { wallet: deployer } : {}) });
  }
  const treasury = genesis?.treasury ?? 0n;
  if (guardian !== undefined && getAddress(guardian) === zeroAddress) {
    throw new DeploymentSettingsError("the guardian is the zero address", "leave NS_LLM_GUARDIAN unset for no guardian, or name an account");
  }
  const plan: GovernancePlan = { settings, holders: allocations.map(({ account, amount, delegated }) => ({ account, amount, delegated })), treasury, ...(guardian ? { guardian: getAddress(guardian) } : {}) };
  if (parameters.guard ?? chainId !== DEV_CHAIN_ID) checkGovernance(plan);
  for (const line of describeGenesis(plan)) log(line);

  const deploy = async (name: string, request: Parameters<DeployWallet["deployContract"]>[0]): Promise<Address> => {
    const hash = await deployer.deployContract(request);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`deploying ${name} failed in ${hash}`);
    // The block of the first deployment: where a follower starts reading events.
    startBlock ??= receipt.blockNumber;
    const address = getAddress(receipt.contractAddress);
    log(`${name} ${address}`);
    return address;
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
  const reports = await deploy("NodeReports", nodeReportsDeployment(deployer, governor, registry));

  const write = { chain: deployer.chain, account: deployer.account } as const;
  const roleOf = (functionName: "PROPOSER_ROLE" | "CANCELLER_ROLE" | "DEFAULT_ADMIN_ROLE") =>
    publicClient.readContract({ address: timelock, abi: nsTimelockAbi, functionName });
  const [proposerRole, cancellerRole, adminRole] = await Promise.all([roleOf("PROPOSER_ROLE"), roleOf("CANCELLER_ROLE"), roleOf("DEFAULT_ADMIN_ROLE")]);
  await send("granting the proposer role", deployer.writeContract({ ...write, address: timelock, abi: nsTimelockAbi, functionName: "grantRole", args: [proposerRole, governor] }));
  await send("granting the canceller role", deployer.writeContract({ ...write, address: timelock, abi: nsTimelockAbi, functionName: "grantRole", args: [cancellerRole, governor] }));
  if (plan.guardian) {
    await send("granting the guardian the canceller role", deployer.writeContract({ ...write, address: timelock, abi: nsTimelockAbi, functionName: "grantRole", args: [cancellerRole, plan.guardian] }));
  }

  for (const { account, amount, wallet } of allocations) {
    await send(`minting ${account}'s allocation`, deployer.writeContract({ ...write, address: token, abi: nsTokenAbi, functionName: "mint", args: [account, amount] }));
    if (wallet) await send("delegating", wallet.writeContract({ chain: wallet.chain, account: wallet.account, address: token, abi: nsTokenAbi, functionName: "delegate", args: [wallet.account.address] }));
  }
  if (treasury > 0n) await send("minting the treasury", deployer.writeContract({ ...write, address: token, abi: nsTokenAbi, functionName: "mint", args: [timelock, treasury] }));

  await send("handing the token to the timelock", deployer.writeContract({ ...write, address: token, abi: nsTokenAbi, functionName: "transferOwnership", args: [timelock] }));
  await send("renouncing the deployer's admin role", deployer.writeContract({ ...write, address: timelock, abi: nsTimelockAbi, functionName: "renounceRole", args: [adminRole, me] }));

  const addresses = { NSToken: token, NSTimelock: timelock, NSGovernor: governor, ModelRegistry: registry, AuditAnchor: anchor, NodeReports: reports };
  return {
    chainId,
    startBlock: Number(startBlock ?? 0n),
    contracts: Object.fromEntries(CONTRACT_NAMES.map((name) => [name, { address: addresses[name] }])) as DeployContractsReturnType["contracts"],
    settings,
    deployedAt: new Date().toISOString(),
    ...(plan.guardian ? { guardian: plan.guardian } : {}),
  };
}

/** The deployment request of NodeReports, which reads `governor`'s proposals and `registry`'s adoptions. */
function nodeReportsDeployment(deployer: DeployWallet, governor: Address, registry: Address) {
  return { abi: nodeReportsAbi, bytecode: nodeReportsBytecode, args: [governor, registry], chain: deployer.chain, account: deployer.account } as const;
}

export type AddNodeReportsParameters = Pick<DeployContractsParameters, "publicClient" | "deployer" | "log"> & { deployment: Deployment };

/**
 * Deploys NodeReports beside an existing deployment recorded before it existed (its governor and
 * registry stay as they are) and returns the record with its address added.
 */
export async function addNodeReports({ publicClient, deployer, deployment, log = () => {} }: AddNodeReportsParameters): Promise<DeployContractsReturnType> {
  const { NSGovernor, ModelRegistry } = deployment.contracts;
  const hash = await deployer.deployContract(nodeReportsDeployment(deployer, NSGovernor.address, ModelRegistry.address));
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success" || !receipt.contractAddress) throw new Error(`deploying NodeReports failed in ${hash}`);
  const address = getAddress(receipt.contractAddress);
  log(`NodeReports ${address}`);
  return { ...deployment, contracts: { ...deployment.contracts, NodeReports: { address } } };
}

/** The contracts recorded in `deployment` whose code is on the chain `publicClient` reads (none on another chain). */
export async function contractsOnChain(publicClient: PublicClient, deployment: Deployment): Promise<ContractName[]> {
  if ((await publicClient.getChainId()) !== deployment.chainId) return [];
  const found = await Promise.all(
    CONTRACT_NAMES.map(async (name) => {
      // A record written before a contract existed has no entry for it.
      const address = deployment.contracts[name]?.address as Address | undefined;
      const code = address ? await publicClient.getCode({ address }) : undefined;
      return code !== undefined && code !== "0x" ? name : undefined;
    }),
  );
  return found.filter((name) => name !== undefined);
}

/** True when every contract recorded in `deployment` has code on the chain `publicClient` reads. */
export async function isDeployed(publicClient: PublicClient, deployment: Deployment): Promise<boolean> {
  return (await contractsOnChain(publicClient, deployment)).length === CONTRACT_NAMES.length;
}
