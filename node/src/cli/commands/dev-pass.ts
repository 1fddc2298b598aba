import { output, parseCommandArgs, type Command } from "../command.ts";
import { chainContext } from "../chain-context.ts";
import { UsageError, UserError } from "../errors.ts";
import { devPass } from "../../governance/proposals.ts";

const command: Command = {
  name: "dev pass",
  usage: "dev pass <proposalId>",
  summary: "dev chain only: vote For with the dev accounts, advance time, queue, execute",
  async run(args) {
    const parsed = parseCommandArgs(args, { json: { type: "boolean", default: false } }, { positionals: true });
    const [id] = parsed.positionals;
    if (!id || !/^\d+$/.test(id)) throw new UsageError("dev pass needs a proposal id (a decimal number, as `ns-llm propose` prints)");
    const context = await chainContext();
    try {
      const result = await devPass({
        publicClient: context.publicClient,
        rpcUrl: context.config.rpcUrl,
        deployment: context.deployment,
        proposalId: BigInt(id),
        log: parsed.values.json ? undefined : (line) => console.log(`  ${line}`),
      });
      output(parsed.values.json!, { proposalId: id, state: result.state, executeTx: result.executeTx ?? null, steps: result.steps }, () =>
        console.log(`proposal ${id}: ${result.state}`),
      );
    } catch (error) {
      throw new UserError((error as Error).message, "check the proposal id and that this is the dev chain");
    }
  },
};

export default command;
