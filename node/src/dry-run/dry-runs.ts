/**
 * Proposal dry-runs (opt-in, NS_LLM_DRY_RUN=1): watches the governor's ProposalCreated events and,
 * for each proposal that adopts a manifest while its vote is open, evaluates the manifest in the
 * sandbox, publishes the report on IPFS and records it on chain (NodeReports), one proposal at a
 * time. The chain is the memory: a proposal this node already reported on is skipped, so a restart
 * neither repeats nor loses one. Serving never waits for any of it.
 */
import type { Address, PublicClient } from "viem";
import { nodeReportsAbi, nsGovernorAbi, PROPOSAL_STATES, type Deployment, type DryRunEntry, type DryRunStatus, type GovernedPlugins } from "@ns-llm/contracts";
import { loadDeployment, operatorWallet, publicClientFor, type OperatorWallet } from "../chain/index.ts";
import type { IpfsClient } from "../ipfs/index.ts";
import type { ModelStore, SourceFetchers } from "../inference/store/index.ts";
import type { Manifest } from "../manifest/index.ts";
import { evaluateProposal } from "./evaluate-proposal.ts";
import { adoptionOf, type AdoptionAction } from "./proposal-action.ts";
import { publishReport, reportEvent, type DryRunReportEvent } from "./publish-report.ts";
import { BUILTIN_SUITE, type EvaluationSuite } from "./suite.ts";

export type DryRunsParameters = {
  rpcUrl: string;
  deploymentFile: string | undefined;
  operatorKey: `0x${string}` | undefined;
  ipfs: IpfsClient;
  store: ModelStore;
  fetchers: SourceFetchers;
  fetchManifest(cid: string, options: { signal: AbortSignal }): Promise<Uint8Array>;
  parseManifest(bytes: Uint8Array): Manifest;
  memoryBudgetBytes: number;
  /** The suite in force at each dry-run (the adopted `evaluation` manifest's); default the built-in one. */
  suite?: () => EvaluationSuite | undefined;
  pollMs?: number;
  timeoutMs?: number;
  software: string;
  log: (line: string) => void;
  /** The plugins a parameters proposal requires that this node does not run (its report then fails: plugin_missing). */
  missingPlugins?: (plugins: GovernedPlugins) => string[];
  /** Told of each report this node published (the plugins' `governance` hook); must not throw. */
  onReport?: (event: DryRunReportEvent) => void;
  /** The governed cap on GPU layers in force, read at each dry-run: the sandbox loads a generation model under it as serving would. */
  gpuLayerCap?: () => number | undefined;
};

export type DryRuns = { start(): void; stop(): Promise<void>; status(): DryRunStatus };

const LOG_RANGE = 5_000n;
const MAX_TRIES = 3;

export function createDryRuns(p: DryRunsParameters): DryRuns {
  const abort = new AbortController();
  const entries = new Map<string, DryRunEntry>();
  const retries = new Map<string, { action: AdoptionAction; tries: number }>();
  let reason: string | undefined = "connecting to the chain";
  let operator: Address | undefined;
  let loop: Promise<void> | undefined;
  const log = (line: string) => p.log(`dry-run: ${line}`);
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    abort.signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

  async function connect(): Promise<{ publicClient: PublicClient; deployment: Deployment; wallet: OperatorWallet; chainId: number; nodeReports: Address } | undefined> {
    for (let delay = 1_000; !abort.signal.aborted; delay = Math.min(delay * 2, 30_000)) {
      try {
        const publicClient = publicClientFor(p.rpcUrl, p.pollMs ?? 1_000);
        const chainId = await publicClient.getChainId();
        const deployment = await loadDeployment(chainId, p.deploymentFile);
        const nodeReports = deployment.contracts.NodeReports?.address;
        if (!nodeReports) {
          reason = "the deployment has no NodeReports contract (npm run deploy adds it)";
          log(reason);
          return undefined;
        }
        const wallet = await operatorWallet(p.rpcUrl, publicClient, p.operatorKey);
        if (!wallet) {
          reason = "no operator account to sign reports (set NS_LLM_OPERATOR_KEY)";
          log(reason);
          return undefined;
        }
        return { publicClient, deployment, wallet, chainId, nodeReports };
      } catch (error) {
        reason = `chain not reachable yet: ${firstLine(error)}`;
        await sleep(delay);
      }
    }
    return undefined;
  }

  async function run(): Promise<void> {
    const chain = await connect();
    if (!chain) return;
    const { publicClient, deployment, wallet, chainId, nodeReports } = chain;
    operator = wallet.account.address;
    reason = undefined;
    log(`reporting as ${operator}, memory budget ${Math.round(p.memoryBudgetBytes / 1024 ** 2)} MiB`);
    const governor = { address: deployment.contracts.NSGovernor.address, abi: nsGovernorAbi } as const;
    const registry = deployment.contracts.ModelRegistry.address;
    let from = BigInt(deployment.startBlock);
    while (!abort.signal.aborted) {
      try {
        const head = await publicClient.getBlockNumber();
        while (from <= head && !abort.signal.aborted) {
          const to = from + LOG_RANGE - 1n < head ? from + LOG_RANGE - 1n : head;
          const logs = await publicClient.getContractEvents({ ...governor, eventName: "ProposalCreated", fromBlock: from, toBlock: to });
          for (const event of logs) {
            const { proposalId, targets, calldatas } = event.args;
            if (proposalId === undefined || !targets || !calldatas) continue;
            const action = adoptionOf(registry, targets, calldatas);
            if (!action || entries.has(proposalId.toString())) continue;
            entries.set(proposalId.toString(), { proposalId: proposalId.toString(), role: action.role, cid: action.cid, state: "queued" });
            await dryRun(proposalId, action);
          }
          from = to + 1n;
        }
        // A dry-run that could not finish (the chain or IPFS failed under it) is tried again, a few times.
        for (const [id, retry] of retries) {
          if (abort.signal.aborted) break;
          retries.delete(id);
          await dryRun(BigInt(id), retry.action, retry.tries);
        }
      } catch (error) {
        if (!abort.signal.aborted) log(`reading the chain failed: ${firstLine(error)}`);
      }
      await sleep(p.pollMs ?? 1_000);
    }

    async function dryRun(proposalId: bigint, action: AdoptionAction, tries = 0): Promise<void> {
      const entry = entries.get(proposalId.toString())!;
      try {
        const state = PROPOSAL_STATES[await publicClient.readContract({ ...governor, functionName: "state", args: [proposalId] })]!;
        if (state !== "Pending" && state !== "Active") return skip(entry, `the vote is closed (${state})`);
        const previous = await publicClient.readContract({ address: nodeReports, abi: nodeReportsAbi, functionName: "proposalReportOf", args: [proposalId, wallet.account.address] });
        if (previous.revision > 0) return skip(entry, `reported before (revision ${previous.revision})`);
        entry.state = "running";
        log(`proposal ${short(proposalId)}: dry-run of ${action.role} ${action.cid}`);
        const gpuLayerCap = p.gpuLayerCap?.();
        const report = await evaluateProposal({
          adoption: { proposalId, ...action },
          chainId,
          node: wallet.account.address,
          fetchManifest: p.fetchManifest,
          parseManifest: p.parseManifest,
          store: p.store,
          fetchers: p.fetchers,
          suite: p.suite?.() ?? BUILTIN_SUITE,
          memoryBudgetBytes: p.memoryBudgetBytes,
          ...(p.timeoutMs ? { timeoutMs: p.timeoutMs } : {}),
          signal: abort.signal,
          software: p.software,
          ...(p.missingPlugins ? { missingPlugins: p.missingPlugins } : {}),
          ...(gpuLayerCap !== undefined ? { gpuLayerCap } : {}),
        });
        const published = await publishReport({ report, ipfs: p.ipfs, publicClient, wallet, nodeReports });
        Object.assign(entry, {
          state: "reported",
          verdict: report.verdict,
          report: { cid: published.cid, digest: published.digest, txHash: published.txHash, gasUsed: published.gasUsed.toString() },
        } satisfies Partial<DryRunEntry>);
        log(
          `proposal ${short(proposalId)}: ${report.verdict}${report.reason ? ` (${report.reason.code}: ${report.reason.message})` : ""}; report ${published.cid} (${published.bytes} bytes) recorded in ${published.txHash}, gas ${published.gasUsed}`,
        );
        p.onReport?.(reportEvent(report, published));
      } catch (error) {
        if (abort.signal.aborted) return;
        entry.state = "error";
        entry.note = firstLine(error);
        if (tries + 1 < MAX_TRIES) retries.set(proposalId.toString(), { action, tries: tries + 1 });
        log(`proposal ${short(proposalId)}: ${entry.note}`);
      }
    }
  }

  function skip(entry: DryRunEntry, note: string): void {
    entry.state = "skipped";
    entry.note = note;
  }

  return {
    start() {
      loop ??= run().catch((error) => log(`stopped: ${firstLine(error)}`));
    },
    async stop() {
      abort.abort();
      // The sandbox stops at once; a report transaction in flight is not waited for past 5 s.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([loop, new Promise<void>((resolve) => (timer = setTimeout(resolve, 5_000)))]);
      clearTimeout(timer);
    },
    status() {
      return {
        enabled: true,
        ...(reason ? { reason } : {}),
        ...(operator ? { operator } : {}),
        memoryBudgetBytes: p.memoryBudgetBytes,
        proposals: [...entries.values()],
      };
    },
  };
}

function short(id: bigint): string {
  const s = id.toString();
  return s.length > 12 ? `${s.slice(0, 6)}…${s.slice(-4)}` : s;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
}
