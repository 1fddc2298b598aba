/**
 * `ns-llm release status | rollback | pin <version> | pin --unpin`: the versions of a packaged
 * install (the launcher's `current`, the `previous` kept for rollback, the operator's pin).
 * A rollback or a switch takes effect when the node next starts.
 */
import { packagedInstall, pinVersion, readInstallState, ReleaseError, rollbackVersion, type InstallState } from "../../release/index.ts";
import { output, parseCommandArgs, type Command } from "../command.ts";
import { UsageError, UserError } from "../errors.ts";

type Action = "status" | "rollback" | "pin";

function make(action: Action, usage: string, summary: string): Command {
  return {
    name: `release ${action}`,
    usage,
    summary,
    async run(args) {
      const { values, positionals } = parseCommandArgs(
        args,
        { root: { type: "string" }, unpin: { type: "boolean", default: false }, json: { type: "boolean", default: false } },
        { positionals: true, usage: `usage: ns-llm ${usage}` },
      );
      const root = values.root ?? packagedInstall()?.root;
      if (!root) throw new UsageError("this node was not started from a package", "pass --root with the install folder");
      try {
        let state: InstallState;
        if (action === "status") {
          if (positionals.length > 0) throw new UsageError("release status takes no arguments", `usage: ns-llm ${usage}`);
          state = await readInstallState(root);
        } else if (action === "rollback") {
          if (positionals.length > 0) throw new UsageError("release rollback takes no arguments", `usage: ns-llm ${usage}`);
          state = await rollbackVersion({ root });
        } else {
          const [version, ...extra] = positionals;
          if (extra.length > 0 || (version === undefined) === !values.unpin) throw new UsageError("release pin takes a version, or --unpin", `usage: ns-llm ${usage}`);
          state = await pinVersion({ root, version });
        }
        output(values.json!, { root, ...state }, () => {
          console.log(`current   ${state.current}${action === "rollback" ? "   (from the next start)" : ""}`);
          console.log(`previous  ${state.previous ?? "-"}`);
          console.log(`pinned    ${state.pinned ?? "-"}`);
          console.log(`versions  ${state.versions.join(", ")}`);
        });
      } catch (error) {
        if (error instanceof ReleaseError) throw new UserError(error.message, error.hint);
        throw error;
      }
    },
  };
}

export const releaseStatus = make("status", "release status [--root DIR] [--json]", "the versions of this install: current, previous, pinned");
export const releaseRollback = make("rollback", "release rollback [--root DIR]", "run the previous version from the next start");
export const releasePin = make("pin", "release pin <version> | --unpin [--root DIR]", "keep this install on a version (no update switches away)");
