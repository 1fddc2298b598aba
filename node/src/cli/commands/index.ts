import type { Command } from "../command.ts";

/**
 * Every command of `ns-llm`, in the order `--help` lists them. Each lives in its own file of this
 * folder and is imported lazily, so `ns-llm status` does not load llama.cpp.
 */
export const COMMANDS: ReadonlyArray<Pick<Command, "name" | "usage" | "summary"> & { load: () => Promise<Command> }> = [
];
