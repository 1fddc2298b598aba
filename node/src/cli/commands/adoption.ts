/**
 * `ns-llm adoption list [--json]`: every adoption this node saw and what became of it, with the
 * operator's detail of a refusal (what each source answered: never in /health, /api/governance
 * or the audit log, see PullError.summary).
 * `ns-llm adoption retry <role>`: tries a refused adoption of `role` again (a model that failed
 * for good, or gave up after its bounded retries); the running node picks it up within a poll.
 */
import path from "node:path";
import { ROLES, type Role } from "@ns-llm/contracts";
import { FollowerState } from "../../governance/index.ts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { UsageError, UserError } from "../errors.ts";
import { cliConfig } from "../ipfs-context.ts";

export const adoptionList: Command = {
  name: "adoption list",
  usage: "adoption list [--limit N] [--json]",
  summary: "the adoptions this node saw, with why each refused one failed (operator detail)",
  async run(args) {
    const { values } = parseCommandArgs(args, { json: { type: "boolean", default: false }, limit: { type: "string", default: "20" } });
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError("--limit takes a positive whole number");
    const state = new FollowerState(path.join(cliConfig().home, "node.db"));
    try {
      const attempts = state.historyWithDetail(limit);
      output(values.json!, { attempts }, () => {
        if (attempts.length === 0) console.log("no adoption seen yet");
        for (const a of attempts) {
          console.log(`${a.role} v${a.version}  ${a.status}${a.code ? ` (${a.code})` : ""}  tries=${a.tries}  ${a.time}  ${a.cid}`);
          if (a.detail ?? a.reason) console.log(`    ${a.detail ?? a.reason}`);
        }
      });
    } finally {
      state.close();
    }
  },
};

export const adoptionRetry: Command = {
  name: "adoption retry",
  usage: "adoption retry <role> [--json]",
  summary: "try a refused adoption again (the running node picks it up)",
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, { json: { type: "boolean", default: false } }, { positionals: true });
    const [role, ...extra] = positionals;
    if (!role || extra.length > 0 || !(ROLES as readonly string[]).includes(role)) throw new UsageError(`adoption retry takes one role: ${ROLES.join(", ")}`);
    const state = new FollowerState(path.join(cliConfig().home, "node.db"));
    try {
      const attempt = state.requestRetry(role as Role);
      if (!attempt) throw new UserError(`no refused adoption of ${role}`, "see ns-llm adoption list");
      output(values.json!, { role, version: attempt.version, cid: attempt.cid, status: "retrying" }, () =>
        console.log(`${role} v${attempt.version} (${attempt.cid}) will be tried again by the running node`),
      );
    } finally {
      state.close();
    }
  },
};
