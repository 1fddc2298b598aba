/**
 * Garbage collection of the model store: removes verified blobs, partial downloads and model
 * folders that no kept manifest references. What is kept: every artifact of `keep` (the applied
 * manifests and the adoptions being applied), every blob whose index entry names a kept manifest
 * digest, every part file a live writer holds (part-lock.ts), and anything younger than `graceMs`
 * (a `models pull` made for a proposal still being prepared). Model folders are hard links to
 * the blobs: a folder of a manifest that is not kept goes with them, or the bytes would stay.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { ModelManifest } from "../../manifest/index.ts";
import { isSha256, type StoreLayout } from "./layout.ts";
import { modelFolderName } from "./materialize.ts";
import type { BlobRef } from "./refs-index.ts";

export type GcOptions = {
  /** Manifests whose artifacts stay. */
  keep: ModelManifest[];
  /** 0x manifest digests whose blobs stay (per the store's index), e.g. adoptions in flight. */
  keepManifestDigests?: Iterable<string>;
  /** Files younger than this stay. Default 1 hour. */
  graceMs?: number;
  /** Say what would go; remove nothing. */
  dryRun?: boolean;
};

export type GcReturnType = {
  dryRun: boolean;
  /** Blobs removed (or that would be). */
  blobs: Array<{ sha256: string; size: number; refs: BlobRef[] }>;
  /** Partial downloads removed. */
  parts: Array<{ file: string; size: number }>;
  /** Model folders removed (names under <home>/models). */
  folders: string[];
  /** Bytes freed in the store (blobs + parts). */
  bytes: number;
  /** Blobs kept. */
  kept: number;
};

export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;

export async function collectGarbage(
  layout: StoreLayout,
  index: Record<string, BlobRef[]>,
  options: GcOptions,
): Promise<GcReturnType> {
  const now = Date.now();
  const grace = options.graceMs ?? DEFAULT_GC_GRACE_MS;
  const dryRun = options.dryRun === true;
  const keepDigests = new Set([...(options.keepManifestDigests ?? [])].map((d) => d.toLowerCase()));
  const keepBlobs = new Set(options.keep.flatMap((m) => m.model.artifacts.map((a) => a.sha256)));
  for (const [sha256, refs] of Object.entries(index)) {
    if (refs.some((r) => r.manifestDigest && keepDigests.has(r.manifestDigest.toLowerCase()))) keepBlobs.add(sha256);
  }
  const young = (mtimeMs: number) => now - mtimeMs < grace;
  const result: GcReturnType = { dryRun, blobs: [], parts: [], folders: [], bytes: 0, kept: 0 };

  for (const name of await names(layout.blobs)) {
    if (!isSha256(name)) continue;
    const file = path.join(layout.blobs, name);
    const stat = await fs.stat(file).catch(() => undefined);
    if (!stat) continue;
    if (keepBlobs.has(name) || young(stat.mtimeMs)) {
      result.kept++;
      continue;
    }
    if (!dryRun) await fs.rm(file, { force: true });
    result.blobs.push({ sha256: name, size: stat.size, refs: index[name] ?? [] });
    result.bytes += stat.size;
  }

  const tmpNames = await names(layout.tmp);
  const locked = new Set(tmpNames.filter((n) => n.endsWith(".part.lock")).map((n) => n.slice(0, -".lock".length)));
  for (const name of tmpNames) {
    if (name.endsWith(".lock") || locked.has(name)) continue; // a writer's (live or stale): the next pull decides
    const file = path.join(layout.tmp, name);
    const stat = await fs.stat(file).catch(() => undefined);
    if (!stat?.isFile() || young(stat.mtimeMs)) continue;
    const sha256 = name.replace(/\.part$/, "");
    if (isSha256(sha256) && keepBlobs.has(sha256)) continue; // resumes later
    if (!dryRun) await fs.rm(file, { force: true });
    result.parts.push({ file: name, size: stat.size });
    result.bytes += stat.size;
  }

  const keepFolders = new Set(options.keep.map((m) => modelFolderName(m)));
  for (const name of await names(layout.models)) {
    if (keepFolders.has(name)) continue;
    const dir = path.join(layout.models, name);
    const stat = await fs.stat(dir).catch(() => undefined);
    // .staging-* folders being filled are young; an old one is a crash's leftover.
    if (!stat?.isDirectory() || young(stat.mtimeMs)) continue;
    if (!dryRun) await fs.rm(dir, { recursive: true, force: true });
    result.folders.push(name);
  }
  return result;
}

async function names(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}
