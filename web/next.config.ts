import path from "node:path";
import type { NextConfig } from "next";

const config: NextConfig = {
  // The browser tests build into their own folder (test/harness/app.ts), apart from `next dev`.
  distDir: process.env.NS_LLM_WEB_DIST_DIR || ".next",
  // Packaging (packaging/src/dapp.ts) builds a self-contained server that the packaged node runs.
  // It ships to every platform, so no native module: the app has no next/image, and sharp (which
  // Next traces for image optimization) stays out.
  ...(process.env.NS_LLM_WEB_OUTPUT === "standalone"
    ? {
        output: "standalone" as const,
        images: { unoptimized: true },
        outputFileTracingExcludes: { "*": ["**/node_modules/sharp/**", "**/node_modules/@img/**", "**/node_modules/detect-libc/**"] },
      }
    : {}),
  // The ABIs come from the workspace package as TypeScript source.
  transpilePackages: ["@ns-llm/contracts"],
  // The repository root holds the lockfile and the hoisted node_modules.
  turbopack: { root: path.resolve(import.meta.dirname, "..") },
  outputFileTracingRoot: path.resolve(import.meta.dirname, ".."),
  // TypeScript 7 has no JS API; the build type-checks with its CLI (the root `typecheck` does too).
  experimental: { useTypeScriptCli: true },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
