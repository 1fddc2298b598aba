/**
 * Checks a downloaded package against a verified release manifest: it must be one the manifest
 * names (by file name, else by digest), have its exact size and its sha256, read to the last byte.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { ReleaseError } from "./errors.ts";
import type { ReleaseArtifact, ReleaseManifest } from "./manifest.ts";

export type VerifyArtifactParameters = { file: string; manifest: ReleaseManifest };

export async function verifyArtifact({ file, manifest }: VerifyArtifactParameters): Promise<ReleaseArtifact> {
  const name = path.basename(file);
  const size = (await stat(file)).size;
  const byName = manifest.artifacts.find((a) => a.file === name);
  const digest = await sha256File(file);
  const artifact = byName ?? manifest.artifacts.find((a) => a.sha256 === digest);
  if (!artifact) {
    throw new ReleaseError("artifact_unknown", `${name} is not a package of release ${manifest.version}`, `the release names ${manifest.artifacts.map((a) => a.file).join(", ")}`);
  }
  if (size !== artifact.size) {
    throw new ReleaseError("artifact_size_mismatch", `${name} has ${size} bytes, the release says ${artifact.size}`, "the download is incomplete or altered: download it again");
  }
  if (digest !== artifact.sha256) {
    throw new ReleaseError("artifact_digest_mismatch", `${name} has sha256 ${digest}, the release says ${artifact.sha256}`, "the file was altered: download it again from a trusted source");
  }
  return artifact;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}
