/**
 * `ns-llm proposal show|queue|execute <id>`: a proposal as the governor holds it, and the two
 * timelock steps anyone may send once it passed (on the dev chain `dev pass` does them too).
 */
import { formatUnits } from "viem";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { chainContext, requireWallet } from "../chain-context.ts";
import { UsageError } from "../errors.ts";
import { executeProposal, isoTime, queueProposal, readProposal, type ProposalSummary } from "../../governance/voting.ts";

/** A proposal id as `ns-llm propose` prints it (a decimal number). */
export function proposalId(text: string | undefined): bigint {
  if (!text || !/^\d+$/.test(text)) throw new UsageError("a proposal id is a decimal number, as `ns-llm propose` prints it");
  return BigInt(text);
}

export function printProposal(p: ProposalSummary): void {
  const nsg = (v: bigint) => formatUnits(v, 18);
  console.log(`proposal ${p.id}: ${p.state}`);
  console.log(`  proposer  ${p.proposer}`);
  console.log(`  votes     for ${nsg(p.votes.for)}, against ${nsg(p.votes.against)}, abstain ${nsg(p.votes.abstain)} NSG`);
  console.log(`  quorum    ${p.quorum === undefined ? "set when voting opens" : `${nsg(p.quorum)} NSG (for + abstain)`}`);
  console.log(`  voting    ${isoTime(p.snapshot + 1n)} to ${isoTime(p.deadline)}`);
  if (p.eta > 0n) console.log(`  timelock  executable from ${isoTime(p.eta)}`);
}

function subcommand(name: "show" | "queue" | "execute", summary: string): Command {
  const usage = `proposal ${name} <proposalId> [--json]`;
  return {
    name: `proposal ${name}`,
    usage,
    summary,
    async run(args) {
      const parsed = parseCommandArgs(args, { json: { type: "boolean", default: false } }, { positionals: true, usage: `usage: ns-llm ${usage}` });
      if (parsed.positionals.length !== 1) throw new UsageError(`proposal ${name} needs one proposal id`, `usage: ns-llm ${usage}`);
      const id = proposalId(parsed.positionals[0]);
      const context = await chainContext();
      if (name === "show") {
        const p = await readProposal(context, id);
        return output(parsed.values.json!, p, () => printProposal(p));
      }
      const wallet = await requireWallet(context);
      const result = await (name === "queue" ? queueProposal : executeProposal)({ ...context, wallet, proposalId: id });
      output(parsed.values.json!, result, () => {
        console.log(`${name === "queue" ? "queued" : "executed"} in ${result.txHash}`);
        printProposal(result.proposal);
      });
    },
  };
}

export const proposalShow = subcommand("show", "a proposal's state, votes, quorum and times, read from the governor");
export const proposalQueue = subcommand("queue", "queue a passed proposal in the timelock");
export const proposalExecute = subcommand("execute", "execute a queued proposal once the timelock's delay has passed");
