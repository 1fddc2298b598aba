/**
 * ../lock.json: the exact registry packages a build takes per platform (name, version, sha512
 * integrity), so every byte a package ships is one the maintainers pinned. Written by
 * update-lock.ts; a build checks each download against it.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { ReleasePlatform } from "../../node/src/release/index.ts";

export type PinnedPackage = { name: string; version: string; integrity: string };

export type PlatformLock = {
  /** The Node.js runtime package. */
  node: PinnedPackage;
  /** node-llama-cpp's prebuilt binaries. */
  llama: PinnedPackage;
  /**
   * Packages that replace the ones from runtime-deps for this platform: onnxruntime-node stopped
   * shipping macOS x64 binaries after 1.23.2, so darwin-x64 takes that version of it.
   */
  replace?: PinnedPackage[];
};

export type PackagingLock = { platforms: Record<ReleasePlatform, PlatformLock> };

export const LOCK_FILE = path.resolve(import.meta.dirname, "../lock.json");

export function readLock(file = LOCK_FILE): PackagingLock {
  return JSON.parse(readFileSync(file, "utf8")) as PackagingLock;
}
