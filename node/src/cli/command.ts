import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { UsageError } from "./errors.ts";

/** A command of `ns-llm`: `name` may have two words ("models pull"). */
export type Command = {
  name: string;
  usage: string;
  summary: string;
  run(args: string[]): Promise<number | void>;
};

/** Prints `value` as one JSON object on stdout when `--json` was given, else calls `human`. */
export function output(json: boolean, value: unknown, human: () => void): void {
  if (json) process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}\n`);
  else human();
}

type ParsedCommandArgs<T extends ParseArgsOptionsConfig, P extends boolean> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: P }>
>;

/** node:util parseArgs, strict, with its errors turned into wrong-usage errors (exit code 2). */
export function parseCommandArgs<T extends ParseArgsOptionsConfig, P extends boolean = false>(
  args: string[],
  options: T,
  config: { positionals?: P; usage?: string } = {},
): ParsedCommandArgs<T, P> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: (config.positionals ?? false) as P });
  } catch (error) {
    throw new UsageError((error as Error).message, config.usage);
  }
}
