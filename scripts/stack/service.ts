/**
 * A child process of the stack: started with its output going to a log file, considered up when
 * `ready()` says so, stopped with SIGTERM (then SIGKILL after a grace period). Stopping is
 * idempotent and waits for the exit, so nothing is left running.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { StackError } from "./ports.ts";

export type ServiceParameters = {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  logDir: string;
  /** Resolves true once the service answers. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** Where its log can be read, said when it fails. */
};

export type Service = {
  name: string;
  pid: number;
  logFile: string;
  child: ChildProcess;
  stop(graceMs?: number): Promise<void>;
};

export async function startService(p: ServiceParameters): Promise<Service> {
  await mkdir(p.logDir, { recursive: true });
  const logFile = path.join(p.logDir, `${p.name}.log`);
  const log = createWriteStream(logFile, { flags: "a" });
  const child = spawn(p.command, p.args, {
    cwd: p.cwd,
    env: { ...process.env, ...p.env },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so Ctrl-C in the terminal reaches only the orchestrator, which then
    // stops each service in order.
    detached: true,
  });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  let tail = "";
  const keepTail = (d: Buffer) => (tail = (tail + d.toString()).slice(-4000));
  child.stdout!.on("data", keepTail);
  child.stderr!.on("data", keepTail);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const service: Service = {
    name: p.name,
    pid: child.pid!,
    logFile,
    child,
    async stop(graceMs = 8_000) {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, "SIGTERM");
        } catch {}
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {}
        }, graceMs);
        await exited;
        clearTimeout(timer);
      }
      // Children of the service (e.g. next's workers) share its group. A killed process lingers
      // for a moment (a write to finish): "stopped" waits until the group is gone (at most 5 s).
      try {
        process.kill(-child.pid!, "SIGKILL");
        for (let i = 0; i < 50 && groupAlive(child.pid!); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      } catch {}
      log.end();
    },
  };

  const deadline = Date.now() + (p.readyTimeoutMs ?? 120_000);
  while (true) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await service.stop();
      throw new StackError(`${p.name} exited during start-up:\n${tail.trim().split("\n").slice(-15).join("\n")}`, `see ${logFile}`);
    }
    if (await p.ready().catch(() => false)) return service;
    if (Date.now() > deadline) {
      await service.stop();
      throw new StackError(`${p.name} did not come up in time`, `see ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** True while a process of group `pgid` exists (signal 0 checks without sending anything). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when `url` answers with a 2xx. */
export async function httpOk(url: string, init?: RequestInit): Promise<boolean> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
