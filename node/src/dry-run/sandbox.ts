/**
 * Runs one evaluation in a sandbox process (sandbox-child.ts) under a memory budget and a time
 * limit. The child runs at the lowest CPU priority with one inference thread, so serving keeps its
 * cores; its resident memory is sampled (the child's own reports, and /proc where there is one)
 * and the child is killed as soon as it goes over the budget. Never throws for what the model
 * does: the outcome says how it ended.
 */
import { fork } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { SandboxJob, SandboxMessage, SandboxResult } from "./sandbox-protocol.ts";

/** The sources run as .ts; the packages' bundle has it as sandbox-child.js beside its chunks (packaging/src/bundle.ts). */
const CHILD = [path.join(import.meta.dirname, "sandbox-child.ts"), path.join(import.meta.dirname, "sandbox-child.js")].find((file) => existsSync(file)) ?? "sandbox-child.ts";

/**
 * `nice -n 19` when the system has it, so that every thread of the sandbox (V8's own, started
 * before any code of ours runs, and llama.cpp's) has the lowest priority from its first instruction;
 * `os.setPriority` after the fork covers the others (it reaches the main thread only).
 */
const NICE = ["/usr/bin/nice", "/bin/nice"].find((file) => existsSync(file));
const forkOptions = NICE ? { execPath: NICE, execArgv: ["-n", "19", process.execPath, ...process.execArgv] } : {};

export type SandboxOutcome =
  | { kind: "done"; result: SandboxResult; peakRssBytes: number; pid: number | undefined }
  | { kind: "over_budget"; peakRssBytes: number; pid: number | undefined }
  | { kind: "timeout"; peakRssBytes: number; pid: number | undefined }
  | { kind: "crashed"; exit: string; peakRssBytes: number; pid: number | undefined };

export type RunSandboxParameters = {
  job: SandboxJob;
  memoryBudgetBytes: number;
  timeoutMs: number;
  signal?: AbortSignal;
};

export function runSandbox({ job, memoryBudgetBytes, timeoutMs, signal }: RunSandboxParameters): Promise<SandboxOutcome> {
  return new Promise((resolve) => {
    const child = fork(CHILD, [], { ...forkOptions, stdio: ["ignore", "ignore", "pipe", "ipc"], serialization: "json" });
    let peak = 0;
    let settled = false;
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    try {
      // Lowest priority: serving requests win every contest for a core.
      if (child.pid) os.setPriority(child.pid, 19);
    } catch {
      // Not permitted on this system: the single thread still bounds what it takes.
    }
    const finish = (o: DistributiveOmit<SandboxOutcome, "pid">) => {
      if (settled) return;
      const outcome = { ...o, pid: child.pid } as SandboxOutcome;
      settled = true;
      clearInterval(watch);
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      resolve(outcome);
    };
    const seen = (bytes: number) => {
      peak = Math.max(peak, bytes);
      if (bytes > memoryBudgetBytes) finish({ kind: "over_budget", peakRssBytes: peak });
    };
    const watch = setInterval(() => {
      if (child.pid) void procRss(child.pid).then((bytes) => bytes !== undefined && seen(bytes));
    }, 50);
    const timer = setTimeout(() => finish({ kind: "timeout", peakRssBytes: peak }), timeoutMs);
    const onAbort = () => finish({ kind: "crashed", exit: "aborted", peakRssBytes: peak });
    signal?.addEventListener("abort", onAbort, { once: true });
    child.on("message", (message: SandboxMessage) => {
      if (message.type === "rss") seen(message.bytes);
      else if (message.type === "result") {
        seen(message.result.rssBytes);
        finish({ kind: "done", result: message.result, peakRssBytes: Math.max(peak, message.result.rssBytes) });
      }
    });
    child.on("exit", (code, sig) => finish({ kind: "crashed", exit: `${sig ?? `code ${code}`}${stderr ? `: ${stderr.trim().split("\n").at(-1)}` : ""}`, peakRssBytes: peak }));
    child.on("error", (error) => finish({ kind: "crashed", exit: error.message, peakRssBytes: peak }));
    child.send(job);
  });
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** VmRSS of `pid` in bytes (Linux), undefined elsewhere or once it is gone. */
async function procRss(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
