/**
 * `ns-llm serve [--demo] [--no-chain]`: starts the node and prints one line with its URL when it is
 * ready (`ns-llm listening on http://127.0.0.1:5555`; with NS_LLM_PORT=0 the port the OS chose).
 * SIGINT or SIGTERM stop it cleanly: no new requests, running work finishes within 5 s or is
 * cancelled, models are freed, exit code 0.
 */
import { parseCommandArgs, type Command } from "../command.ts";
import { UserError } from "../errors.ts";
import { loadConfig } from "../../config.ts";
import { isIpfsError } from "../../ipfs/index.ts";
import { startNode, type RunningNode } from "../../app/index.ts";
import { UnsafeBindError } from "../../server/index.ts";

const command: Command = {
  name: "serve",
  usage: "serve [--demo] [--no-chain]",
  summary: "start the node (API, follower, audit, IPFS)",
  async run(args) {
    const { values } = parseCommandArgs(args, { demo: { type: "boolean" }, "no-chain": { type: "boolean" } }, { usage: "usage: ns-llm serve [--demo] [--no-chain]" });
    let config;
    try {
      config = loadConfig();
    } catch (error) {
      throw new UserError((error as Error).message, "fix the environment variables named above");
    }
    let running: RunningNode;
    try {
      running = await startNode(config, { demo: values.demo === true, chain: values["no-chain"] !== true });
    } catch (error) {
      if (isIpfsError(error) && error.code === "repo_locked") {
        throw new UserError(error.message, "another ns-llm process uses this NS_LLM_HOME; stop it or set another NS_LLM_HOME");
      }
      if (error instanceof UnsafeBindError) throw new UserError(error.message, error.hint);
      const e = error as NodeJS.ErrnoException;
      if (e.code === "EADDRINUSE") throw new UserError(`port ${config.port} is already in use`, "stop the other process or set NS_LLM_PORT");
      throw error;
    }

    for (const reason of running.health().reasons) console.error(`ns-llm: degraded: ${reason}`);
    console.log(`ns-llm listening on ${running.url}`);

    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          console.error(`ns-llm: ${signal} again, exiting now`);
          process.exit(1);
        }
        stopping = true;
        console.error(`ns-llm: ${signal}, stopping`);
        running.close().then(
          () => {
            console.error("ns-llm: stopped");
            // Native runtimes may keep the event loop alive; leave once everything is closed.
            setTimeout(() => process.exit(0), 200).unref();
            resolve(0);
          },
          (error: unknown) => {
            console.error(`error: shutdown failed: ${(error as Error).message}`);
            process.exit(1);
          },
        );
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
  },
};

export default command;
