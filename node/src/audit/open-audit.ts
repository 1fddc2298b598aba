/**
 * The audit log of a running node, from its configuration: `<home>/audit.db`, batches closed every
 * `auditBatchSize` entries or `auditBatchSeconds`, anchored with NS_LLM_OPERATOR_KEY in the
 * AuditAnchor of the chain at NS_LLM_RPC_URL. Opening never touches the network: the chain is
 * reached at the first anchoring, and a chain that is down only delays anchoring.
 */
import path from "node:path";
import type { Config } from "../config.ts";
import { AuditAnchorer, type AnchorerEvent, type AuditStatus } from "./anchorer.ts";
import { connectAnchor } from "./chain.ts";
import { openAuditLog, type AuditLog } from "./log.ts";

export const AUDIT_DB = "audit.db";

/** The configuration the audit log reads (config.ts `Config`). */
export type AuditConfig = Pick<Config, "home" | "rpcUrl" | "deploymentFile" | "operatorKey"> &
  Partial<Pick<Config, "auditBatchSize" | "auditBatchSeconds">>;

export type OpenAuditParameters = {
  config: AuditConfig;
  /** false (`serve --no-chain`): never anchor; batches still close. Default true. */
  chain?: boolean;
  onEvent?: (event: AnchorerEvent) => void;
};

export type Audit = {
  log: AuditLog;
  anchorer: AuditAnchorer;
  /** For /health (`entries`, `anchoredThrough`) and /metrics. */
  status(): AuditStatus;
  /** Stops anchoring, commits what is queued, closes the database. */
  close(): Promise<void>;
};

/** Opens the node's audit log and starts batching (and anchoring, when a key is set). */
export function openAudit(parameters: OpenAuditParameters): Audit {
  const { config, chain = true } = parameters;
  const log = openAuditLog({ file: path.join(config.home, AUDIT_DB) });
  const { rpcUrl, deploymentFile, operatorKey } = config;
  const anchorer = new AuditAnchorer({
    log,
    batchSize: config.auditBatchSize ?? 100,
    batchIntervalMs: (config.auditBatchSeconds ?? 30) * 1000,
    connect: chain && operatorKey ? () => connectAnchor({ rpcUrl, deploymentFile, operatorKey }) : undefined,
    disabledReason: chain ? "no operator key (set NS_LLM_OPERATOR_KEY)" : "running without a chain (--no-chain)",
    onEvent: parameters.onEvent,
  }).start();
  return {
    log,
    anchorer,
    status: () => anchorer.status(),
    async close() {
      await anchorer.stop();
      await log.close();
    },
  };
}
