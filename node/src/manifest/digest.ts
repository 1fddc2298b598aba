import { createHash } from "node:crypto";

/** Lower-case hex sha256 of `bytes` (strings are hashed as UTF-8), with node:crypto for large files. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}
