import { PROPOSAL_STATES } from "@ns-llm/contracts";
import { BaseError, ContractFunctionRevertedError, UserRejectedRequestError } from "viem";

/** A revert's custom error, decoded against every contract's errors (the governor's calls revert with the timelock's too). */
export class ContractRevertError extends Error {
  readonly errorName: string;
  readonly args: readonly unknown[];
  readonly inputs: readonly { name?: string }[];
  constructor(errorName: string, args: readonly unknown[], inputs: readonly { name?: string }[]) {
    super(`reverted with ${errorName}`);
    this.name = "ContractRevertError";
    this.errorName = errorName;
    this.args = args;
    this.inputs = inputs;
  }
}

/** What the common governance errors mean for a person, by error name. */
const HINTS: Record<string, string> = {
  GovernorInsufficientProposerVotes: "your voting power is below the proposal threshold; get tokens and delegate them first",
  GovernorAlreadyCastVote: "this account has already voted on this proposal",
  GovernorUnexpectedProposalState: "the proposal is not in a state that allows this",
  GovernorNonexistentProposal: "there is no such proposal",
  GovernorInvalidVoteType: "the vote must be For, Against or Abstain",
  TimelockUnexpectedOperationState: "the timelock operation is not ready (wait for the delay) or was already done",
  TimelockInsufficientDelay: "the timelock delay is too short",
  ERC20InsufficientBalance: "the balance is too low",
  ERC5805FutureLookup: "that moment is not in the past yet",
  ModelRegistryUnknownRole: "the role is not one of the governed roles",
  ModelRegistryEmptyManifest: "the manifest CID is empty or the digest is zero",
  OwnableUnauthorizedAccount: "only the owner (the timelock) may do this",
};

function formatArg(name: string | undefined, value: unknown): string {
  if (name === "current" && typeof value === "number") return PROPOSAL_STATES[value] ?? String(value);
  if (typeof value === "bigint") return value.toString();
  return typeof value === "string" ? value : JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v));
}

/**
 * One line for a person: the decoded custom error (name, arguments and what it means) when the
 * call reverted, "rejected in your wallet" when the person said no, else viem's short message.
 */
export function describeError(error: unknown): string {
  if (error instanceof ContractRevertError) return describeRevert(error.errorName, error.args, error.inputs);
  if (error instanceof BaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      const data = reverted.data;
      if (data?.errorName) return describeRevert(data.errorName, data.args ?? [], "inputs" in data.abiItem ? data.abiItem.inputs : []);
      if (reverted.reason) return `Reverted: ${reverted.reason}`;
      return `Reverted: ${reverted.shortMessage}`;
    }
    if (error.walk((e) => e instanceof UserRejectedRequestError)) return "You rejected the request in your wallet.";
    return error.shortMessage;
  }
  return error instanceof Error ? error.message : String(error);
}

/** `Reverted: Name(arg: value, ...) — what it means`. */
function describeRevert(errorName: string, values: readonly unknown[], inputs: readonly { name?: string }[]): string {
  const args = values.map((value, i) => `${inputs[i]?.name ? `${inputs[i]!.name}: ` : ""}${formatArg(inputs[i]?.name, value)}`);
  const hint = HINTS[errorName];
  return `Reverted: ${errorName}(${args.join(", ")})${hint ? ` — ${hint}` : ""}`;
}
