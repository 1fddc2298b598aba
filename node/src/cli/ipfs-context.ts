/**
 * What IPFS commands share: the configured back end opened for one command and closed after it,
 * IPFS errors as one-line CLI errors, and the way around a locked embedded repo (a running
 * `ns-llm serve` holds it): the same request through that node's HTTP API.
 */
import { loadConfig, type Config } from "../config.ts";
import { IpfsError, isIpfsError, openIpfs, type IpfsClient } from "../ipfs/index.ts";
import { UserError } from "./errors.ts";

export function cliConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    throw new UserError((error as Error).message, "fix the environment variables named above");
  }
}

/**
 * Runs `use` with the configured IPFS back end, stopping it afterwards; IPFS errors become
 * UserErrors. When another process holds the embedded repo, `viaNode` (if given) does the work
 * through the running node's API instead.
 */
export async function withIpfs<T>(
  config: Config,
  use: (ipfs: IpfsClient) => Promise<T>,
  viaNode?: () => Promise<T>,
): Promise<T> {
  let ipfs: IpfsClient;
  try {
    ipfs = await openIpfs(config);
  } catch (error) {
    if (viaNode && isIpfsError(error, "repo_locked")) return viaNode();
    throw asUserError(error);
  }
  try {
    return await use(ipfs);
  } catch (error) {
    throw asUserError(error);
  } finally {
    await ipfs.stop();
  }
}

/** An IpfsError as a UserError (`error: <what> (<hint>)`); anything else unchanged. */
export function asUserError(error: unknown): unknown {
  if (error instanceof IpfsError) return new UserError(error.message, error.hint);
  return error;
}

/** The running node's API base URL, from NS_LLM_HOST/NS_LLM_PORT (as `ns-llm status` does). */
export function nodeBaseUrl(config: Config): string {
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.port}`;
}

/** A request to the running node's API, with its token; a refused connection is a clear UserError. */
export async function nodeRequest(config: Config, path: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<Response> {
  const base = nodeBaseUrl(config);
  try {
    return await fetch(`${base}${path}`, {
      ...init,
      headers: { ...(init.headers as Record<string, string> | undefined), ...(config.apiToken ? { authorization: `Bearer ${config.apiToken}` } : {}) },
      signal: AbortSignal.timeout(init.timeoutMs ?? 60_000),
    });
  } catch (error) {
    throw new UserError(`the IPFS repo is locked and no node answers at ${base} (${(error as Error).message})`, "stop the process that holds the repo, or start the node");
  }
}

/** The `{"error": {...}}` of a failed API answer as a UserError. */
export async function nodeError(response: Response, what: string): Promise<UserError> {
  const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  return new UserError(`${what}: the node answered ${response.status} ${body.error?.code ?? ""}: ${body.error?.message ?? response.statusText}`.replace(/ {2}/g, " "));
}
