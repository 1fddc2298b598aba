/**
 * Signed release manifests: a release signed by a trusted key verifies and yields its manifest;
 * any change to the manifest, a key the node does not trust, or a file that is not a signed
 * release is refused with its own code. Packages are checked byte for byte against it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { ReleaseError, releaseKeyId, signRelease, verifyArtifact, verifyRelease, type ReleaseManifest } from "../src/release/index.ts";

const { privateKey, publicKey } = generateKeyPairSync("ed25519");
const stranger = generateKeyPairSync("ed25519");
const packageBytes = Buffer.from("a package's bytes ".repeat(1000));
const manifest: ReleaseManifest = {
  schema: "ns-llm.release/v1",
  name: "ns-llm",
  version: "1.2.3",
  artifacts: [
    { platform: "linux-x64", format: "tar.gz", file: "ns-llm-1.2.3-linux-x64.tar.gz", sha256: createHash("sha256").update(packageBytes).digest("hex"), size: packageBytes.length, node: "22.23.3", sources: [] },
  ],
};

const code = (code: string) => (error: unknown) => error instanceof ReleaseError && error.code === code;

test("a release signed by a trusted key verifies and names its signer", () => {
  const bytes = signRelease({ manifest, privateKey });
  const verified = verifyRelease({ bytes, trustedKeys: [stranger.publicKey, publicKey] });
  assert.deepEqual(verified.manifest, manifest);
  assert.equal(verified.keyId, releaseKeyId(publicKey));
});

test("re-indenting the file keeps the signature valid; changing any value breaks it", () => {
  const envelope = JSON.parse(new TextDecoder().decode(signRelease({ manifest, privateKey })));
  const compact = new TextEncoder().encode(JSON.stringify(envelope));
  assert.equal(verifyRelease({ bytes: compact, trustedKeys: [publicKey] }).manifest.version, "1.2.3");
  envelope.manifest.artifacts[0].size += 1;
  assert.throws(() => verifyRelease({ bytes: new TextEncoder().encode(JSON.stringify(envelope)), trustedKeys: [publicKey] }), code("release_bad_signature"));
});

test("a release signed by another key is refused as untrusted", () => {
  const bytes = signRelease({ manifest, privateKey: stranger.privateKey });
  assert.throws(() => verifyRelease({ bytes, trustedKeys: [publicKey] }), code("release_untrusted_key"));
});

test("a file that is not a signed release is refused as malformed", () => {
  for (const text of ["not json", "{}", JSON.stringify(manifest)]) {
    assert.throws(() => verifyRelease({ bytes: new TextEncoder().encode(text), trustedKeys: [publicKey] }), code("release_malformed"));
  }
  assert.throws(() => signRelease({ manifest: { ...manifest, version: "../../etc" }, privateKey }));
});

test("verifyArtifact accepts the exact bytes and refuses a truncated, altered or unknown file", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ns-llm-release-"));
  try {
    const file = path.join(dir, "ns-llm-1.2.3-linux-x64.tar.gz");
    await writeFile(file, packageBytes);
    assert.equal((await verifyArtifact({ file, manifest })).platform, "linux-x64");
    await writeFile(file, packageBytes.subarray(1));
    await assert.rejects(verifyArtifact({ file, manifest }), code("artifact_size_mismatch"));
    const altered = Buffer.from(packageBytes);
    altered[10] = 0;
    await writeFile(file, altered);
    await assert.rejects(verifyArtifact({ file, manifest }), code("artifact_digest_mismatch"));
    const other = path.join(dir, "something-else.tar.gz");
    await writeFile(other, "x");
    await assert.rejects(verifyArtifact({ file: other, manifest }), code("artifact_unknown"));
    // Renamed but intact: found by its digest.
    const renamed = path.join(dir, "download.bin");
    await writeFile(renamed, packageBytes);
    assert.equal((await verifyArtifact({ file: renamed, manifest })).file, "ns-llm-1.2.3-linux-x64.tar.gz");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
