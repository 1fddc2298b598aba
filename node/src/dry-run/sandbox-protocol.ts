/** The messages between a node and its dry-run sandbox process (sandbox-child.ts), over IPC. */
import type { DryRunAnswer } from "@ns-llm/contracts";

export type SandboxJob =
  | { role: "generation"; modelPath: string; name: string; threads: number; contextSize: number; prompts: string[]; maxTokens: number }
  | { role: "embedding"; model: string; tokenizer?: string; name: string; dimensions: number; prompts: string[] };

export type SandboxResult =
  | { ok: true; loadMs: number; answers: DryRunAnswer[]; dimensions?: number; embedMs?: number; rssBytes: number }
  | { ok: false; stage: "load" | "evaluate"; message: string; loadMs?: number; rssBytes: number };

export type SandboxMessage = { type: "rss"; bytes: number } | { type: "result"; result: SandboxResult };
