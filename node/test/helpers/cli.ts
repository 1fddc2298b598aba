/**
 * The real `ns-llm` command line as a child process, and the check every refusal of a chain
 * command shares: one `error:` line on stderr, exit code 1, and no transaction sent.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { PublicClient } from "viem";

export const CLI = path.resolve(import.meta.dirname, "../../bin/ns-llm.js");

export type CliRun = { code: number; stdout: string; stderr: string };

/** `ns-llm <args>` with `env` as its whole environment; a non-zero exit is a result, not a throw. */
export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { env, encoding: "utf8" });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The one line a refused command prints (matching `pattern`), and that it sent no transaction. */
export async function assertRefused(run: CliRun, pattern: RegExp, publicClient: PublicClient, blockBefore: bigint): Promise<void> {
  assert.equal(run.code, 1, run.stdout);
  const lines = run.stderr.trim().split("\n").filter((l) => !l.startsWith("npm warn"));
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, /^error: /);
  assert.match(lines[0]!, pattern);
  assert.equal(await publicClient.getBlockNumber(), blockBefore, "no transaction was sent");
}
