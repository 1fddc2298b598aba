/**
 * Adoption reports (issue 16): when a canary swap ends, the node publishes what it found as JSON
 * on its IPFS (schema ns-llm.adoption-report/v1) and records its CID, sha256 and verdict with
 * `NodeReports.reportAdoption(role, version, ...)`, signed by its operator account: Passed when
 * the swap completed, Failed when the canary rolled it back. The chain connection is made at the
 * first report; a node without an operator account or a NodeReports contract says so and reports
 * nothing (the audit log and /health still have the outcome).
 */
import type { Address, Hash, PublicClient } from "viem";
import { ADOPTION_REPORT_SCHEMA, nodeReportsAbi, REPORT_VERDICTS, roleId, type AdoptionReport, type CanaryRun, type Role } from "@ns-llm/contracts";
import { loadDeployment, operatorWallet, publicClientFor, type OperatorWallet } from "../chain/index.ts";
import type { IpfsClient } from "../ipfs/index.ts";
import { reportDigest } from "./publish-report.ts";

export type AdoptionReporterParameters = {
  rpcUrl: string;
  deploymentFile: string | undefined;
  operatorKey: `0x${string}` | undefined;
  ipfs: IpfsClient;
  software: string;
};

/** The adoption a canary judged: what `reportAdoption` names. */
export type JudgedAdoption = { role: Role; version: number; cid: string; digest: string; name: string };

export type PublishedAdoptionReport = { report: AdoptionReport; cid: string; digest: `0x${string}`; txHash: Hash; gasUsed: bigint; bytes: number };

export type AdoptionReporter = { report(adoption: JudgedAdoption, run: CanaryRun): Promise<PublishedAdoptionReport> };

type Connection = { publicClient: PublicClient; wallet: OperatorWallet; chainId: number; nodeReports: Address };

export function createAdoptionReporter(p: AdoptionReporterParameters): AdoptionReporter {
  let connection: Promise<Connection> | undefined;
  const connect = async (): Promise<Connection> => {
    const publicClient = publicClientFor(p.rpcUrl);
    const chainId = await publicClient.getChainId();
    const deployment = await loadDeployment(chainId, p.deploymentFile);
    const nodeReports = deployment.contracts.NodeReports?.address;
    if (!nodeReports) throw new Error("the deployment has no NodeReports contract (npm run deploy adds it)");
    const wallet = await operatorWallet(p.rpcUrl, publicClient, p.operatorKey);
    if (!wallet) throw new Error("no operator account to sign reports (set NS_LLM_OPERATOR_KEY)");
    return { publicClient, wallet, chainId, nodeReports };
  };
  // One report at a time: two transactions of one account at once could take the same nonce.
  let queue: Promise<unknown> = Promise.resolve();

  return {
    report(adoption, run) {
      const job = queue.then(async () => {
        connection ??= connect().catch((error) => {
          connection = undefined; // the chain may answer next time
          throw error;
        });
        const { publicClient, wallet, chainId, nodeReports } = await connection;
        const completed = run.state === "completed";
        const report: AdoptionReport = {
          schema: ADOPTION_REPORT_SCHEMA,
          chainId,
          node: wallet.account.address,
          adoption,
          verdict: completed ? "Passed" : "Failed",
          outcome: completed ? "completed" : "rolled_back",
          reasons: run.reasons,
          settings: run.settings,
          candidate: run.candidate,
          current: run.current,
          retried: run.retried,
          software: p.software,
          startedAt: run.startedAt,
          finishedAt: run.endedAt ?? new Date().toISOString(),
        };
        const bytes = new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`);
        const digest = reportDigest(bytes);
        const cid = await p.ipfs.addBytes(bytes);
        const txHash = await wallet.writeContract({
          address: nodeReports,
          abi: nodeReportsAbi,
          functionName: "reportAdoption",
          args: [roleId(adoption.role), BigInt(adoption.version), REPORT_VERDICTS.indexOf(report.verdict), cid, digest],
        });
        const receipt = await publicClient.waitForTransactionReceipt({ hash: txHash });
        if (receipt.status !== "success") throw new Error(`reportAdoption reverted in ${txHash}`);
        return { report, cid, digest, txHash, gasUsed: receipt.gasUsed, bytes: bytes.byteLength };
      });
      queue = job.catch(() => {});
      return job;
    },
  };
}
