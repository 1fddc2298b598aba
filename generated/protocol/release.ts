/**
 * The `release` role: what the network adopts is the CID of a signed release file
 * (`ns-llm.signed-release/v1`, written by `npm run package`), not a model manifest. A packaged
 * node verifies its Ed25519 signature against the release key it shipped with, then every byte of
 * its own platform's package, stages it beside the running version and switches to it.
 */

/** The schema name a signed release file carries (the adopted document of role `release`). */
export const SIGNED_RELEASE_SCHEMA = "ns-llm.signed-release/v1";

/** True when `value` (parsed JSON) claims to be a signed release file; says nothing of its signature. */
export function isSignedReleaseDocument(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { schema?: unknown }).schema === SIGNED_RELEASE_SCHEMA;
}

/** GET /health `release`: present on a node started from a package. */
export type ReleaseHealth = {
  /** The version this process runs. */
  running: string;
  /** The version the launcher starts next (`current`); differs from `running` after a switch until the restart. */
  current: string;
  /** Kept for rollback. */
  previous: string | null;
  /** The operator's pin (NS_LLM_RELEASE_PIN or `ns-llm release pin`): no update switches away from it. */
  pinned: string | null;
  /** Every version folder installed. */
  versions: string[];
  /** The last adopted release this node staged, and whether it switched to it. */
  lastStaged: { version: string; cid: string; switched: boolean; reason: string | null; time: string } | null;
  /** The last adopted release this node refused (bad signature, unknown key, altered package...). */
  lastRefused: { cid: string; code: string; message: string; time: string } | null;
  /** Whether a supervisor runs this node (then a switch takes effect at once, else at the next start). */
  supervised: boolean;
};
