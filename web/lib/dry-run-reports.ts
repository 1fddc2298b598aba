/**
 * Proposal dry-run reports (issue 16), read in the browser: who reported on a proposal (the
 * NodeReports contract's ProposalReported events, the latest revision of each node), each report's
 * JSON fetched by CID through the node and checked against the digest recorded on chain, and the
 * medians of the verified reports' figures.
 */
import type { Address, Hex, PublicClient } from "viem";
import { nodeReportsAbi, REPORT_VERDICTS, type Deployment, type DryRunReport, type ReportVerdict } from "@ns-llm/contracts";

/** One node's latest report as the chain holds it. */
export type OnChainReport = { node: Address; revision: number; verdict: ReportVerdict; cid: string; digest: Hex; block: bigint };

/** The latest report of every node on `proposalId`, in the order of their first report. */
export async function getProposalReports(client: PublicClient, deployment: Deployment, proposalId: bigint): Promise<OnChainReport[]> {
  const address = deployment.contracts.NodeReports?.address;
  if (!address) return [];
  const events = await client.getContractEvents({
    address,
    abi: nodeReportsAbi,
    eventName: "ProposalReported",
    args: { proposalId },
    fromBlock: BigInt(deployment.startBlock),
    toBlock: "latest",
  });
  const latest = new Map<string, OnChainReport>();
  for (const e of events) {
    const { node, revision, verdict, cid, digest } = e.args;
    if (!node || revision === undefined || verdict === undefined || !cid || !digest) continue;
    const key = node.toLowerCase();
    const report: OnChainReport = { node, revision, verdict: REPORT_VERDICTS[verdict] ?? "None", cid, digest, block: e.blockNumber };
    const seen = latest.get(key);
    if (!seen) latest.set(key, report);
    else if (revision > seen.revision) latest.set(key, report);
  }
  return [...latest.values()];
}

export type FetchedReport = { report: DryRunReport; verified: true } | { error: string; verified: false };

/** Lower-case 0x sha256 of `bytes`, with the browser's own crypto. */
export async function sha256Hex(bytes: Uint8Array): Promise<Hex> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return `0x${[...hash].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The report under `cid`, through the node, only if its bytes hash to `digest`. */
export async function fetchReport(nodeUrl: string, cid: string, digest: Hex): Promise<FetchedReport> {
  let bytes: Uint8Array;
  try {
    const response = await fetch(new URL(`/api/manifests/${encodeURIComponent(cid)}`, nodeUrl), { signal: AbortSignal.timeout(15_000) });
    if (!response.ok) return { verified: false, error: `not retrievable through the node (${response.status})` };
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    return { verified: false, error: `not retrievable through the node (${(error as Error).message})` };
  }
  const actual = await sha256Hex(bytes);
  if (actual !== digest.toLowerCase()) return { verified: false, error: `digest mismatch: the bytes hash to ${actual}, the chain says ${digest}` };
  try {
    return { verified: true, report: JSON.parse(new TextDecoder().decode(bytes)) as DryRunReport };
  } catch {
    return { verified: false, error: "not JSON" };
  }
}

export type ReportSummary = {
  nodes: number;
  byVerdict: Record<Exclude<ReportVerdict, "None">, number>;
  /** Medians over the verified reports that have the figure. */
  medians: { loadMs?: number; tokensPerSecond?: number; firstTokenMs?: number; peakRssBytes?: number; passRate?: number; dimensions?: number };
};

export function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarizeReports(onChain: OnChainReport[], reports: DryRunReport[]): ReportSummary {
  const byVerdict = { Passed: 0, Failed: 0, Refused: 0 };
  for (const r of onChain) if (r.verdict !== "None") byVerdict[r.verdict]++;
  const figure = (key: keyof NonNullable<DryRunReport["figures"]>) => median(reports.map((r) => r.figures?.[key]).filter((v): v is number => typeof v === "number"));
  const medians: ReportSummary["medians"] = {};
  for (const key of ["loadMs", "tokensPerSecond", "firstTokenMs", "peakRssBytes", "passRate", "dimensions"] as const) {
    const m = figure(key);
    if (m !== undefined) medians[key] = m;
  }
  return { nodes: onChain.length, byVerdict, medians };
}
