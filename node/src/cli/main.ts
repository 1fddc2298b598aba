/**
 * `ns-llm`: finds the command named by the first one or two words and runs it. Failures print one
 * line, `error: <what> (<what to do>)`, on stderr; `--debug` adds the stack. Exit codes: 0 success,
 * 1 failure, 2 wrong usage.
 */
import { NsLlmError } from "../errors.ts";
import { COMMANDS } from "./commands/index.ts";
import { UsageError, UserError } from "./errors.ts";

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length), 10) + 2;
  return [
    "ns-llm: the NS-LLM node (local inference, governed on chain, audited)",
    "",
    "usage: ns-llm <command> [options]",
    "",
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}${c.summary}`),
    "",
    "Every command that prints a result takes --json. --debug prints stack traces.",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const debug = argv.includes("--debug");
  const args = argv.filter((a) => a !== "--debug");
  if (args.length === 0 || args[0] === "--help" || args[0] === "-h" || args[0] === "help") {
    console.log(help());
    return args.length === 0 ? 2 : 0;
  }
  try {
    const entry =
      COMMANDS.find((c) => c.name === `${args[0]} ${args[1]}`) ?? COMMANDS.find((c) => c.name === args[0]);
    if (!entry) throw new UsageError(`unknown command "${args.slice(0, 2).join(" ")}"`);
    const rest = args.slice(entry.name.split(" ").length);
    if (rest.includes("--help") || rest.includes("-h")) {
      console.log(`usage: ns-llm ${entry.usage}\n\n${entry.summary}`);
      return 0;
    }
    const command = await entry.load();
    return (await command.run(rest)) ?? 0;
  } catch (error) {
    if (error instanceof NsLlmError) {
      console.error(`error: ${error.describe()}`);
      if (debug) console.error(error.stack);
      return error instanceof UserError ? error.exitCode : 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    console.error(`error: ${message} (run again with --debug for details)`);
    if (debug) console.error(error);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
