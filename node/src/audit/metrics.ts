/**
 * The audit log's figures on the node's /metrics, read from its status at scrape time: entries,
 * entries not yet anchored, the last anchored sequence number, anchoring failures and gas spent.
 */
import { Gauge, type Registry } from "prom-client";
import type { AuditStatus } from "./anchorer.ts";

export function registerAuditMetrics(registry: Registry, status: () => AuditStatus, prefix = "ns_llm_"): void {
  const gauge = (name: string, help: string, read: (s: AuditStatus) => number) =>
    new Gauge({
      name: `${prefix}${name}`,
      help,
      registers: [registry],
      collect() {
        this.set(read(status()));
      },
    });
  gauge("audit_entries", "Entries in the audit log", (s) => s.entries);
  gauge("audit_pending_entries", "Entries not yet covered by an anchored batch", (s) => s.entries - ((s.anchoredThrough ?? -1) + 1));
  gauge("audit_anchored_through", "Last sequence number covered by anchored batches (-1: none)", (s) => s.anchoredThrough ?? -1);
  gauge("audit_pending_batches", "Closed batches waiting to be anchored", (s) => s.pendingBatches);
  gauge("audit_anchor_failures", "Failed anchoring attempts since the node started", (s) => s.anchorFailures);
  gauge("audit_gas_spent", "Gas used by every recorded anchoring", (s) => s.gasSpent);
}
