import { existsSync } from "node:fs";
import path from "node:path";
import { isAddress, type Address } from "viem";
import { AnchorSetupError, AUDIT_DB, connectAnchor, openAuditLog, verifyEntry, verifyLog, type AnchorTarget } from "../../audit/index.ts";
import { loadConfig } from "../../config.ts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { UsageError, UserError } from "../errors.ts";

const command: Command = {
  name: "audit verify",
  usage: "audit verify [--seq N] [--node ADDRESS] [--no-chain] [--json]",
  summary: "check the hash chain, the Merkle batches and the anchors on chain",
  async run(args) {
    const { values } = parseCommandArgs(args, {
      seq: { type: "string" },
      node: { type: "string" },
      "no-chain": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    });
    const seq = values.seq === undefined ? undefined : Number(values.seq);
    if (seq !== undefined && !(Number.isSafeInteger(seq) && seq >= 0 && /^\d+$/.test(values.seq!))) throw new UsageError("--seq must be a whole number");
    if (values.node !== undefined && !isAddress(values.node)) throw new UsageError("--node must be an address (0x + 40 hex digits)");
    const config = configOrExplain();
    const file = path.join(config.home, AUDIT_DB);
    if (!existsSync(file)) throw new UserError(`no audit log at ${file}`, "set NS_LLM_HOME to the node's data folder");

    let target: AnchorTarget | undefined;
    if (!values["no-chain"]) {
      try {
        target = await connectAnchor({ rpcUrl: config.rpcUrl, deploymentFile: config.deploymentFile, operatorKey: config.operatorKey });
      } catch (error) {
        if (error instanceof AnchorSetupError) throw new UserError(error.message, `${error.hint}; or pass --no-chain to check the log alone`);
        throw error;
      }
    }
    const log = openAuditLog({ file });
    try {
      const node = (values.node as Address | undefined) ?? target?.node;
      const chain = target ? { publicClient: target.publicClient, anchorAddress: target.address, node } : {};
      if (seq !== undefined) {
        const result = await verifyEntry({ log, seq, ...chain });
        output(values.json!, result, () => {
          if (result.ok) console.log(`seq ${seq}: ok (leaf ${result.leaf}, batch ${result.batch}, root ${result.root}${result.chainChecked ? ", anchored on chain" : ", chain not checked"})`);
          for (const p of result.problems) console.log(`problem: ${p.message}`);
        });
        return result.ok ? 0 : 1;
      }
      const result = await verifyLog({ log, ...chain });
      output(values.json!, result, () => {
        const where = result.chainChecked
          ? `anchors read from chain ${target!.chainId} (AuditAnchor ${target!.address}) for node ${result.node ?? "(none recorded)"}`
          : "chain not checked";
        const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
        console.log(`audit log ${file}: ${count(result.entries, "entry", "entries")}, ${count(result.batches, "batch", "batches")}, ${result.unbatched} not batched yet; ${where}`);
        if (result.ok) console.log(result.chainChecked ? "ok: every entry, batch root and anchor checks out" : "ok: every entry and batch root checks out (anchors not checked)");
        else {
          console.log(`${result.problems.length} problem${result.problems.length === 1 ? "" : "s"}:`);
          for (const p of result.problems) console.log(`  ${p.message}`);
        }
      });
      return result.ok ? 0 : 1;
    } finally {
      await log.close();
    }
  },
};

function configOrExplain() {
  try {
    return loadConfig();
  } catch (error) {
    throw new UserError((error as Error).message, "fix the environment variable");
  }
}

export default command;
