/**
 * Brings one artifact into the store: tries its sources in order, resumes a kept partial file,
 * hashes while streaming, and moves the file into place only once its size and sha256 are right.
 *
 * Retry policy: a source that fails (wrong bytes included) passes the turn to the next one; when
 * every source failed and one of them failed in a way that can pass (a network fault, a cut
 * transfer), all are tried again after a backoff, at most `retry.rounds` rounds. One writer per
 * part file across processes (part-lock.ts), and room for the download checked first (space.ts).
 */
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { ManifestArtifact, SourcePolicy } from "../../manifest/index.ts";
import { SourceError, PullError, type SourceAttempt } from "./errors.ts";
import type { SourceFetcher, SourceFetchers } from "./fetcher.ts";
import { hashInto, sizeOf, syncDir } from "./files.ts";
import { createHttpFetcher } from "./http-fetcher.ts";
import { blobPath, partPath, type StoreLayout } from "./layout.ts";
import { acquirePartLock } from "./part-lock.ts";
import { checkSpace, type StoreLimits } from "./space.ts";

export type PullEvent =
  /** Already in the store: nothing to fetch. */
  | { type: "present"; artifact: ManifestArtifact }
  /** Trying `source`, starting at byte `offset` (above 0 when resuming a kept part). */
  | { type: "start"; artifact: ManifestArtifact; source: string; offset: number }
  /** `received` of the artifact's `size` bytes are on disk. */
  | { type: "progress"; artifact: ManifestArtifact; source: string; received: number }
  /** `source` failed; the next one is tried. */
  | { type: "source-failed"; artifact: ManifestArtifact; attempt: SourceAttempt }
  /** Every source failed, one of them transiently: all are tried again after `delayMs` (round `round`). */
  | { type: "retry"; artifact: ManifestArtifact; round: number; delayMs: number }
  /** Another process (`pid`) is writing this artifact's part file: waiting for it. */
  | { type: "waiting"; artifact: ManifestArtifact; pid: number }
  /** Verified and stored. */
  | { type: "done"; artifact: ManifestArtifact; source: string };

export type FetchArtifactOptions = {
  /** Extra fetchers by scheme ("ipfs:"); they may also replace the built-in "http:"/"https:". */
  fetchers?: SourceFetchers;
  onProgress?: (event: PullEvent) => void;
  /** Aborting stops at once and keeps the partial file for the next pull. */
  signal?: AbortSignal;
  /** HTTP: longest silence from a source before it counts as dead. */
  timeoutMs?: number;
  /** The store alone: no source is contacted, not even the built-in HTTP fetcher (a restart's restore). */
  offline?: boolean;
  /** Which addresses and schemes the built-in HTTP fetcher may reach. Default public https:// only. */
  sourcePolicy?: SourcePolicy;
  /** Rounds over all sources when some failed transiently, and the first backoff. Default 3 rounds, 1 s (doubling). */
  retry?: { rounds?: number; baseMs?: number };
  /** The store's quota and the disk reserve, checked before every download. */
  limits?: StoreLimits;
};

export type FetchArtifactReturnType = { status: "present" } | { status: "downloaded"; source: string; bytes: number };

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

type Outcome = { ok: true; bytes: number } | { ok: false; attempt: SourceAttempt; resumed: boolean };

/** Fetches `artifact` into the store unless it is there already; throws `PullError` when no source delivers. */
export async function fetchArtifact(
  layout: StoreLayout,
  artifact: ManifestArtifact,
  options: FetchArtifactOptions = {},
): Promise<FetchArtifactReturnType> {
  const emit = options.onProgress ?? (() => {});
  const blob = blobPath(layout, artifact.sha256);
  if ((await sizeOf(blob)) !== undefined) {
    emit({ type: "present", artifact });
    return { status: "present" };
  }
  if (options.offline) {
    const attempts = artifact.sources.map((source): SourceAttempt => ({ source, kind: "unsupported", reason: "not contacted: restoring from the store alone" }));
    throw new PullError(artifact, attempts);
  }
  await fs.mkdir(layout.tmp, { recursive: true });
  await fs.mkdir(layout.blobs, { recursive: true });
  const lock = await acquirePartLock(`${partPath(layout, artifact.sha256)}.lock`, {
    ...(options.signal ? { signal: options.signal } : {}),
    onWait: (pid) => emit({ type: "waiting", artifact, pid }),
  });
  try {
    // The writer we waited for may have stored it.
    if ((await sizeOf(blob)) !== undefined) {
      emit({ type: "present", artifact });
      return { status: "present" };
    }
    if (artifact.size === 0 && artifact.sha256 === EMPTY_SHA256) {
      await place(layout, partPath(layout, artifact.sha256), blob, true);
      emit({ type: "done", artifact, source: "(empty file)" });
      return { status: "downloaded", source: "(empty file)", bytes: 0 };
    }
    const kept = Math.min((await sizeOf(partPath(layout, artifact.sha256))) ?? 0, artifact.size);
    await checkSpace(layout, artifact.size - kept, options.limits ?? {});
    const rounds = Math.max(1, options.retry?.rounds ?? 3);
    for (let round = 1; ; round++) {
      const attempts = await tryEverySource(layout, artifact, options);
      if (!Array.isArray(attempts)) return attempts;
      const canPass = attempts.some((a) => a.kind === "network" || a.kind === "truncated");
      if (!canPass || round >= rounds) throw new PullError(artifact, attempts);
      const delayMs = (options.retry?.baseMs ?? 1_000) * 2 ** (round - 1);
      emit({ type: "retry", artifact, round: round + 1, delayMs });
      await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : {});
    }
  } finally {
    await lock.release();
  }
}

/** One round: each source in order until one delivers; the attempts when none did. */
async function tryEverySource(
  layout: StoreLayout,
  artifact: ManifestArtifact,
  options: FetchArtifactOptions,
): Promise<FetchArtifactReturnType | SourceAttempt[]> {
  const emit = options.onProgress ?? (() => {});
  const attempts: SourceAttempt[] = [];
  for (const source of artifact.sources) {
    const url = new URL(source);
    const fetcher = fetcherFor(url, artifact, options);
    if (!fetcher) {
      const attempt: SourceAttempt = { source, kind: "unsupported", reason: `this node has no fetcher for ${url.protocol}// sources` };
      attempts.push(attempt);
      emit({ type: "source-failed", artifact, attempt });
      continue;
    }
    let restarted = false;
    for (;;) {
      const outcome = await trySource(layout, artifact, source, url, fetcher, options);
      if (outcome.ok) {
        emit({ type: "done", artifact, source });
        return { status: "downloaded", source, bytes: outcome.bytes };
      }
      // A wrong digest after resuming may come from bytes an earlier source left in the part:
      // that part is gone now, so this source gets one fresh try before it is blamed.
      if (outcome.attempt.kind === "digest" && outcome.resumed && !restarted) {
        restarted = true;
        continue;
      }
      attempts.push(outcome.attempt);
      emit({ type: "source-failed", artifact, attempt: outcome.attempt });
      break;
    }
  }
  return attempts;
}

function fetcherFor(url: URL, artifact: ManifestArtifact, options: FetchArtifactOptions): SourceFetcher | undefined {
  const custom = options.fetchers?.[url.protocol];
  if (custom) return custom;
  if (url.protocol === "http:" || url.protocol === "https:") {
    return createHttpFetcher({
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      maxBytes: artifact.size,
      ...(options.sourcePolicy ? { policy: options.sourcePolicy } : {}),
    });
  }
  return undefined;
}

async function trySource(
  layout: StoreLayout,
  artifact: ManifestArtifact,
  source: string,
  url: URL,
  fetcher: SourceFetcher,
  options: FetchArtifactOptions,
): Promise<Outcome> {
  const { signal } = options;
  const emit = options.onProgress ?? (() => {});
  const part = partPath(layout, artifact.sha256);
  let offset = (await sizeOf(part)) ?? 0;
  if (offset > artifact.size) {
    await fs.rm(part, { force: true });
    offset = 0;
  }
  const hash = createHash("sha256");
  if (offset > 0) offset = await hashInto(hash, part, signal); // resuming: the kept bytes count too
  const fail = (kind: SourceAttempt["kind"], reason: string): Outcome => ({
    ok: false,
    attempt: { source, kind, reason },
    resumed: offset > 0,
  });

  emit({ type: "start", artifact, source, offset });
  let received = offset;
  if (offset < artifact.size) {
    const handle = await fs.open(part, "a");
    try {
      const body = await fetcher(url, { offset, signal });
      for await (const chunk of body) {
        if (received + chunk.byteLength > artifact.size) {
          await handle.close().catch(() => {});
          await fs.rm(part, { force: true });
          return fail("oversize", `sent more than the declared ${artifact.size} bytes (part discarded)`);
        }
        for (let done = 0; done < chunk.byteLength; ) {
          done += (await handle.write(chunk, done, chunk.byteLength - done)).bytesWritten;
        }
        hash.update(chunk);
        received += chunk.byteLength;
        emit({ type: "progress", artifact, source, received });
      }
      await handle.sync();
    } catch (error) {
      await handle.sync().catch(() => {});
      await handle.close().catch(() => {});
      if (signal?.aborted) throw signal.reason ?? error;
      const kind = error instanceof SourceError ? error.kind : "network";
      const message = error instanceof Error ? error.message : String(error);
      if (kind === "digest" || kind === "oversize") {
        await fs.rm(part, { force: true });
        return fail(kind, `${message} (part discarded)`);
      }
      if (received > offset) {
        return fail("truncated", `${message} after ${received} of ${artifact.size} bytes (kept for resuming)`);
      }
      return fail(kind, message);
    } finally {
      await handle.close().catch(() => {});
    }
    if (received < artifact.size) {
      return fail("truncated", `the body ended after ${received} of ${artifact.size} bytes (kept for resuming)`);
    }
  }
  const actual = hash.digest("hex");
  if (actual !== artifact.sha256) {
    await fs.rm(part, { force: true });
    return fail("digest", `wrong digest: the bytes have sha256 ${actual} (part discarded)`);
  }
  await place(layout, part, blobPath(layout, artifact.sha256), false);
  return { ok: true, bytes: received - offset };
}

/** Moves a verified part into place: read-only, renamed atomically, the rename made durable. */
async function place(layout: StoreLayout, part: string, blob: string, create: boolean): Promise<void> {
  if (create) await fs.writeFile(part, new Uint8Array(0));
  await fs.chmod(part, 0o444);
  await fs.rename(part, blob);
  await syncDir(layout.blobs);
}
