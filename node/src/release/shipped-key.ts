/**
 * Where a packaged node finds its install folder and the release key it shipped with. The
 * launcher sets NS_LLM_INSTALL_ROOT and NS_LLM_VERSION; run from a git clone, neither is set.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { KeyObject } from "node:crypto";
import { ReleaseError } from "./errors.ts";
import { releasePublicKey } from "./keys.ts";

/** The name of the public key file in every version folder. */
export const RELEASE_KEY_FILE = "release-key.pem";

/**
 * `version`: the version this process runs; `supervisor`: the version the supervisor runs from,
 * when supervised (it keeps running across the node's switches, so its files stay in use).
 */
export type PackagedInstall = { root: string; version: string; supervisor?: string | undefined };

export function packagedInstall(env: NodeJS.ProcessEnv = process.env): PackagedInstall | undefined {
  const root = env.NS_LLM_INSTALL_ROOT;
  const version = env.NS_LLM_VERSION;
  return root && version ? { root, version, supervisor: env.NS_LLM_SUPERVISOR_VERSION || undefined } : undefined;
}

/** NS_LLM_RELEASE_PIN: the version governed updates must not switch away from (they still stage). */
export function releasePin(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.NS_LLM_RELEASE_PIN?.trim() || undefined;
}

/** The key in `file`, else the one this packaged node shipped with. */
export async function trustedReleaseKey(file?: string, env: NodeJS.ProcessEnv = process.env): Promise<KeyObject> {
  const install = packagedInstall(env);
  const source = file ?? (install ? path.join(install.root, "versions", install.version, RELEASE_KEY_FILE) : undefined);
  if (!source) throw new ReleaseError("release_untrusted_key", "this node was not installed from a package, so it ships no release key", "pass --key with the release public key (PEM) you trust");
  let pem: Buffer;
  try {
    pem = await readFile(source);
  } catch (error) {
    throw new ReleaseError("release_untrusted_key", `cannot read the release key ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, "check the path, or reinstall the package");
  }
  return releasePublicKey(pem);
}
