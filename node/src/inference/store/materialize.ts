/**
 * A model's folder for engines: `<home>/models/<name>-<short id>/` holding each artifact at its
 * manifest path, hard-linked to its store blob (a copy where links are impossible). Engines get
 * real file names (`model.onnx` beside `vocab.txt`); the store keeps one copy of the bytes.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { artifactPathProblems, canonicalManifestJson, sha256Hex, type ModelManifest } from "../../manifest/index.ts";
import { MissingBlobsError } from "./errors.ts";
import { sizeOf, syncDir } from "./files.ts";
import { blobPath, type StoreLayout } from "./layout.ts";

/**
 * The folder's name: the manifest's name and 12 hex digits that depend only on the artifacts
 * (paths and digests), so a new manifest for the same files reuses the folder.
 */
export function modelFolderName(manifest: ModelManifest): string {
  const id = sha256Hex(canonicalManifestJson(manifest.model.artifacts.map((a) => ({ path: a.path, sha256: a.sha256 })))).slice(0, 12);
  return `${manifest.name}-${id}`;
}

export async function materialize(layout: StoreLayout, manifest: ModelManifest): Promise<string> {
  const missing = [];
  for (const artifact of manifest.model.artifacts) {
    if ((await sizeOf(blobPath(layout, artifact.sha256))) !== artifact.size) missing.push(artifact);
  }
  if (missing.length > 0) throw new MissingBlobsError(manifest.name, missing);

  const name = modelFolderName(manifest);
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw new Error(`not a safe folder name: ${JSON.stringify(name)}`);
  const final = path.join(layout.models, name);
  if (await isComplete(final, manifest)) return final;

  await fs.mkdir(layout.models, { recursive: true });
  const staging = path.join(layout.models, `.staging-${randomBytes(6).toString("hex")}`);
  await fs.mkdir(staging);
  try {
    for (const artifact of manifest.model.artifacts) {
      const target = inside(staging, artifact.path);
      await fs.mkdir(path.dirname(target), { recursive: true });
      const blob = blobPath(layout, artifact.sha256);
      try {
        await fs.link(blob, target);
      } catch {
        await fs.copyFile(blob, target); // another filesystem, or links not allowed
        await fs.chmod(target, 0o444);
      }
    }
    await fs.rm(final, { recursive: true, force: true }); // an incomplete earlier attempt
    await fs.rename(staging, final);
    await syncDir(layout.models);
  } catch (error) {
    await fs.rm(staging, { recursive: true, force: true });
    throw error;
  }
  return final;
}

/** `dir/relative`, refusing anything that would land outside `dir` (the manifest was checked; this is a second lock). */
function inside(dir: string, relative: string): string {
  const problems = artifactPathProblems(relative);
  const target = path.resolve(dir, ...relative.split("/"));
  if (problems.length > 0 || !target.startsWith(dir + path.sep)) {
    throw new Error(`artifact path ${JSON.stringify(relative)} ${problems[0] ?? "leaves its folder"}`);
  }
  return target;
}

async function isComplete(dir: string, manifest: ModelManifest): Promise<boolean> {
  for (const artifact of manifest.model.artifacts) {
    if ((await sizeOf(inside(dir, artifact.path))) !== artifact.size) return false;
  }
  return true;
}
