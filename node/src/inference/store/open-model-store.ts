/**
 * The content-addressed model store of a node: blobs under `<home>/store/sha256/<hex>`, fetched
 * and verified by `pull`, checked again by `verify`, and laid out for engines by `materialize`.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { isModelManifest, type Manifest, type ManifestArtifact, type ModelManifest } from "../../manifest/index.ts";
import type { SourcePolicy } from "../../manifest/index.ts";
import { hashFile, sizeOf, syncDir } from "./files.ts";
import { collectGarbage, type GcOptions, type GcReturnType } from "./gc.ts";
import { storeBytes, type StoreLimits } from "./space.ts";
import { materialize } from "./materialize.ts";
import { fetchArtifact, type FetchArtifactOptions } from "./pull.ts";
import { openRefsIndex, type BlobRef } from "./refs-index.ts";
import { blobPath, isSha256, storeLayout, type StoreLayout } from "./layout.ts";

export type StoredBlob = { sha256: string; size: number; refs: BlobRef[] };

export type VerifiedBlob = StoredBlob & { ok: boolean; actual?: string };
export type VerifyStoreReturnType = { blobs: VerifiedBlob[]; bad: VerifiedBlob[] };

export type PullOptions = FetchArtifactOptions & {
  /** 0x sha256 of the manifest's bytes, recorded with the references. */
  manifestDigest?: string;
};

export type PulledArtifact = ManifestArtifact & { status: "present" | "downloaded"; source?: string };
export type PullReturnType = { artifacts: PulledArtifact[]; downloadedBytes: number };

export type ModelStore = {
  readonly layout: StoreLayout;
  /** True when the blob is stored (verified when it was added). */
  has(sha256: string): Promise<boolean>;
  /** Where the blob is (or would be) stored. Throws on anything but 64 lower-case hex digits. */
  pathOf(sha256: string): string;
  /** Every stored blob with its size and the manifests/paths that reference it, by digest. */
  list(): Promise<StoredBlob[]>;
  /** Re-hashes every blob; `bad` are those whose bytes no longer match their name. */
  verify(options?: { signal?: AbortSignal; onBlob?: (blob: VerifiedBlob) => void }): Promise<VerifyStoreReturnType>;
  /** Fetches and verifies every artifact of `manifest` that is not stored yet, in order. */
  pull(manifest: Manifest, options?: PullOptions): Promise<PullReturnType>;
  /** Copies a local file into the store after checking it against `expect` (when given); returns its digest. */
  importFile(file: string, expect?: { sha256?: string; size?: number }, ref?: BlobRef): Promise<string>;
  /** `<home>/models/<name>-<id>/` with each artifact at its path (hard links to the blobs). */
  materialize(manifest: ModelManifest): Promise<string>;
  /** Removes what no kept manifest references (gc.ts). */
  gc(options: GcOptions): Promise<GcReturnType>;
  /** Bytes held (blobs and partial downloads), and the quota when there is one. */
  usage(): Promise<{ bytes: number; quota: number | undefined }>;
};

export type OpenModelStoreOptions = {
  /** Which addresses and schemes pulls may reach over http(s); default public https:// only. */
  sourcePolicy?: SourcePolicy;
  /** Quota and disk reserve checked before every download. */
  limits?: StoreLimits;
  /** Retry rounds of pulls (see pull.ts). */
  retry?: { rounds?: number; baseMs?: number };
};

export function openModelStore(home: string, defaults: OpenModelStoreOptions = {}): ModelStore {
  const layout = storeLayout(home);
  const refs = openRefsIndex(layout.index);
  const inFlight = new Map<string, ReturnType<typeof fetchArtifact>>();

  async function has(sha256: string): Promise<boolean> {
    return (await sizeOf(blobPath(layout, sha256))) !== undefined;
  }

  async function list(): Promise<StoredBlob[]> {
    let names: string[] = [];
    try {
      names = await fs.readdir(layout.blobs);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const index = await refs.read();
    const blobs: StoredBlob[] = [];
    for (const name of names.filter(isSha256).sort()) {
      const size = await sizeOf(path.join(layout.blobs, name));
      if (size !== undefined) blobs.push({ sha256: name, size, refs: index[name] ?? [] });
    }
    return blobs;
  }

  return {
    layout,
    has,
    pathOf: (sha256) => blobPath(layout, sha256),
    list,

    async verify(options = {}) {
      const blobs: VerifiedBlob[] = [];
      for (const blob of await list()) {
        const { sha256: actual } = await hashFile(path.join(layout.blobs, blob.sha256), options.signal);
        const checked: VerifiedBlob = actual === blob.sha256 ? { ...blob, ok: true } : { ...blob, ok: false, actual };
        blobs.push(checked);
        options.onBlob?.(checked);
      }
      return { blobs, bad: blobs.filter((b) => !b.ok) };
    },

    async pull(manifest, options = {}) {
      if (!isModelManifest(manifest)) return { artifacts: [], downloadedBytes: 0 };
      const artifacts: PulledArtifact[] = [];
      let downloadedBytes = 0;
      for (const artifact of manifest.model.artifacts) {
        // two pulls of the same blob in this process share one download
        let running = inFlight.get(artifact.sha256);
        if (!running) {
          running = fetchArtifact(layout, artifact, {
            ...(defaults.sourcePolicy ? { sourcePolicy: defaults.sourcePolicy } : {}),
            ...(defaults.limits ? { limits: defaults.limits } : {}),
            ...(defaults.retry ? { retry: defaults.retry } : {}),
            ...options,
          }).finally(() => inFlight.delete(artifact.sha256));
          inFlight.set(artifact.sha256, running);
        }
        const result = await running;
        if (result.status === "downloaded") downloadedBytes += result.bytes;
        artifacts.push({ ...artifact, status: result.status, ...(result.status === "downloaded" ? { source: result.source } : {}) });
      }
      await refs.add(
        manifest.model.artifacts.map((a) => ({
          sha256: a.sha256,
          ref: { manifest: manifest.name, ...(options.manifestDigest ? { manifestDigest: options.manifestDigest } : {}), path: a.path },
        })),
      );
      return { artifacts, downloadedBytes };
    },

    async importFile(file, expect = {}, ref) {
      await fs.mkdir(layout.tmp, { recursive: true });
      await fs.mkdir(layout.blobs, { recursive: true });
      const tmp = path.join(layout.tmp, `import-${randomBytes(6).toString("hex")}`);
      try {
        await fs.copyFile(file, tmp);
        const { sha256, size } = await hashFile(tmp);
        if (expect.sha256 !== undefined && expect.sha256 !== sha256) throw new Error(`${file} has sha256 ${sha256}, expected ${expect.sha256}`);
        if (expect.size !== undefined && expect.size !== size) throw new Error(`${file} is ${size} bytes, expected ${expect.size}`);
        if (!(await has(sha256))) {
          await fs.chmod(tmp, 0o444);
          await fs.rename(tmp, blobPath(layout, sha256));
          await syncDir(layout.blobs);
        }
        if (ref) await refs.add([{ sha256, ref }]);
        return sha256;
      } finally {
        await fs.rm(tmp, { force: true });
      }
    },

    materialize: (manifest) => materialize(layout, manifest),

    async gc(options) {
      const result = await collectGarbage(layout, await refs.read(), options);
      if (!result.dryRun && result.blobs.length > 0) await refs.remove(result.blobs.map((b) => b.sha256));
      return result;
    },

    async usage() {
      return { bytes: await storeBytes(layout), quota: defaults.limits?.maxStoreBytes };
    },
  };
}
