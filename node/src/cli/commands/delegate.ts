import { formatUnits, getAddress, isAddress, type Address } from "viem";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { chainContext, requireWallet } from "../chain-context.ts";
import { UsageError } from "../errors.ts";
import { delegateVotes } from "../../governance/voting.ts";

const USAGE = "delegate [address] [--json]";

/** `ns-llm delegate`: gives the signer's NSG votes to an address, or to itself (the default). */
const command: Command = {
  name: "delegate",
  usage: USAGE,
  summary: "give the signer's NSG votes to an address (default: itself, to vote in person)",
  async run(args) {
    const parsed = parseCommandArgs(args, { json: { type: "boolean", default: false } }, { positionals: true, usage: `usage: ns-llm ${USAGE}` });
    const [to, ...extra] = parsed.positionals;
    if (extra.length > 0 || (to !== undefined && !isAddress(to, { strict: false }))) throw new UsageError(`"${parsed.positionals.join(" ")}" is not one address`, `usage: ns-llm ${USAGE}`);
    const context = await chainContext();
    const wallet = await requireWallet(context);
    const delegatee: Address = to ? getAddress(to) : wallet.account.address;
    const result = await delegateVotes({ ...context, wallet, delegatee });
    output(parsed.values.json!, { delegator: wallet.account.address, ...result }, () => {
      const whom = delegatee === wallet.account.address ? "itself" : delegatee;
      console.log(`${wallet.account.address} delegated its ${formatUnits(result.balance, 18)} NSG to ${whom} (tx ${result.txHash})`);
      console.log(`  ${delegatee} now has ${formatUnits(result.votes, 18)} votes; proposals made from now on count them`);
    });
  },
};

export default command;
