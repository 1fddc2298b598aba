/** Child processes a test starts: free ports, output kept for failure messages, stopped by PID. */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

export { freePort } from "../../../scripts/stack/ports.ts";

export type Child = {
  child: ChildProcess;
  /** The last 20 KB of stdout and stderr. */
  output(): string;
  /** Resolves with the first line that matches, rejects when the process exits first. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM to the process group this test started, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
};

export function startChild(command: string, args: string[], options: SpawnOptions & { name: string }): Child {
  // Its own process group, so stopping it also stops the workers it forks (by its PID, not by name).
  const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  const listeners = new Set<(text: string) => void>();
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-20_000);
    for (const listener of listeners) listener(text);
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  return {
    child,
    output: () => output,
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        let buffer = output;
        const check = () => {
          const match = buffer.match(pattern);
          if (match) {
            done();
            resolve(match);
          }
        };
        const listener = (text: string) => {
          buffer += text;
          check();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${options.name}: no line matching ${pattern} within ${timeoutMs} ms\n${output}`));
        }, timeoutMs);
        const onExit = () => {
          done();
          reject(new Error(`${options.name} exited (code ${child.exitCode})\n${output}`));
        };
        const done = () => {
          clearTimeout(timer);
          listeners.delete(listener);
          child.off("exit", onExit);
        };
        listeners.add(listener);
        child.once("exit", onExit);
        check();
      });
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      const kill = (signal: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // already gone
        }
      };
      kill("SIGTERM");
      const timer = setTimeout(() => kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls `probe` until it resolves truthy. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms${lastError ? ` (${(lastError as Error).message})` : ""}`);
}
