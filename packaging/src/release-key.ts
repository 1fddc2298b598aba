/**
 * The key a build signs its release manifest with. A maintainer's real key comes from
 * NS_LLM_RELEASE_KEY (a PEM file with an Ed25519 private key, kept offline); without it, a
 * development key is made once per output folder as dev-keys/ns-llm-DEV-release-key.pem, and
 * the packages then ship (and trust) that key's public half: fine for CI, never for users.
 */
import { generateKeyPairSync, createPublicKey, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { releaseKeyId, releasePrivateKey } from "../../node/src/release/index.ts";

export type ReleaseSigningKey = { privateKey: KeyObject; publicPem: string; keyId: string; dev: boolean; source: string };

export async function releaseSigningKey(devKeysDir: string, env: NodeJS.ProcessEnv = process.env): Promise<ReleaseSigningKey> {
  let source = env.NS_LLM_RELEASE_KEY;
  const dev = !source;
  if (!source) {
    source = path.join(devKeysDir, "ns-llm-DEV-release-key.pem");
    if (!existsSync(source)) {
      await mkdir(devKeysDir, { recursive: true });
      const { privateKey } = generateKeyPairSync("ed25519");
      await writeFile(source, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
    }
  }
  const privateKey = releasePrivateKey(await readFile(source));
  const publicPem = createPublicKey(privateKey).export({ format: "pem", type: "spki" }).toString();
  return { privateKey, publicPem, keyId: releaseKeyId(privateKey), dev, source };
}
