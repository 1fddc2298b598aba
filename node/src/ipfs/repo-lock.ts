/**
 * One process at a time per embedded repo, like Kubo's `repo.lock`: a file created exclusively
 * (O_EXCL) that holds the owner's pid and host. A lock whose process is gone (a crash, a kill -9)
 * is stale and taken over; a live one is a clear `repo_locked` error naming the process.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { IpfsError } from "./errors.ts";

export const LOCK_FILE = "repo.lock";

export type RepoLock = { path: string; release(): Promise<void> };

type Owner = { pid: number; host: string; since: string };

/** Takes the lock of `repo` (a folder that exists) or throws IpfsError "repo_locked". */
export async function acquireRepoLock(repo: string): Promise<RepoLock> {
  const file = path.join(repo, LOCK_FILE);
  const me: Owner = { pid: process.pid, host: os.hostname(), since: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await fs.open(file, "wx");
      try {
        await handle.writeFile(`${JSON.stringify(me)}\n`);
      } finally {
        await handle.close();
      }
      let released = false;
      return {
        path: file,
        async release() {
          if (released) return;
          released = true;
          // Only remove our own lock: a stale-lock takeover may have replaced it.
          const owner = await readOwner(file);
          if (owner?.pid === me.pid && owner.since === me.since) await fs.rm(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = await readOwner(file);
    if (owner && isLive(owner)) {
      const who = owner.pid === process.pid ? "this process already has it open" : `it is in use by process ${owner.pid} (since ${owner.since})`;
      throw new IpfsError(
        "repo_locked",
        `the IPFS repo ${repo} is locked: ${who}`,
        `stop that ns-llm process or publish through its HTTP API; if no such process runs, delete ${file}`,
      );
    }
    if (!owner && (await isFresh(file))) {
      // Just created by another process that has not written its pid yet.
      throw new IpfsError("repo_locked", `the IPFS repo ${repo} is being opened by another process`, "try again in a moment");
    }
    if (attempt >= 2) {
      throw new IpfsError("repo_locked", `the IPFS repo ${repo} is locked and the lock could not be taken over`, `delete ${file} if no ns-llm process uses it`);
    }
    // Stale (its process is gone) or unreadable (a crash mid-write): take it over.
    await fs.rm(file, { force: true });
  }
}

async function readOwner(file: string): Promise<Owner | undefined> {
  try {
    const owner = JSON.parse(await fs.readFile(file, "utf8")) as Partial<Owner>;
    if (typeof owner.pid !== "number" || typeof owner.host !== "string") return undefined;
    return { pid: owner.pid, host: owner.host, since: String(owner.since ?? "") };
  } catch {
    return undefined;
  }
}

async function isFresh(file: string): Promise<boolean> {
  try {
    return Date.now() - (await fs.stat(file)).mtimeMs < 10_000;
  } catch {
    return false;
  }
}

/** A lock from another host (a shared folder) is taken as live: its process cannot be checked. */
function isLive(owner: Owner): boolean {
  if (owner.host !== os.hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
