/**
 * The install folder's versions: staging puts a version beside the running one without switching,
 * a switch keeps the old one as `previous`, rollback returns to it, a pin stops switches away,
 * prune keeps current, previous and pinned; an incomplete version is never switched to.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pinVersion, pruneVersions, readInstallState, ReleaseError, rollbackVersion, stageVersion, switchVersion, versionEntryPoints } from "../src/release/index.ts";

const code = (code: string) => (error: unknown) => error instanceof ReleaseError && error.code === code;

/** A version tree with the two files a launcher needs (not runnable: only their presence is checked). */
async function versionTree(dir: string, version: string): Promise<string> {
  const tree = path.join(dir, `tree-${version}`);
  const entry = versionEntryPoints();
  for (const file of [entry.runtime, entry.app]) {
    await mkdir(path.dirname(path.join(tree, file)), { recursive: true });
    await writeFile(path.join(tree, file), version);
  }
  return tree;
}

async function install(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-versions-"));
  const root = path.join(dir, "root");
  await mkdir(path.join(root, "versions"), { recursive: true });
  await stageVersion({ root, version: "1.0.0", source: await versionTree(dir, "1.0.0") });
  await writeFile(path.join(root, "current"), "1.0.0\n");
  return root;
}

test("stage, switch, rollback and roll forward", async () => {
  const root = await install();
  try {
    assert.equal(await stageVersion({ root, version: "1.1.0", source: await versionTree(path.dirname(root), "1.1.0") }), true);
    assert.equal(await stageVersion({ root, version: "1.1.0", source: await versionTree(path.dirname(root), "1.1.0") }), false, "already staged");
    assert.equal((await readInstallState(root)).current, "1.0.0");
    let state = await switchVersion({ root, version: "1.1.0" });
    assert.deepEqual([state.current, state.previous, state.versions], ["1.1.0", "1.0.0", ["1.0.0", "1.1.0"]]);
    assert.equal(await readFile(path.join(root, "current"), "utf8"), "1.1.0\n");
    state = await rollbackVersion({ root });
    assert.deepEqual([state.current, state.previous], ["1.0.0", "1.1.0"]);
    state = await rollbackVersion({ root });
    assert.deepEqual([state.current, state.previous], ["1.1.0", "1.0.0"]);
  } finally {
    await rm(path.dirname(root), { recursive: true, force: true });
  }
});

test("an incomplete or missing version is never switched to, and nothing changes", async () => {
  const root = await install();
  try {
    await assert.rejects(switchVersion({ root, version: "9.9.9" }), code("version_missing"));
    const broken = await versionTree(path.dirname(root), "1.2.0");
    await rm(path.join(broken, versionEntryPoints().runtime));
    await assert.rejects(stageVersion({ root, version: "1.2.0", source: broken }), code("version_missing"));
    await assert.rejects(stageVersion({ root, version: "../escape", source: broken }), code("install_layout"));
    const state = await readInstallState(root);
    assert.deepEqual([state.current, state.previous, state.versions], ["1.0.0", undefined, ["1.0.0"]]);
    await assert.rejects(rollbackVersion({ root }), code("no_previous_version"));
  } finally {
    await rm(path.dirname(root), { recursive: true, force: true });
  }
});

test("a pin stops switching and rolling back away from it until it is removed", async () => {
  const root = await install();
  try {
    await stageVersion({ root, version: "1.1.0", source: await versionTree(path.dirname(root), "1.1.0") });
    await pinVersion({ root, version: "1.0.0" });
    await assert.rejects(switchVersion({ root, version: "1.1.0" }), code("version_pinned"));
    assert.equal((await readInstallState(root)).current, "1.0.0");
    await pinVersion({ root, version: undefined });
    assert.equal((await switchVersion({ root, version: "1.1.0" })).current, "1.1.0");
    await pinVersion({ root, version: "1.1.0" });
    await assert.rejects(rollbackVersion({ root }), code("version_pinned"));
  } finally {
    await rm(path.dirname(root), { recursive: true, force: true });
  }
});

test("prune keeps the current, previous and pinned versions", async () => {
  const root = await install();
  try {
    for (const v of ["1.1.0", "1.2.0", "1.3.0"]) await stageVersion({ root, version: v, source: await versionTree(path.dirname(root), v) });
    await switchVersion({ root, version: "1.2.0" });
    await switchVersion({ root, version: "1.3.0" });
    await pinVersion({ root, version: "1.3.0" });
    assert.deepEqual(await pruneVersions({ root }), ["1.0.0", "1.1.0"]);
    assert.deepEqual((await readInstallState(root)).versions, ["1.2.0", "1.3.0"]);
  } finally {
    await rm(path.dirname(root), { recursive: true, force: true });
  }
});
