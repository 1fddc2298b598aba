/**
 * The contract tests' fixture: deploys the contracts through the real deployment code
 * (deploy/deployContracts.ts) on a fresh Hardhat network and binds them, with the generated ABIs
 * the node and the dApp use, to any of the dev wallets.
 *
 * It lives outside test/contracts so that the test runner does not load it as a test file.
 */
import type { network } from "hardhat";
import { getAddress, getContract, type Address, type Hash, type PublicClient, type TransactionReceipt } from "viem";
import {
  auditAnchorAbi,
  modelRegistryAbi,
  nodeReportsAbi,
  nsGovernorAbi,
  nsTimelockAbi,
  nsTokenAbi,
  type GovernanceSettings,
} from "@ns-llm/contracts";
import { deployContracts, DEV_TOKENS, type DeployContractsReturnType, type DeployWallet } from "../../../deploy/deployContracts.ts";
import type { Genesis } from "../../../deploy/genesis.ts";
import { DEV_SETTINGS } from "../../../deploy/settings.ts";

export type Connection = Awaited<ReturnType<typeof network.create>>;
export type Wallet = Awaited<ReturnType<Connection["viem"]["getWalletClients"]>>[number];
export type Client = Awaited<ReturnType<Connection["viem"]["getPublicClient"]>>;

export type DeployNsLlmParameters = {
  settings?: GovernanceSettings;
  /** How many of the first dev wallets get `devTokens` and delegate to themselves (5 by default). */
  contributors?: number;
  devTokens?: bigint;
  initialSupply?: bigint;
  genesis?: Genesis;
  guardian?: Address;
  guard?: boolean;
};

/** The contracts, bound to `wallet` for writes. */
export function contractsOf(publicClient: Client, deployment: DeployContractsReturnType, wallet: Wallet) {
  const client = { public: publicClient, wallet };
  const { contracts } = deployment;
  return {
    token: getContract({ address: contracts.NSToken.address, abi: nsTokenAbi, client }),
    timelock: getContract({ address: contracts.NSTimelock.address, abi: nsTimelockAbi, client }),
    governor: getContract({ address: contracts.NSGovernor.address, abi: nsGovernorAbi, client }),
    registry: getContract({ address: contracts.ModelRegistry.address, abi: modelRegistryAbi, client }),
    anchor: getContract({ address: contracts.AuditAnchor.address, abi: auditAnchorAbi, client }),
    reports: getContract({ address: contracts.NodeReports.address, abi: nodeReportsAbi, client }),
  };
}

export type Contracts = ReturnType<typeof contractsOf>;

export type DeployNsLlmReturnType = Contracts & {
  deployment: DeployContractsReturnType;
  settings: GovernanceSettings;
  publicClient: Client;
  wallets: Wallet[];
  deployer: Wallet;
  /** The contracts bound to another wallet. */
  as: (wallet: Wallet) => Contracts;
  /** Waits for a transaction and fails unless it succeeded. */
  mined: (hash: Hash | Promise<Hash>) => Promise<TransactionReceipt>;
};

/** Deploys NS-LLM with `deployContracts` on `connection`'s chain, the deployer being wallet 0. */
export async function deployNsLlm(connection: Connection, parameters: DeployNsLlmParameters = {}): Promise<DeployNsLlmReturnType> {
  const { settings = DEV_SETTINGS, contributors = 5, devTokens = DEV_TOKENS, initialSupply = 0n, genesis, guardian, guard } = parameters;
  const publicClient = await connection.viem.getPublicClient();
  const wallets = await connection.viem.getWalletClients();
  const deployer = wallets[0]!;
  const deployment = await deployContracts({
    // Hardhat's clients are viem clients with a narrower chain type.
    publicClient: publicClient as unknown as PublicClient,
    deployer: deployer as unknown as DeployWallet,
    settings,
    contributors: wallets.slice(0, contributors) as unknown as DeployWallet[],
    devTokens,
    initialSupply,
    ...(genesis ? { genesis } : {}),
    ...(guardian ? { guardian } : {}),
    ...(guard !== undefined ? { guard } : {}),
  });
  const mined = async (hash: Hash | Promise<Hash>): Promise<TransactionReceipt> => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
    if (receipt.status !== "success") throw new Error(`transaction ${receipt.transactionHash} reverted`);
    return receipt;
  };
  return {
    deployment,
    settings,
    publicClient,
    wallets,
    deployer,
    as: (wallet) => contractsOf(publicClient, deployment, wallet),
    mined,
    ...contractsOf(publicClient, deployment, deployer),
  };
}

/** The checksummed address of `wallet` (Hardhat's wallets carry lower-case ones). */
export function addressOf(wallet: Wallet): Address {
  return getAddress(wallet.account.address);
}
