/**
 * The packaged node's entry point (bundled as app/node/build/cli/launch.js in every version
 * folder; the `ns-llm` / `ns-llm.cmd` launcher runs it with the version's own Node runtime).
 *
 * It gives a package what a git clone gets from its folder: a data folder of its own (per user,
 * where each OS keeps application data), settings from `<data folder>/config.env`, and, with no
 * command, `serve --demo`: the generated demo models, without a chain until one is configured.
 * Then it runs the `ns-llm` command line as usual.
 */
import { existsSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Where a packaged node keeps its data when NS_LLM_HOME is not set. */
export function defaultDataHome(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === "win32") return path.join(env.LOCALAPPDATA ?? path.join(os.homedir(), "AppData", "Local"), "NS-LLM");
  if (platform === "darwin") return path.join(os.homedir(), "Library", "Application Support", "NS-LLM");
  return path.join(env.XDG_DATA_HOME ?? path.join(os.homedir(), ".local", "share"), "ns-llm");
}

// app/node/build/cli/launch.js -> versions/<version> -> the install folder.
const versionDir = path.resolve(import.meta.dirname, "../../../..");
process.env.NS_LLM_VERSION ??= path.basename(versionDir);
process.env.NS_LLM_INSTALL_ROOT ??= path.resolve(versionDir, "../..");

const home = process.env.NS_LLM_HOME ?? defaultDataHome();
process.env.NS_LLM_HOME = home;
const configFile = path.join(home, "config.env");
// Variables already in the environment win over the file's.
if (existsSync(configFile)) process.loadEnvFile(configFile);

let args = process.argv.slice(2);
const serveDefault = args.length === 0;
if (serveDefault) {
  mkdirSync(home, { recursive: true });
  const chain = Boolean(process.env.NS_LLM_RPC_URL);
  if (!chain) console.error(`ns-llm: serving the demo models without a chain (to follow one, set NS_LLM_RPC_URL in ${configFile})`);
  args = ["serve", "--demo", ...(chain ? [] : ["--no-chain"])];
}
if (serveDefault && process.env.NS_LLM_SUPERVISED !== "1" && process.env.NS_LLM_SUPERVISOR !== "0") {
  // The default: a supervisor owns the port and runs the node as its child, so a governed update
  // switches versions at once with no lost request (packaging/launcher/supervisor.ts).
  const { supervise } = await import("./supervisor.ts");
  await supervise({
    root: process.env.NS_LLM_INSTALL_ROOT,
    version: process.env.NS_LLM_VERSION,
    args,
    host: process.env.NS_LLM_HOST ?? "127.0.0.1",
    port: Number(process.env.NS_LLM_PORT ?? 5555),
    env: process.env,
  });
} else {
  process.argv = [process.argv[0]!, process.argv[1]!, ...args];
  // @ts-expect-error: the plain-JavaScript entry of `ns-llm` has no types; esbuild bundles it.
  await import("../../node/bin/ns-llm.js");
}
