/**
 * Where the store keeps things, under `<home>/store`:
 *   sha256/<hex>      verified blobs, read-only, named by their digest
 *   tmp/<hex>.part    downloads in progress, kept for resuming
 *   index.json        which manifests and paths reference each blob
 * Every path is built from a checked 64-hex digest, so nothing can name a file outside the store.
 */
import path from "node:path";

const SHA256 = /^[0-9a-f]{64}$/;

export type StoreLayout = {
  /** `<home>/store` */
  root: string;
  blobs: string;
  tmp: string;
  index: string;
  /** `<home>/models`: materialised model folders */
  models: string;
};

export function storeLayout(home: string): StoreLayout {
  const root = path.join(path.resolve(home), "store");
  return {
    root,
    blobs: path.join(root, "sha256"),
    tmp: path.join(root, "tmp"),
    index: path.join(root, "index.json"),
    models: path.join(path.resolve(home), "models"),
  };
}

export function isSha256(value: string): boolean {
  return SHA256.test(value);
}

/** Throws unless `value` is 64 lower-case hex digits. */
export function assertSha256(value: string): string {
  if (!isSha256(value)) throw new TypeError(`not a sha256 digest (64 lower-case hex digits): ${JSON.stringify(value)}`);
  return value;
}

export function blobPath(layout: StoreLayout, sha256: string): string {
  return path.join(layout.blobs, assertSha256(sha256));
}

export function partPath(layout: StoreLayout, sha256: string): string {
  return path.join(layout.tmp, `${assertSha256(sha256)}.part`);
}

/** `abcdef012345` — enough of a digest for people to tell blobs apart. */
export function shortDigest(sha256: string): string {
  return sha256.replace(/^0x/, "").slice(0, 12);
}
