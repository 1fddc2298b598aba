/**
 * CIDs from people and manifests: checked once at the edge, so a typo is a clear `invalid_cid`
 * error instead of a confusing failure deep inside Helia or a request Kubo cannot parse.
 */
import { CID } from "multiformats/cid";
import { IpfsError } from "./errors.ts";

/** Parses a CID string (v0 `Qm…` or v1 in any multibase Helia knows); throws IpfsError "invalid_cid". */
export function parseCid(text: string): CID {
  const trimmed = text.trim();
  try {
    if (trimmed.length === 0 || trimmed.length > 512) throw new Error("empty or too long");
    return CID.parse(trimmed);
  } catch (error) {
    const shown = trimmed.length > 80 ? `${trimmed.slice(0, 80)}…` : trimmed;
    throw new IpfsError("invalid_cid", `"${shown}" is not a CID`, "CIDv1 look like bafkrei… or bafybei…, CIDv0 like Qm…", { cause: error });
  }
}

/** True when `text` parses as a CID. */
export function isCid(text: string): boolean {
  try {
    parseCid(text);
    return true;
  } catch {
    return false;
  }
}

export type IpfsUrl = { cid: string; path: string | undefined };

/**
 * Splits `ipfs://<cid>[/path]` into its CID and the path inside it. URL parsing keeps the CID's
 * case for `ipfs:` (not a special scheme), so CIDv0 strings survive too.
 */
export function parseIpfsUrl(url: URL | string): IpfsUrl {
  const u = typeof url === "string" ? new URL(url) : url;
  if (u.protocol !== "ipfs:") throw new IpfsError("invalid_cid", `${u.href} is not an ipfs:// URL`);
  if (!u.host) throw new IpfsError("invalid_cid", `${u.href} names no CID`, "write ipfs://<cid>");
  const cid = parseCid(decodeURIComponent(u.host)).toString();
  const path = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, "");
  return { cid, path: path === "" ? undefined : path };
}
