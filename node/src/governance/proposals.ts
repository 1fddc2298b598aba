/**
 * Proposing an adoption and, on a dev chain, passing it: the `ns-llm propose` and
 * `ns-llm dev pass` commands, and the genesis step of `npm start`.
 */
import { encodeFunctionData, keccak256, toHex, type Address, type Hash, type PublicClient, type TestClient } from "viem";
import { adoptionDescription, modelRegistryAbi, nsGovernorAbi, PROPOSAL_STATES, roleId, SUPPORT, type Deployment, type ProposalState, type Role } from "@ns-llm/contracts";
import { DEV_CHAIN_ID, devAccounts, devChainClient, unlockedWallet, type OperatorWallet } from "../chain/index.ts";


export type ProposeAdoptionParameters = {
  publicClient: PublicClient;
  wallet: OperatorWallet;
  deployment: Deployment;
  role: Role;
  cid: string;
  digest: `0x${string}`;
  /** What voters read first; a default names the role, manifest and CID. */
  description?: string;
  name?: string;
};

export type ProposeAdoptionReturnType = { proposalId: bigint; txHash: Hash; description: string };

/** The proposal's single action: `ModelRegistry.adopt(role, cid, digest)`. */
export function adoptionAction(deployment: Deployment, role: Role, cid: string, digest: `0x${string}`) {
  return {
    targets: [deployment.contracts.ModelRegistry.address] as Address[],
    values: [0n],
    calldatas: [encodeFunctionData({ abi: modelRegistryAbi, functionName: "adopt", args: [roleId(role), cid, digest] })],
  };
}

/** Submits a proposal to adopt manifest `cid` for `role`; returns its id once mined. */
export async function proposeAdoption(parameters: ProposeAdoptionParameters): Promise<ProposeAdoptionReturnType> {
  const { publicClient, wallet, deployment, role, cid, digest } = parameters;
  const description = parameters.description ?? adoptionDescription(parameters.name ?? "a new manifest", role, cid, digest);
  const { targets, values, calldatas } = adoptionAction(deployment, role, cid, digest);
  const governor = deployment.contracts.NSGovernor.address;
  const txHash = await wallet.writeContract({ address: governor, abi: nsGovernorAbi, functionName: "propose", args: [targets, values, calldatas, description] });
  const receipt = await publicClient.waitForTransactionReceipt({ hash: txHash });
  if (receipt.status !== "success") throw new Error(`the proposal transaction ${txHash} reverted`);
  const proposalId = await publicClient.readContract({
    address: governor,
    abi: nsGovernorAbi,
    functionName: "hashProposal",
    args: [targets, values, calldatas, keccak256(toHex(description))],
  });
  return { proposalId, txHash, description };
}

export async function proposalState(publicClient: PublicClient, deployment: Deployment, proposalId: bigint): Promise<ProposalState> {
  const state = await publicClient.readContract({ address: deployment.contracts.NSGovernor.address, abi: nsGovernorAbi, functionName: "state", args: [proposalId] });
  return PROPOSAL_STATES[state]!;
}

export type DevPassParameters = {
  publicClient: PublicClient;
  rpcUrl: string;
  deployment: Deployment;
  proposalId: bigint;
  /** Accounts that vote For; default: every unlocked dev account with voting power. */
  voters?: Address[];
  log?: (line: string) => void;
};

export type DevPassReturnType = { state: ProposalState; executeTx: Hash | undefined; steps: string[] };

/**
 * Dev chain only: votes For with the dev accounts, advances time past the voting period, queues,
 * advances past the timelock delay and executes. Starts wherever the proposal is.
 */
export async function devPass(parameters: DevPassParameters): Promise<DevPassReturnType> {
  const { publicClient, rpcUrl, deployment, proposalId } = parameters;
  const chainId = await publicClient.getChainId();
  if (chainId !== DEV_CHAIN_ID) throw new Error(`dev pass only runs on the dev chain (31337), this is chain ${chainId}`);
  const governor = { address: deployment.contracts.NSGovernor.address, abi: nsGovernorAbi } as const;
  const steps: string[] = [];
  const step = (line: string) => {
    steps.push(line);
    parameters.log?.(line);
  };
  const devChain = devChainClient(rpcUrl);
  const mined = async (what: string, hash: Hash) => {
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${what} reverted in ${hash}`);
    return hash;
  };
  const accounts = parameters.voters ?? (await devAccounts(rpcUrl));
  const [sender] = accounts;
  if (!sender) throw new Error("the dev chain has no unlocked account");
  const senderWallet = unlockedWallet(rpcUrl, sender, chainId);

  let executeTx: Hash | undefined;
  for (let guard = 0; guard < 8; guard++) {
    const state = await proposalState(publicClient, deployment, proposalId);
    if (state === "Executed") return { state, executeTx, steps };
    if (state === "Canceled" || state === "Defeated" || state === "Expired") throw new Error(`proposal is ${state}; it cannot pass`);
    if (state === "Pending") {
      await advanceTo(publicClient, devChain, (await publicClient.readContract({ ...governor, functionName: "proposalSnapshot", args: [proposalId] })) + 1n);
      step("voting opened");
    } else if (state === "Active") {
      let votes = 0;
      const snapshot = await publicClient.readContract({ ...governor, functionName: "proposalSnapshot", args: [proposalId] });
      for (const voter of accounts.slice(0, 10)) {
        const [hasVoted, weight] = await Promise.all([
          publicClient.readContract({ ...governor, functionName: "hasVoted", args: [proposalId, voter] }),
          publicClient.readContract({ ...governor, functionName: "getVotes", args: [voter, snapshot] }),
        ]);
        if (hasVoted || weight === 0n) continue;
        const wallet = unlockedWallet(rpcUrl, voter, chainId);
        await mined("castVote", await wallet.writeContract({ ...governor, functionName: "castVote", args: [proposalId, SUPPORT.For] }));
        votes++;
      }
      step(`${votes} dev account(s) voted For`);
      await advanceTo(publicClient, devChain, (await publicClient.readContract({ ...governor, functionName: "proposalDeadline", args: [proposalId] })) + 1n);
      step("voting period ended");
    } else if (state === "Succeeded") {
      await mined("queue", await senderWallet.writeContract({ ...governor, functionName: "queue", args: [proposalId] }));
      step("queued in the timelock");
    } else if (state === "Queued") {
      await advanceTo(publicClient, devChain, await publicClient.readContract({ ...governor, functionName: "proposalEta", args: [proposalId] }));
      executeTx = await mined("execute", await senderWallet.writeContract({ ...governor, functionName: "execute", args: [proposalId] }));
      step(`executed in ${executeTx}`);
    }
  }
  throw new Error("the proposal did not reach Executed");
}

/** Moves the dev chain's clock so that the next block's timestamp is at least `timestamp`. */
async function advanceTo(publicClient: PublicClient, devChain: TestClient<"hardhat">, timestamp: bigint): Promise<void> {
  const latest = await publicClient.getBlock();
  const delta = timestamp - latest.timestamp;
  if (delta > 0n) await devChain.increaseTime({ seconds: Number(delta) });
  await devChain.mine({ blocks: 1 });
}
