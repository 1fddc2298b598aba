/**
 * Checks a built package the way a user would receive it: unpacked with the format's own tool,
 * it must hold the launcher, the named version with that platform's Node runtime, node-llama-cpp's
 * binaries for that platform, onnxruntime-node's folder for that platform and no other, only
 * native binaries for that machine, the release public key, the dApp (app/web); on Windows, every
 * PE file signed.
 * And the package itself must verify against the signed release manifest.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { x as extractTar } from "tar";
import { releasePublicKey, releaseKeyId, verifyArtifact, verifyRelease, type ReleaseFormat } from "../../node/src/release/index.ts";
import { hasSignature, verifySignature, type CodeSigningIdentity } from "./authenticode.ts";
import { findBinaries } from "./binaries.ts";
import type { PlatformLock } from "./lock.ts";
import type { Target } from "./targets.ts";

const run = promisify(execFile);

export type CheckPackageParameters = {
  file: string;
  format: ReleaseFormat;
  target: Target;
  lock: PlatformLock;
  release: Uint8Array;
  releaseKeyPem: string;
  /** For Windows packages: the identity our own signatures must verify against. */
  codeSigning?: CodeSigningIdentity;
};

export type CheckPackageReturnType = { binaries: number; signedByUs: number; signedUpstream: number };

export async function checkPackage(p: CheckPackageParameters): Promise<CheckPackageReturnType> {
  const key = releasePublicKey(p.releaseKeyPem);
  const { manifest } = verifyRelease({ bytes: p.release, trustedKeys: [key] });
  await verifyArtifact({ file: p.file, manifest });
  const work = await mkdtemp(path.join(os.tmpdir(), "ns-llm-check-"));
  try {
    const root = await unpack(p.file, p.format, work);
    const problems: string[] = [];
    const must = (ok: boolean, what: string) => ok || problems.push(what);
    const windows = p.target.os === "win32";
    const version = (await readFile(path.join(root, "current"), "utf8")).trim();
    must(version === manifest.version, `current says ${version}, the release ${manifest.version}`);
    const vdir = path.join(root, "versions", version);
    must(existsSync(path.join(root, windows ? "ns-llm.cmd" : "ns-llm")), "the launcher is missing");
    must(existsSync(path.join(vdir, windows ? "node.exe" : "node")), "the Node runtime is missing");
    must(existsSync(path.join(vdir, "app", "node", "build", "cli", "launch.js")), "the bundled node is missing");
    for (const entry of ["dapp-child.js", "sandbox-child.js", "plugin-worker.js", "onnx-session-worker.js"]) {
      must(existsSync(path.join(vdir, "app", "node", "build", "cli", entry)), `the bundle's entry ${entry} (started by file) is missing`);
    }
    must(existsSync(path.join(vdir, "app", "web", "web", "server.js")) && existsSync(path.join(vdir, "app", "web", "web", ".next-package", "static")), "the dApp (app/web) is missing or has no static assets");
    const shippedKey = await readFile(path.join(vdir, "release-key.pem"), "utf8").catch(() => "");
    must(shippedKey !== "" && releaseKeyId(releasePublicKey(shippedKey)) === releaseKeyId(key), "release-key.pem is not the release key");
    const modules = path.join(vdir, "app", "node_modules");
    const llamaBins = path.join(modules, p.lock.llama.name, "bins");
    must(existsSync(llamaBins) && (await readdir(llamaBins)).length === 1, `${p.lock.llama.name} is missing`);
    const llamaPackages = await readdir(path.join(modules, "@node-llama-cpp")).catch(() => []);
    must(llamaPackages.length === 1, `@node-llama-cpp holds ${llamaPackages.join(", ")}; only ${p.lock.llama.name} belongs here`);
    const onnx = path.join(modules, "onnxruntime-node", "bin", "napi-v6");
    const onnxDirs = (await readdir(onnx, { recursive: true })).filter((d) => d.split(path.sep).length === 2);
    must(onnxDirs.length === 1 && onnxDirs[0] === path.join(p.target.os, p.target.cpu), `onnxruntime-node holds ${onnxDirs.join(", ")}`);
    must(existsSync(path.join(onnx, p.target.os, p.target.cpu, "onnxruntime_binding.node")), "onnxruntime-node's binding is missing");

    const format = windows ? "pe" : p.target.os === "darwin" ? "macho" : "elf";
    const binaries = await findBinaries(vdir);
    for (const b of binaries) {
      const rel = path.relative(root, b.file);
      must(b.format === format && b.cpus.includes(p.target.cpu), `${rel} is a ${b.format} binary for ${b.cpus.join("+")}, not ${format} ${p.target.cpu}`);
    }
    let signedByUs = 0;
    let signedUpstream = 0;
    if (windows) {
      if (!p.codeSigning) throw new Error("checking a Windows package needs its code signing identity");
      for (const b of binaries) {
        if (!(await hasSignature(b.file))) {
          problems.push(`${path.relative(root, b.file)} has no Authenticode signature`);
          continue;
        }
        try {
          await verifySignature(b.file, p.codeSigning);
          signedByUs++;
        } catch {
          signedUpstream++; // signed, by its publisher (node.exe, ONNX Runtime)
        }
      }
      if (p.format === "msi") await verifySignature(p.file, p.codeSigning);
    }
    if (problems.length > 0) throw new Error(`${path.basename(p.file)}: ${problems.join("; ")}`);
    return { binaries: binaries.length, signedByUs, signedUpstream };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Unpacks with the format's own tool and returns the install folder inside. */
async function unpack(file: string, format: ReleaseFormat, work: string): Promise<string> {
  switch (format) {
    case "tar.gz":
      await extractTar({ file, cwd: work, strict: true });
      return path.join(work, (await readdir(work))[0]!);
    case "zip":
      await run("unzip", ["-q", file, "-d", work]);
      return path.join(work, (await readdir(work))[0]!);
    case "deb":
      await run("dpkg-deb", ["-x", file, work]);
      return path.join(work, "opt", "ns-llm");
    case "msi":
      await run("msiextract", ["-C", work, file], { maxBuffer: 64 * 1024 * 1024 });
      return await findInstallDir(work);
  }
}

async function findInstallDir(dir: string): Promise<string> {
  for (const entry of await readdir(dir, { recursive: true })) if (path.basename(entry) === "current") return path.join(dir, path.dirname(entry));
  throw new Error("the .msi holds no install folder");
}
