/**
 * Picks the IPFS back end from the configuration: a Kubo daemon when NS_LLM_IPFS_API is set, the
 * embedded Helia node in `<NS_LLM_HOME>/ipfs/` otherwise.
 */
import path from "node:path";
import type { Config } from "../config.ts";
import { openEmbeddedIpfs } from "./embedded.ts";
import { openKuboIpfs } from "./kubo.ts";
import type { IpfsClient } from "./types.ts";

export type OpenIpfsParameters = Pick<Config, "home" | "ipfsApi">;

/** The folder of the embedded repo inside NS_LLM_HOME. */
export function embeddedRepoPath(home: string): string {
  return path.join(home, "ipfs");
}

/** Opens the configured back end; throws IpfsError "repo_locked" or "unavailable" when it cannot. */
export async function openIpfs(config: OpenIpfsParameters): Promise<IpfsClient> {
  if (config.ipfsApi) return openKuboIpfs({ url: config.ipfsApi });
  return openEmbeddedIpfs({ repo: embeddedRepoPath(config.home) });
}
