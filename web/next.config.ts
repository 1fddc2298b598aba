import path from "node:path";
import type { NextConfig } from "next";

const config: NextConfig = {
  // The browser tests build into their own folder (test/harness/app.ts), apart from `next dev`.
  distDir: process.env.NS_LLM_WEB_DIST_DIR || ".next",
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
