/**
 * Ports and child processes of the node's tests: a port the OS says is free, polling until
 * something holds, and stopping a child the test started (by its PID, waiting for the exit).
 */
import { execFileSync, type ChildProcess } from "node:child_process";

export { freePort } from "../../../scripts/stack/ports.ts";

/** Whether `child` is still running (neither exited nor killed by a signal). */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Sends `signal`, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM", graceMs = 5_000): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

const live = new Set<ChildProcess>();
let hooked = false;

/** SIGKILLs `child` if the test process exits while it still runs: a test that dies early leaves nothing behind. */
export function killOnExit(child: ChildProcess): void {
  if (!hooked) {
    hooked = true;
    process.once("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
  live.add(child);
  child.once("exit", () => live.delete(child));
}

/**
 * Polls `check` every `intervalMs` until it returns a truthy value, and returns that; a check that
 * throws counts as not yet. Times out naming `what`, the last error and `describe()` (e.g. a log).
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  describe?: () => string,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${(last as Error).message})` : ""}${describe ? `\n${describe().slice(-4000)}` : ""}`);
}

/** Whether a process with this pid exists (signal 0 tests for it and sends nothing). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every descendant pid of `pid` (via ps), so a test can check that none survives. */
export function descendants(pid: number): number[] {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const out: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of rows) if (ppid === parent) (out.push(child), walk(child));
  };
  walk(pid);
  return out;
}
