import { existsSync } from "node:fs";
import path from "node:path";
import { AnchorSetupError, AUDIT_DB, AuditAnchorer, connectAnchor, openAuditLog } from "../../audit/index.ts";
import { loadConfig } from "../../config.ts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { UserError } from "../errors.ts";

const command: Command = {
  name: "audit anchor",
  usage: "audit anchor [--json]",
  summary: "close the pending audit batch and anchor every batch not on chain yet, now",
  async run(args) {
    const { values } = parseCommandArgs(args, { json: { type: "boolean", default: false } });
    let config;
    try {
      config = loadConfig();
    } catch (error) {
      throw new UserError((error as Error).message, "fix the environment variable");
    }
    const { rpcUrl, deploymentFile, operatorKey } = config;
    if (!operatorKey) throw new UserError("no operator key to sign anchors with", "set NS_LLM_OPERATOR_KEY");
    const file = path.join(config.home, AUDIT_DB);
    if (!existsSync(file)) throw new UserError(`no audit log at ${file}`, "set NS_LLM_HOME to the node's data folder");

    const log = openAuditLog({ file });
    try {
      const anchorer = new AuditAnchorer({ log, connect: () => connectAnchor({ rpcUrl, deploymentFile, operatorKey }) });
      let result;
      try {
        result = await anchorer.anchorNow();
      } catch (error) {
        if (error instanceof AnchorSetupError) throw new UserError(error.message, error.hint);
        const message = (error as { shortMessage?: string }).shortMessage ?? (error as Error).message;
        throw new UserError(`anchoring failed: ${message.split("\n")[0]}`, "check the chain and the operator's balance, then run ns-llm audit verify");
      }
      await log.flush();
      const status = anchorer.status();
      const anchored = result.anchored.map((b) => ({
        index: b.index,
        fromSeq: b.fromSeq,
        toSeq: b.toSeq,
        root: b.root,
        txHash: b.anchor!.txHash,
        gasUsed: b.anchor!.gasUsed,
      }));
      output(values.json!, { closed: result.closed ?? null, anchored, anchoredThrough: status.anchoredThrough, entries: status.entries }, () => {
        if (result.closed) console.log(`closed batch ${result.closed.index} (seq ${result.closed.fromSeq}..${result.closed.toSeq})`);
        for (const b of anchored) console.log(`anchored batch ${b.index} (seq ${b.fromSeq}..${b.toSeq}, root ${b.root}) in ${b.txHash}, ${b.gasUsed} gas`);
        if (anchored.length === 0) console.log("nothing to anchor: every closed batch is on chain");
        console.log(`anchored through seq ${status.anchoredThrough ?? "(none)"} of ${status.entries} entries`);
      });
    } finally {
      await log.close();
    }
  },
};

export default command;
