/** The release platform this process runs on, or undefined where no package is built for it. */
import { RELEASE_PLATFORMS, type ReleasePlatform } from "./manifest.ts";

export function currentPlatform(platform: NodeJS.Platform = process.platform, arch: string = process.arch): ReleasePlatform | undefined {
  const id = `${platform === "win32" ? "win" : platform}-${arch}`;
  return RELEASE_PLATFORMS.find((p) => p === id);
}
