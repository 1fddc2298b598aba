/**
 * Following the chain from a running node: find the deployment for the chain at the RPC URL (and
 * check the registry is really there), start the follower, and when the chain or its deployment is
 * not there yet say why and try again (1 s, 2 s, 4 s... at most 30 s), so a node started before its
 * chain follows it once it answers. Until the follower runs, the roles that could not be restored
 * at start are its report. An RPC that accepts connections but stays silent is reported after
 * CHAIN_SILENT_MS, while its calls still wait; the RPC URL is said by its host only (it may carry
 * a provider's key).
 */
import type { GovernanceHealth, GovernanceState, Role } from "@ns-llm/contracts";
import type { PublicClient } from "viem";
import { createAnswerWatch, DEV_CHAIN_ID, loadDeployment, publicClientFor, redactRpcUrl, scrubRpcUrl } from "../chain/index.ts";
import { NsLlmError } from "../errors.ts";
import type { Deployment } from "@ns-llm/contracts";
import { Follower, type FollowerEvent, type GovernanceError, type GovernanceStatus } from "./follower.ts";
import type { RestoreAppliedReturnType } from "./restore.ts";
import type { FollowerState } from "./state.ts";
import type { Applier } from "./types.ts";

const FOLLOW_RETRY = { baseMs: 1_000, maxMs: 30_000 };
/** A chain asked and silent this long is reported unreachable (/health), whatever calls still wait. */
export const CHAIN_SILENT_MS = 10_000;
/** Per call of the follower's client: a silent RPC fails a sync after this, and the poll tries again. */
const CHAIN_CALL_TIMEOUT_MS = 5_000;

/** Why the node does not follow its chain: the RPC does not answer, or there is no deployment for it. */
export class FollowError extends NsLlmError<"chain_unreachable" | "no_deployment"> {
  toJSON(): { code: FollowError["code"]; message: string } {
    return { code: this.code, message: this.message };
  }
}

export type ChainFollowingParameters<M> = {
  rpcUrl: string;
  deploymentFile: string | undefined;
  state: FollowerState;
  applier: Applier<M>;
  /** The roles this node applies; default APPLY_ORDER (see Follower). */
  roles?: readonly Role[];
  parseManifest(bytes: Uint8Array): M & { role: Role; name: string };
  fetchManifest(cid: string, options: { signal: AbortSignal }): Promise<Uint8Array>;
  /** What was restored at start (before the node listened). */
  restored: RestoreAppliedReturnType;
  /** The governed parameters in force, for /api/governance. */
  parameters: () => GovernanceState["parameters"];
  onEvent?: (event: FollowerEvent) => void;
  log: (line: string) => void;
  /**
   * NS_LLM_CONFIRMATIONS: blocks under a change before it is applied. Unset: 0 on the dev chain
   * (31337, whose blocks are mined on demand and never reorganised), DEFAULT_CONFIRMATIONS elsewhere.
   */
  confirmations?: number;
  /** Told the chain's id once it answers (the source policy allows loopback on the dev chain). */
  onChain?: (chainId: number) => void;
};

/** Confirmation depth on a real network when NS_LLM_CONFIRMATIONS is unset. */
export const DEFAULT_CONFIRMATIONS = 2;

export type ChainFollowing<M> = {
  /** Undefined until the chain and its deployment answer. */
  readonly follower: Follower<M> | undefined;
  /** Starts following (returns once the first attempt settled; later attempts run on their own). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** For /health. */
  health(): GovernanceHealth;
  /** GET /api/governance. */
  state(): GovernanceState;
  /** Adoptions being applied or waiting to retry. */
  pending(): Array<{ role: Role; version: number; cid: string; digest: string }>;
};

export function createChainFollowing<M>(p: ChainFollowingParameters<M>): ChainFollowing<M> {
  let follower: Follower<M> | undefined;
  let followError: FollowError | undefined;
  let retry: NodeJS.Timeout | undefined;
  let tries = 0;
  let stopped = false;
  const restoredAt = new Date().toISOString();
  const answers = createAnswerWatch();
  const host = redactRpcUrl(p.rpcUrl);
  const scrub = (message: string) => scrubRpcUrl(message, p.rpcUrl);
  /** The RPC's silence, as the error /health shows while it lasts. */
  const silence = (): GovernanceState["lastError"] => {
    const ms = answers.silentMs();
    if (ms < CHAIN_SILENT_MS) return null;
    return { code: "chain_unreachable", message: `cannot read the chain: ${host} has not answered for ${Math.round(ms / 1000)} s`, time: new Date().toISOString() };
  };
  /**
   * The chain's state as reported: what the follower or the connecting said about the chain, else
   * its silence (calls still waiting), else the last role error.
   */
  const report = () => {
    const s = follower?.status();
    const { lastError, errors } = s ? { lastError: s.chainError ?? s.lastError, errors: s.errors } : notFollowing();
    const aboutChain = lastError?.code === "chain_unreachable" || lastError?.code === "no_deployment";
    const last = aboutChain ? lastError : (silence() ?? lastError);
    return { lastError: last ? { ...last, message: scrub(last.message) } : null, errors };
  };

  // Until the follower runs (it takes them over), the roles that could not be restored.
  const restoreErrors = (): GovernanceStatus["errors"] => {
    const errors: GovernanceStatus["errors"] = {};
    for (const { adoption, error } of p.restored.failed) {
      errors[adoption.role] = { ...adoption, code: error.code, message: `could not restore ${adoption.role}: ${error.message}`, time: restoredAt, retrying: false };
    }
    return errors;
  };
  const notFollowing = () => {
    const errors = restoreErrors();
    const lastError: GovernanceState["lastError"] = followError?.toJSON() ?? Object.values(errors).at(-1) ?? null;
    return { lastError, errors };
  };

  const follow = async (): Promise<void> => {
    try {
      const publicClient = publicClientFor(p.rpcUrl, 500, { timeoutMs: CHAIN_CALL_TIMEOUT_MS, retryCount: 1, watch: answers });
      const { deployment, chainId } = await chainDeployment(publicClient, host, p.deploymentFile);
      if (stopped) return;
      p.onChain?.(chainId);
      const confirmations = p.confirmations ?? (chainId === DEV_CHAIN_ID ? 0 : DEFAULT_CONFIRMATIONS);
      follower = new Follower<M>({
        publicClient,
        registry: deployment.contracts.ModelRegistry.address,
        startBlock: deployment.startBlock,
        state: p.state,
        fetchManifest: p.fetchManifest,
        parseManifest: p.parseManifest,
        applier: p.applier,
        ...(p.roles ? { roles: p.roles } : {}),
        confirmations,
        ...(p.onEvent ? { onEvent: p.onEvent } : {}),
        log: p.log,
      });
      followError = undefined;
      await follower.start({ restored: p.restored });
    } catch (error) {
      // No chain or no deployment: serve what we have, say why, keep going.
      const code = error instanceof NsLlmError && error.code === "no_deployment" ? "no_deployment" : "chain_unreachable";
      followError = new FollowError(code, scrub(`not following the chain: ${firstLine(error)}`), { transient: true });
      const delay = Math.min(FOLLOW_RETRY.maxMs, FOLLOW_RETRY.baseMs * 2 ** tries++);
      p.log(`${followError.message} (trying again in ${delay / 1000} s)`);
      if (!stopped) retry = setTimeout(() => void follow(), delay);
    }
  };

  return {
    get follower() {
      return follower;
    },
    start: follow,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await follower?.stop();
    },
    pending: () => follower?.pending() ?? [],
    health() {
      const s = follower?.status();
      return {
        enabled: true,
        chainId: s?.chainId ?? 0,
        registry: s?.registry ?? "",
        syncedBlock: s?.syncedBlock ?? null,
        lag: s?.lag ?? null,
        applied: Object.fromEntries(Object.entries(p.state.appliedRoles()).map(([role, a]) => [role, { version: a.version, cid: a.cid }])),
        applying: s?.applying ?? {},
        // The follower's own report once it runs (it took over any restore failure).
        ...report(),
      };
    },
    state() {
      const s = follower?.status();
      return {
        enabled: true,
        chainId: s?.chainId ?? null,
        registry: s?.registry ?? null,
        syncedBlock: s?.syncedBlock ?? null,
        lag: s?.lag ?? null,
        applied: p.state.appliedRoles(),
        applying: s?.applying ?? {},
        history: p.state.history(20),
        ...report(),
        parameters: p.parameters(),
      };
    },
  };
}

/**
 * The deployment for the chain at `host` (the RPC, as said to people), checked against the chain: its file must exist for the
 * chain's id and its ModelRegistry must have code there (a file from another chain, or from an
 * earlier run of a dev chain, names an empty address).
 */
async function chainDeployment(publicClient: PublicClient, host: string, deploymentFile: string | undefined): Promise<{ deployment: Deployment; chainId: number }> {
  const unreachable = (error: unknown) => new FollowError("chain_unreachable", `the chain at ${host} does not answer: ${firstLine(error)}`, { transient: true });
  let chainId: number;
  try {
    chainId = await publicClient.getChainId();
  } catch (error) {
    throw unreachable(error);
  }
  let deployment: Deployment;
  try {
    deployment = await loadDeployment(chainId, deploymentFile);
  } catch (error) {
    throw new FollowError("no_deployment", error instanceof NsLlmError ? error.describe() : firstLine(error), { transient: true });
  }
  const registry = deployment.contracts.ModelRegistry.address;
  let code: string | undefined;
  try {
    code = await publicClient.getCode({ address: registry });
  } catch (error) {
    throw unreachable(error);
  }
  if (!code || code === "0x") {
    throw new FollowError(
      "no_deployment",
      `chain ${chainId} has no ModelRegistry at ${registry}: the deployment is from another chain or an earlier run (deploy again, or set NS_LLM_DEPLOYMENT)`,
      { transient: true },
    );
  }
  return { deployment, chainId };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}
