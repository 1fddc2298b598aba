/** The shapes the client speaks: the protocol's (SPEC.md, "HTTP API of the node"), and its own events. */
export type {
  EmbedRequest,
  EmbedResponse,
  GenerateRequest,
  GenerateResponse,
  GenerateStreamEvent,
  GovernanceResponse as GovernanceState,
  HealthReport as Health,
} from "@ns-llm/contracts";

import type { SyncState } from "./sync.ts";

export type ClientEvent =
  | { type: "breaker"; endpoint: string; state: "closed" | "open" | "half-open" | "isolated" }
  | { type: "health"; endpoint: string; healthy: boolean; degraded: boolean }
  | { type: "retry"; endpoint: string; attempt: number; delayMs: number; error: string }
  | { type: "failover"; from: string; to: string; error: string }
  /** Whether the node runs the chain's current adoptions changed (see sync.ts). */
  | { type: "sync"; endpoint: string; state: SyncState; reason: string | null };
