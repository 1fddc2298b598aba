/** The dApp's dry-run report reading: a report is shown only when its bytes match the digest on chain; the medians. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import type { DryRunReport } from "@ns-llm/contracts";
import { fetchReport, median, summarizeReports, type OnChainReport } from "../lib/dry-run-reports.ts";

const report = (node: string, verdict: DryRunReport["verdict"], figures?: DryRunReport["figures"]): DryRunReport => ({
  schema: "ns-llm.dry-run-report/v1",
  proposalId: "1",
  chainId: 31337,
  node,
  proposal: { role: "generation", cid: "bafk", digest: "0x00" },
  verdict,
  suite: { id: "builtin/v1", prompts: 5 },
  sandbox: { memoryBudgetBytes: 1024, threads: 1 },
  ...(figures ? { figures } : {}),
  software: "test",
  startedAt: "",
  finishedAt: "",
});
const bytesOf = (r: DryRunReport) => Buffer.from(`${JSON.stringify(r, null, 2)}\n`);
const digestOf = (b: Uint8Array) => `0x${createHash("sha256").update(b).digest("hex")}` as const;

const stored = new Map<string, Buffer>();
const server = createServer((request, response) => {
  const cid = decodeURIComponent(request.url!.replace("/api/manifests/", ""));
  const body = stored.get(cid);
  response.writeHead(body ? 200 : 404, { "content-type": "application/json" }).end(body ?? "{}");
});
let nodeUrl = "";
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  nodeUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

test("a report is accepted when its bytes hash to the on-chain digest, refused otherwise", async () => {
  const good = bytesOf(report("0xa", "Passed"));
  stored.set("good", good);
  const fetched = await fetchReport(nodeUrl, "good", digestOf(good));
  assert.equal(fetched.verified, true);
  assert.equal(fetched.verified && fetched.report.verdict, "Passed");

  stored.set("tampered", bytesOf(report("0xa", "Passed")));
  const tampered = await fetchReport(nodeUrl, "tampered", digestOf(bytesOf(report("0xa", "Failed"))));
  assert.equal(tampered.verified, false);
  assert.match(!tampered.verified ? tampered.error : "", /^digest mismatch/);

  const missing = await fetchReport(nodeUrl, "nowhere", digestOf(good));
  assert.match(!missing.verified ? missing.error : "", /not retrievable through the node \(404\)/);
});

test("the summary counts every node's verdict and takes medians of the verified figures", () => {
  const onChain: OnChainReport[] = (["Passed", "Passed", "Failed", "Refused"] as const).map((verdict, i) => ({ node: `0x${i}` as `0x${string}`, revision: 1, verdict, cid: String(i), digest: "0x00", block: 1n }));
  const figures = (tokensPerSecond: number, loadMs: number) => ({ tokensPerSecond, loadMs, peakRssBytes: 100, passRate: 1, firstTokenMs: 5 });
  const summary = summarizeReports(onChain, [report("0x0", "Passed", figures(100, 10)), report("0x1", "Passed", figures(300, 30)), report("0x2", "Failed")]);
  assert.deepEqual(summary, {
    nodes: 4,
    byVerdict: { Passed: 2, Failed: 1, Refused: 1 },
    medians: { loadMs: 20, tokensPerSecond: 200, firstTokenMs: 5, peakRssBytes: 100, passRate: 1 },
  });
  assert.equal(median([]), undefined);
  assert.equal(median([3, 1, 2]), 2);
});
