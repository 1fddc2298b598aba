/**
 * One writer per partial download across processes: `tmp/<hex>.part.lock`, created exclusively,
 * holding the writer's pid and a random token. A `models pull` and the node downloading the same
 * blob therefore never append to one part file together: the second waits until the first is
 * done (then usually finds the blob stored). A lock whose process is gone (a crash, kill -9) is
 * stale and taken over; a lock of this process's pid that this process does not hold is stale too
 * (a pid reused after a crash).
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

export type PartLock = { release(): Promise<void> };

/** Tokens of the locks this process holds. */
const held = new Set<string>();

export type AcquirePartLockOptions = {
  signal?: AbortSignal;
  /** How often a held lock is looked at again. Default 200 ms. */
  pollMs?: number;
  /** Called once when the lock is held by another live writer (for progress output). */
  onWait?: (pid: number) => void;
};

export async function acquirePartLock(file: string, options: AcquirePartLockOptions = {}): Promise<PartLock> {
  const token = randomBytes(8).toString("hex");
  let waited = false;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const handle = await fs.open(file, "wx");
      try {
        await handle.writeFile(`${process.pid} ${token}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      held.add(token);
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          held.delete(token);
          // Only our own lock: a writer that took over a lock it thought stale has its own token.
          if ((await readLock(file))?.token === token) await fs.rm(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const owner = await readLock(file);
    if (owner && (isLive(owner) || (await justCreated(file, owner)))) {
      if (!waited) options.onWait?.(owner.pid);
      waited = true;
      await sleep(options.pollMs ?? 200, undefined, options.signal ? { signal: options.signal } : {});
      continue;
    }
    // Stale (or half-written by a writer that died at once): remove it unless it changed meanwhile.
    const again = await readLock(file);
    if (again === undefined || again.token === owner?.token) await fs.rm(file, { force: true });
  }
}

async function readLock(file: string): Promise<{ pid: number; token: string } | undefined> {
  try {
    const [pid, token] = (await fs.readFile(file, "utf8")).trim().split(/\s+/);
    return { pid: Number(pid), token: token ?? "" };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** A lock file another writer created a moment ago and has not written yet. */
async function justCreated(file: string, owner: { token: string }): Promise<boolean> {
  if (owner.token !== "") return false;
  const stat = await fs.stat(file).catch(() => undefined);
  return stat !== undefined && Date.now() - stat.mtimeMs < 5_000;
}

function isLive(owner: { pid: number; token: string }): boolean {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  if (owner.pid === process.pid) return held.has(owner.token);
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // alive, someone else's
  }
}
