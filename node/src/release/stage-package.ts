/**
 * Stages a downloaded package as a new version beside the running one: the signed release is
 * verified first, then every byte of the package against it, then the package is unpacked into
 * the install folder (never outside it) and its version folder renamed into `versions/`.
 * Nothing is switched: that is switchVersion's job, on restart or under a supervisor.
 */
import { randomBytes, type KeyObject } from "node:crypto";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { x as extractTar } from "tar";
import { ReleaseError } from "./errors.ts";
import { stageVersion } from "./install-layout.ts";
import type { ReleaseArtifact, ReleasePlatform } from "./manifest.ts";
import { verifyArtifact } from "./verify-artifact.ts";
import { verifyRelease } from "./verify-release.ts";

export type StagePackageParameters = {
  root: string;
  /** The downloaded package (the `.tar.gz` the release names for this platform). */
  file: string;
  /** The signed release file's bytes. */
  release: Uint8Array;
  trustedKeys: readonly KeyObject[];
  /** The platform this install runs on; a package for another one is refused. */
  platform: ReleasePlatform;
};

export type StagePackageReturnType = { version: string; artifact: ReleaseArtifact; staged: boolean };

export async function stagePackage({ root, file, release, trustedKeys, platform }: StagePackageParameters): Promise<StagePackageReturnType> {
  const { manifest } = verifyRelease({ bytes: release, trustedKeys });
  const artifact = await verifyArtifact({ file, manifest });
  if (artifact.platform !== platform) {
    throw new ReleaseError("artifact_unknown", `${artifact.file} is the ${artifact.platform} package; this install runs ${platform}`, `use the release's ${platform} package`);
  }
  if (artifact.format !== "tar.gz") {
    throw new ReleaseError("artifact_unknown", `${artifact.file} is a .${artifact.format}; updates stage the .tar.gz`, `use the release's ${platform} .tar.gz package`);
  }
  const work = path.join(root, "versions", `.extract-${randomBytes(4).toString("hex")}`);
  await mkdir(work, { recursive: true });
  try {
    // tar refuses absolute paths and `..` entries by default (preservePaths: false).
    await extractTar({ file, cwd: work, strict: true });
    const [top, ...others] = await readdir(work);
    if (!top || others.length > 0) throw new ReleaseError("install_layout", `${artifact.file} does not hold one top folder`, "rebuild the package with npm run package");
    const inner = path.join(work, top, "versions", manifest.version);
    const named = (await readFile(path.join(work, top, "current"), "utf8").catch(() => "")).trim();
    if (named !== manifest.version) {
      throw new ReleaseError("install_layout", `${artifact.file} holds version "${named}", the release says ${manifest.version}`, "rebuild the package with npm run package");
    }
    const staged = await stageVersion({ root, version: manifest.version, source: inner, move: true });
    return { version: manifest.version, artifact, staged };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
