/**
 * The dApp's release checks as plain functions, against files the node's own signRelease writes:
 * a signature verifies with the signer's key (Web Crypto, and @noble/curves where a browser has no
 * Ed25519), a change after signing does not, a key that is not the signer's is never used, and
 * what the propose form refuses. The description's `release-key:` line is the shared package's
 * (`ns-llm propose --role release` writes it with the same function; node/test/release-governed
 * proposes from the CLI and reads the line back from the chain).
 */
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import * as shared from "@ns-llm/contracts";
import { readSignedRelease } from "@ns-llm/contracts";
import { releaseKeyId, signRelease, verifyRelease, type ReleaseManifest } from "../../node/src/release/index.ts";
import { adoptionDescription, releaseDescription } from "../lib/governance.ts";
import { prepareRelease } from "../lib/prepare-release.ts";
import { checkRelease, ReleaseFormatError, releaseKeyFromDescription, releaseKeyFromPem, releaseKeyLine, verifyEd25519 } from "../lib/release.ts";

const signer = generateKeyPairSync("ed25519");
const stranger = generateKeyPairSync("ed25519");
const pem = (key: import("node:crypto").KeyObject) => key.export({ format: "pem", type: "spki" }).toString();
const manifest: ReleaseManifest = {
  schema: "ns-llm.release/v1",
  name: "ns-llm",
  version: "1.2.3-rc.1",
  artifacts: [{ platform: "darwin-arm64", format: "tar.gz", file: "ns-llm-1.2.3-rc.1-darwin-arm64.tar.gz", sha256: createHash("sha256").update("x").digest("hex"), size: 1, node: "22.23.2", sources: ["https://example.org/x.tar.gz"] }],
};
const signed = signRelease({ manifest, privateKey: signer.privateKey });
const alter = (edit: (envelope: { manifest: ReleaseManifest }) => void) => {
  const envelope = JSON.parse(new TextDecoder().decode(signed));
  edit(envelope);
  return new TextEncoder().encode(JSON.stringify(envelope));
};

test("a release the node signs verifies in the browser's code with the signer's key, from a PEM or a description", async () => {
  const key = releaseKeyFromPem(pem(signer.publicKey));
  assert.equal(key.id, releaseKeyId(signer.publicKey));
  const checked = await checkRelease(signed, [{ key, source: "file" }]);
  assert.equal(checked.check.status, "valid");
  assert.deepEqual(checked.manifest, manifest);
  const description = releaseDescription("1.2.3-rc.1", "bafkreiexample", "0x00", key, "Notes");
  assert.deepEqual(releaseKeyFromDescription(description), key);
  assert.equal(releaseKeyFromDescription("# Adopt ns-llm-1 for release\n\nmanifest: ipfs://x"), undefined);
});

test("a change after signing fails in the browser as in the node; a key that is not the signer's is never used", async () => {
  const key = releaseKeyFromPem(pem(signer.publicKey));
  const changed = alter((e) => void (e.manifest.artifacts[0]!.size = 2));
  assert.equal((await checkRelease(changed, [{ key, source: "file" }])).check.status, "invalid");
  assert.throws(() => verifyRelease({ bytes: changed, trustedKeys: [signer.publicKey] }), /signature does not match/);
  const other = releaseKeyFromPem(pem(stranger.publicKey));
  assert.equal((await checkRelease(signed, [{ key: other, source: "node" }])).check.status, "no-key");
  // Reordering keys and re-indenting the file is not a change: the signature covers canonical JSON.
  const reordered = alter((e) => void (e.manifest = { version: e.manifest.version, artifacts: e.manifest.artifacts, name: e.manifest.name, schema: e.manifest.schema } as ReleaseManifest));
  assert.equal((await checkRelease(reordered, [{ key, source: "file" }])).check.status, "valid");
});

test("without Ed25519 in Web Crypto the check falls back to @noble/curves, with the same answers", async () => {
  const key = releaseKeyFromPem(pem(signer.publicKey));
  const read = readSignedRelease(signed);
  assert.ok(read.ok);
  const signature = Uint8Array.from(Buffer.from(read.release.signature.value, "base64"));
  const subtle = globalThis.crypto.subtle as SubtleCrypto & { importKey: SubtleCrypto["importKey"] };
  const original = subtle.importKey;
  Object.defineProperty(subtle, "importKey", { value: () => Promise.reject(new DOMException("Unrecognized name", "NotSupportedError")), configurable: true });
  try {
    await assert.rejects(crypto.subtle.importKey("spki", new Uint8Array(key.spki), { name: "Ed25519" }, false, ["verify"]), "Web Crypto has no Ed25519 now");
    assert.equal(await verifyEd25519(key, signature, read.signedBytes), true);
    const tampered = Uint8Array.from(read.signedBytes);
    tampered[5] = tampered[5]! ^ 1;
    assert.equal(await verifyEd25519(key, signature, tampered), false);
  } finally {
    Object.defineProperty(subtle, "importKey", { value: original, configurable: true });
    delete (subtle as unknown as Record<string, unknown>).importKey;
  }
  assert.equal(await verifyEd25519(key, signature, read.signedBytes), true);
});

test("the propose form refuses what is not a signed release, a private key, a wrong key and a changed file", async () => {
  await assert.rejects(checkRelease(new TextEncoder().encode(JSON.stringify(manifest)), []), ReleaseFormatError);
  const schema = await prepareRelease(alter((e) => void (e.manifest.version = "../../etc")), []);
  assert.ok(!schema.ok && schema.error.includes("manifest.version must look like 1.2.3"), JSON.stringify(schema));
  assert.throws(() => releaseKeyFromPem(signer.privateKey.export({ format: "pem", type: "pkcs8" }).toString()), /private key/);
  const wrong = await prepareRelease(signed, [{ key: releaseKeyFromPem(pem(stranger.publicKey)), source: "file" }]);
  assert.ok(!wrong.ok && wrong.error.includes(releaseKeyId(signer.publicKey)), JSON.stringify(wrong));
  const changed = await prepareRelease(alter((e) => void (e.manifest.artifacts[0]!.node = "22.0.0")), [{ key: releaseKeyFromPem(pem(signer.publicKey)), source: "file" }]);
  assert.ok(!changed.ok && changed.error.includes("signature does not verify"));
  const ok = await prepareRelease(signed, [{ key: releaseKeyFromPem(pem(signer.publicKey)), source: "file" }], " Notes ");
  assert.ok(ok.ok);
  assert.equal(ok.release.summary, "Notes");
  assert.match(ok.release.cid, /^bafkrei/);
});

test("the release-key line is the shared package's: what the CLI writes, the dApp reads", () => {
  // One implementation: the dApp's functions are the shared package's, which the node's CLI uses.
  assert.equal(releaseKeyFromDescription, shared.releaseKeyFromDescription);
  assert.equal(releaseKeyLine, shared.releaseKeyLine);
  assert.equal(releaseDescription, shared.releaseDescription);
  assert.equal(adoptionDescription, shared.adoptionDescription);
  const key = releaseKeyFromPem(pem(signer.publicKey));
  const spkiBase64 = Buffer.from(signer.publicKey.export({ format: "der", type: "spki" })).toString("base64");
  assert.equal(releaseKeyLine(key), `release-key: ${spkiBase64}`);
  const digest = `0x${"ab".repeat(32)}` as const;
  assert.equal(
    releaseDescription("1.2.3", "bafkreiexample", digest, key),
    `# Adopt ns-llm-1.2.3 for release\n\nmanifest: ipfs://bafkreiexample\ndigest: ${digest}\nrelease-key: ${spkiBase64}`,
  );
  // The line counts only on a line of its own, and only with an Ed25519 key on it.
  assert.equal(releaseKeyFromDescription(`notes release-key: ${spkiBase64}`), undefined);
  assert.equal(releaseKeyFromDescription(`release-key: ${Buffer.from("not a key").toString("base64")}`), undefined);
  assert.deepEqual(releaseKeyFromDescription(`# Adopt\n\nrelease-key: ${spkiBase64}  \nmore`), key);
});
