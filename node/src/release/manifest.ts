/**
 * The release manifest (`ns-llm.release/v1`): one release of the node, its version and, per
 * platform, the package files by name, sha256 and size. It travels inside a signed envelope
 * (`ns-llm.signed-release/v1`, see sign-release.ts): the file the network votes on, by CID.
 */
import { SIGNED_RELEASE_SCHEMA } from "@ns-llm/contracts";
import { z } from "zod";

export { SIGNED_RELEASE_SCHEMA };

export const RELEASE_SCHEMA = "ns-llm.release/v1";

/** The platforms packages are built for (`<os>-<cpu>` as Node names them, darwin for macOS). */
export const RELEASE_PLATFORMS = ["linux-x64", "linux-arm64", "darwin-arm64", "darwin-x64", "win-x64"] as const;
export type ReleasePlatform = (typeof RELEASE_PLATFORMS)[number];

/** Package formats; `tar.gz` exists for every platform but Windows and is what an update stages. */
export const RELEASE_FORMATS = ["tar.gz", "deb", "zip", "msi"] as const;
export type ReleaseFormat = (typeof RELEASE_FORMATS)[number];

/** A version name that is safe as a folder name: semver-like, no path separators. */
const versionName = z.string().regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/, "must look like 1.2.3 or 1.2.3-rc.1");

const artifact = z.strictObject({
  platform: z.enum(RELEASE_PLATFORMS),
  format: z.enum(RELEASE_FORMATS),
  file: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, "must be a plain file name"),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex digits"),
  size: z.number().int().positive(),
  /** The Node.js runtime inside the package. */
  node: z.string().regex(/^\d+\.\d+\.\d+$/),
  /** Where to download it (ipfs://, https://); may be empty when the file is handed over. */
  sources: z.array(z.string().min(1)).default([]),
});

export const releaseManifestSchema = z.strictObject({
  schema: z.literal(RELEASE_SCHEMA),
  name: z.literal("ns-llm"),
  version: versionName,
  artifacts: z.array(artifact).min(1),
});

export type ReleaseManifest = z.infer<typeof releaseManifestSchema>;
export type ReleaseArtifact = ReleaseManifest["artifacts"][number];

export const signedReleaseSchema = z.strictObject({
  schema: z.literal(SIGNED_RELEASE_SCHEMA),
  manifest: z.unknown(),
  signature: z.strictObject({
    algorithm: z.literal("ed25519"),
    /** `sha256:<hex>` of the public key's SPKI DER bytes: which key signed. */
    keyId: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    /** base64 Ed25519 signature over the canonical JSON (RFC 8785) of `manifest`. */
    value: z.string().min(1),
  }),
});

export type SignedRelease = { schema: typeof SIGNED_RELEASE_SCHEMA; manifest: ReleaseManifest; signature: z.infer<typeof signedReleaseSchema>["signature"] };

/** Is `version` a name stageVersion accepts as a folder? */
export function isVersionName(version: string): boolean {
  return versionName.safeParse(version).success;
}
