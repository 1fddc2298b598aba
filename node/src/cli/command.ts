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
