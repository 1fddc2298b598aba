import { SUPPORT, type Support } from "@ns-llm/contracts";
import { formatUnits } from "viem";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { chainContext, requireWallet } from "../chain-context.ts";
import { UsageError } from "../errors.ts";
import { castVote } from "../../governance/voting.ts";
import { proposalId, printProposal } from "./proposal.ts";

const USAGE = "vote <proposalId> for|against|abstain [--reason T] [--json]";

/** `ns-llm vote`: casts the signer's votes (NS_LLM_OPERATOR_KEY) on an open proposal. */
const command: Command = {
  name: "vote",
  usage: USAGE,
  summary: "vote on an open proposal with the signer's delegated NSG",
  async run(args) {
    const parsed = parseCommandArgs(args, { reason: { type: "string" }, json: { type: "boolean", default: false } }, { positionals: true, usage: `usage: ns-llm ${USAGE}` });
    const [id, choice] = parsed.positionals;
    const support = (Object.keys(SUPPORT) as Support[]).find((s) => s.toLowerCase() === choice?.toLowerCase());
    if (!support || parsed.positionals.length !== 2) throw new UsageError("vote needs a proposal id and one of for, against, abstain", `usage: ns-llm ${USAGE}`);
    const context = await chainContext();
    const wallet = await requireWallet(context);
    const result = await castVote({ ...context, wallet, proposalId: proposalId(id), support, reason: parsed.values.reason });
    output(parsed.values.json!, { proposalId: id, voter: wallet.account.address, support, weight: result.weight, txHash: result.txHash, proposal: result.proposal }, () => {
      console.log(`voted ${support} with ${formatUnits(result.weight, 18)} NSG as ${wallet.account.address} (tx ${result.txHash})`);
      printProposal(result.proposal);
    });
  },
};

export default command;
