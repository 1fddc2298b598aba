/** The dApp beside the node: its built server, started as a child on first use (dapp-host.ts). */
import { existsSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config.ts";
import { packagedInstall } from "../release/index.ts";

export { createDappHost, DappUnavailableError, standaloneServer, type DappHost, type DappHostParameters, type DappTarget } from "./dapp-host.ts";

/**
 * The dApp build the node serves: NS_LLM_DAPP_DIR, else (a node started from a package) the
 * package's `app/web` when it has one; undefined with NS_LLM_DAPP=0 or when there is none.
 */
export function dappDir(config: Pick<Config, "dapp">, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!config.dapp.enabled) return undefined;
  if (config.dapp.dir) return config.dapp.dir;
  const install = packagedInstall(env);
  if (!install) return undefined;
  const dir = path.join(install.root, "versions", install.version, "app", "web");
  return existsSync(dir) ? dir : undefined;
}
