"use client";
/**
 * The proposal page's dry-run reports (issue 16): every node that evaluated the proposed manifest
 * in its sandbox, read from the chain (NodeReports), each report fetched by CID through the node
 * and verified against its on-chain digest in the browser; how many ran it, the medians, each
 * node's figures, and the nodes that failed or refused it and why.
 */
import { useQueries, useQuery } from "@tanstack/react-query";
import type { PublicClient } from "viem";
import { usePublicClient } from "wagmi";
import type { DryRunReport } from "@ns-llm/contracts";
import { useApp, useDeployment } from "@/lib/app-context.tsx";
import { fetchReport, getProposalReports, summarizeReports, type OnChainReport } from "@/lib/dry-run-reports.ts";
import { describeError } from "@/lib/errors.ts";
import { shortAddress, shortHex } from "@/lib/format.ts";
import { Badge, type Tone } from "../ui/Badge.tsx";
import { Card } from "../ui/Card.tsx";
import { Notice } from "../ui/Notice.tsx";

const TONE: Record<string, Tone> = { Passed: "good", Failed: "bad", Refused: "warn" };
const ms = (v: number | undefined) => (v === undefined ? "–" : `${v.toFixed(v < 10 ? 1 : 0)} ms`);
const num = (v: number | undefined, unit = "") => (v === undefined ? "–" : `${v.toFixed(1)}${unit}`);
const mib = (v: number | undefined) => (v === undefined ? "–" : `${Math.round(v / 1024 ** 2)} MiB`);
const pct = (v: number | undefined) => (v === undefined ? "–" : `${Math.round(v * 100)} %`);

export function DryRunReports({ proposalId }: { proposalId: bigint }) {
  const client = usePublicClient() as PublicClient | undefined;
  const deployment = useDeployment();
  const { nodeUrl } = useApp();
  const onChain = useQuery({
    queryKey: ["chain", "dry-run-reports", deployment.contracts.NodeReports?.address, String(proposalId)],
    queryFn: () => getProposalReports(client!, deployment, proposalId),
    enabled: Boolean(client),
  });
  const entries = onChain.data ?? [];
  const fetched = useQueries({
    queries: entries.map((r) => ({
      queryKey: ["dry-run-report", nodeUrl, r.cid, r.digest],
      queryFn: () => fetchReport(nodeUrl, r.cid, r.digest),
      staleTime: Infinity,
      retry: 1,
    })),
  });
  if (!deployment.contracts.NodeReports) return null;
  const reports = fetched.map((q) => (q.data?.verified ? q.data.report : undefined));
  const summary = summarizeReports(entries, reports.filter((r): r is DryRunReport => Boolean(r)));

  return (
    <Card title="Dry-runs by nodes" testId="dry-run-reports">
      {onChain.error && <Notice tone="bad">Could not read the reports: {describeError(onChain.error)}</Notice>}
      {onChain.isPending && <p className="muted">Reading the nodes' reports from the chain…</p>}
      {onChain.data && entries.length === 0 && (
        <p className="muted" data-testid="dry-run-none">No node has reported on this proposal yet. Nodes that run dry-runs (NS_LLM_DRY_RUN=1) evaluate the proposed model in a sandbox and report here while the vote is open.</p>
      )}
      {entries.length > 0 && (
        <div className="stack">
          <p data-testid="dry-run-summary">
            <strong>{summary.nodes}</strong> node{summary.nodes === 1 ? "" : "s"} ran it: {summary.byVerdict.Passed} passed, {summary.byVerdict.Failed} failed, {summary.byVerdict.Refused} refused.
            {summary.medians.tokensPerSecond !== undefined && <> Medians: {num(summary.medians.tokensPerSecond, " tokens/s")}, first token {ms(summary.medians.firstTokenMs)},</>}
            {summary.medians.dimensions !== undefined && <> Medians: {summary.medians.dimensions} dimensions,</>}
            {summary.medians.loadMs !== undefined && <> load {ms(summary.medians.loadMs)}, memory {mib(summary.medians.peakRssBytes)}, suite passed {pct(summary.medians.passRate)}.</>}
          </p>
          <table className="table">
            <thead>
              <tr>
                <th>Node</th><th>Verdict</th><th>Load</th><th>Tokens/s</th><th>First token</th><th>Memory</th><th>Dims</th><th>Suite</th><th>Report</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((r, i) => (
                <ReportRow key={r.node} entry={r} report={reports[i]} error={fetched[i]?.data && !fetched[i].data.verified ? fetched[i].data.error : undefined} />
              ))}
            </tbody>
          </table>
          <p className="small muted">Each report is fetched by its CID through your node and shown only when its sha256 equals the digest the node recorded on chain. Anyone can report: judge nodes by their operator address.</p>
        </div>
      )}
    </Card>
  );
}

function ReportRow({ entry, report, error }: { entry: OnChainReport; report: DryRunReport | undefined; error: string | undefined }) {
  const f = report?.figures;
  return (
    <>
      <tr data-testid="dry-run-report" data-node={entry.node} data-verdict={entry.verdict}>
        <td><code title={entry.node}>{shortAddress(entry.node)}</code>{entry.revision > 1 && <span className="small muted"> (rev. {entry.revision})</span>}</td>
        <td><Badge tone={TONE[entry.verdict] ?? "neutral"} testId="dry-run-verdict">{entry.verdict}</Badge></td>
        <td className="num">{ms(f?.loadMs)}</td>
        <td className="num">{num(f?.tokensPerSecond)}</td>
        <td className="num">{ms(f?.firstTokenMs)}</td>
        <td className="num">{mib(f?.peakRssBytes)}</td>
        <td className="num">{f?.dimensions ?? "–"}</td>
        <td className="num">{pct(f?.passRate)}</td>
        <td>
          <code title={entry.cid}>{shortHex(entry.cid, 8)}</code>{" "}
          {report ? <Badge tone="good" testId="dry-run-verified">digest ✓</Badge> : error ? <Badge tone="bad" testId="dry-run-unverified">{error.startsWith("digest") ? "digest ✗" : "unavailable"}</Badge> : null}
        </td>
      </tr>
      {report?.answers && report.answers.length > 0 && (
        <tr>
          <td colSpan={9} className="small">
            <SuiteAnswers report={report} />
          </td>
        </tr>
      )}
      {(report?.reason || error) && (
        <tr>
          <td colSpan={9} className="small" data-testid="dry-run-reason">
            {report?.reason && <>{report.verdict === "Refused" ? "Refused" : "Failed"}: <code>{report.reason.code}</code> {report.reason.message}</>}
            {error && <span className="muted">{error}</span>}
          </td>
        </tr>
      )}
    </>
  );
}

/**
 * The suite's per-prompt results of one report: each prompt, the answer, its time and every check
 * (the governed suite's must contain / must not contain / max latency / JSON / dimensions).
 */
function SuiteAnswers({ report }: { report: DryRunReport }) {
  const answers = report.answers ?? [];
  const passed = answers.filter((a) => a.ok).length;
  const suite = report.suite.id.startsWith("builtin") ? report.suite.id : `${report.suite.name ?? "governed suite"} (${shortHex(report.suite.id, 8)})`;
  return (
    <details data-testid="dry-run-answers">
      <summary>
        Suite <code title={report.suite.id} data-testid="dry-run-suite">{suite}</code>: {passed} of {answers.length} prompts passed
      </summary>
      <table className="table">
        <thead>
          <tr>
            <th>Prompt</th><th>Answer</th><th>Time</th><th>Checks</th>
          </tr>
        </thead>
        <tbody>
          {answers.map((a, i) => (
            <tr key={i} data-testid="dry-run-answer" data-ok={a.ok}>
              <td>{a.prompt}</td>
              <td><code>{a.text}</code></td>
              <td className="num">{ms(a.ms)}</td>
              <td>
                {(a.checks ?? [{ check: "answered", ok: a.ok }]).map((c, j) => (
                  <Badge key={j} tone={c.ok ? "good" : "bad"} testId="dry-run-check">
                    {c.ok ? "✓" : "✗"} {c.check.replaceAll("_", " ")}{c.detail ? `: ${c.detail}` : ""}
                  </Badge>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
