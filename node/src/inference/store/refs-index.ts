/**
 * index.json: which manifests (by name and digest) and which artifact paths reference each blob.
 * The blobs on disk are the truth; the index only explains them, so a lost update costs a label,
 * never data. Writes are atomic and serialised within the process.
 */
import fs from "node:fs/promises";
import { writeFileAtomic } from "./files.ts";

export type BlobRef = {
  /** The manifest's name. */
  manifest: string;
  /** 0x sha256 of the manifest's bytes, when known. */
  manifestDigest?: string;
  /** The artifact's path in that manifest. */
  path: string;
};

type IndexFile = { version: 1; blobs: Record<string, { refs: BlobRef[] }> };

export type RefsIndex = {
  read(): Promise<Record<string, BlobRef[]>>;
  add(entries: Array<{ sha256: string; ref: BlobRef }>): Promise<void>;
  /** Forgets blobs that are gone (garbage collected). */
  remove(sha256s: string[]): Promise<void>;
};

export function openRefsIndex(file: string): RefsIndex {
  let queue: Promise<unknown> = Promise.resolve();

  async function load(): Promise<IndexFile> {
    try {
      const parsed = JSON.parse(await fs.readFile(file, "utf8")) as IndexFile;
      if (parsed?.version === 1 && parsed.blobs && typeof parsed.blobs === "object") return parsed;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" && !(error instanceof SyntaxError)) throw error;
    }
    return { version: 1, blobs: {} };
  }

  return {
    async read() {
      const index = await load();
      return Object.fromEntries(Object.entries(index.blobs).map(([sha, entry]) => [sha, entry.refs ?? []]));
    },
    add(entries) {
      const run = queue.then(async () => {
        const index = await load();
        for (const { sha256, ref } of entries) {
          const entry = (index.blobs[sha256] ??= { refs: [] });
          // one ref per (manifest name, path): a newer version of the manifest replaces the older
          entry.refs = entry.refs.filter((r) => !(r.manifest === ref.manifest && r.path === ref.path));
          entry.refs.push(ref);
          entry.refs.sort((a, b) => (a.manifest + a.path < b.manifest + b.path ? -1 : 1));
        }
        await writeFileAtomic(file, `${JSON.stringify(index, null, 2)}\n`);
      });
      queue = run.catch(() => {});
      return run;
    },
    remove(sha256s) {
      const run = queue.then(async () => {
        const index = await load();
        for (const sha256 of sha256s) delete index.blobs[sha256];
        await writeFileAtomic(file, `${JSON.stringify(index, null, 2)}\n`);
      });
      queue = run.catch(() => {});
      return run;
    },
  };
}
