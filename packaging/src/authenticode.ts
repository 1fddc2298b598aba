/**
 * Authenticode for the Windows package, with osslsigncode: our signature on every PE file that
 * comes unsigned (node-llama-cpp's binaries) and on the .msi; files their publisher signed
 * (node.exe by the OpenJS Foundation, ONNX Runtime by Microsoft) keep that signature.
 *
 * Without NS_LLM_AUTHENTICODE_CERT and NS_LLM_AUTHENTICODE_KEY (PEM files of a real code-signing
 * certificate and its key), a self-signed test certificate is made with openssl and kept beside
 * the dev release key: Windows will not trust it, which is what a test certificate is for.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export type CodeSigningIdentity = { cert: string; key: string; test: boolean };

export async function codeSigningIdentity(devKeysDir: string, env: NodeJS.ProcessEnv = process.env): Promise<CodeSigningIdentity> {
  if (env.NS_LLM_AUTHENTICODE_CERT && env.NS_LLM_AUTHENTICODE_KEY) return { cert: env.NS_LLM_AUTHENTICODE_CERT, key: env.NS_LLM_AUTHENTICODE_KEY, test: false };
  const cert = path.join(devKeysDir, "ns-llm-TEST-authenticode-cert.pem");
  const key = path.join(devKeysDir, "ns-llm-TEST-authenticode-key.pem");
  if (!existsSync(cert) || !existsSync(key)) {
    await mkdir(devKeysDir, { recursive: true });
    await run("openssl", [
      "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-days", "3650", "-keyout", key, "-out", cert,
      "-subj", "/CN=NS-LLM TEST code signing (not trusted)/O=NS-LLM development",
      "-addext", "extendedKeyUsage=codeSigning", "-addext", "keyUsage=digitalSignature",
    ]);
  }
  return { cert, key, test: true };
}

/** Does `file` carry an Authenticode signature (anyone's)? */
export async function hasSignature(file: string): Promise<boolean> {
  const out = `${file}.sig-probe`;
  try {
    await run("osslsigncode", ["extract-signature", "-in", file, "-out", out]);
    return true;
  } catch {
    return false;
  } finally {
    await rm(out, { force: true });
  }
}

/** Signs `file` in place (a PE file or an .msi), SHA-256, with the product's name and URL. */
export async function signFile(file: string, identity: CodeSigningIdentity): Promise<void> {
  const out = `${file}.signed`;
  try {
    await run("osslsigncode", ["sign", "-certs", identity.cert, "-key", identity.key, "-h", "sha256", "-n", "NS-LLM", "-i", "https://github.com/ns-llm", "-in", file, "-out", out]);
    await rename(out, file);
  } catch (error) {
    await rm(out, { force: true });
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new Error("osslsigncode is not installed (apt-get install osslsigncode)");
    throw new Error(`osslsigncode could not sign ${path.basename(file)}: ${(e.stderr ?? e.message).trim().split("\n").at(-1)}`);
  }
}

/** Checks our signature on `file` against the signing certificate. */
export async function verifySignature(file: string, identity: CodeSigningIdentity): Promise<void> {
  try {
    await run("osslsigncode", ["verify", "-CAfile", identity.cert, "-in", file]);
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`the Authenticode signature of ${path.basename(file)} does not verify: ${`${e.stdout ?? ""}${e.stderr ?? ""}`.trim().split("\n").filter(Boolean).slice(-2).join(" / ") || e.message}`);
  }
}
