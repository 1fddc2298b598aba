/** The messages between a node and its dry-run sandbox process (sandbox-child.ts), over IPC. */
import type { DryRunAnswer } from "@ns-llm/contracts";

/** A prompt as the sandbox runs it: `json` asks for JSON output. */
export type SandboxPrompt = { prompt: string; json?: boolean };

/** What the sandbox measured for one prompt; `ok` = completed with text (generation), a unit vector of the declared length (embedding). */
export type SandboxAnswer = DryRunAnswer & { dimensions?: number; unit?: boolean };

export type SandboxJob =
  | { role: "generation"; modelPath: string; name: string; threads: number; contextSize: number; prompts: SandboxPrompt[]; maxTokens: number; gpuLayerCap?: number }
  | { role: "embedding"; model: string; tokenizer?: string; name: string; dimensions: number; prompts: SandboxPrompt[] };

export type SandboxResult =
  | { ok: true; loadMs: number; answers: SandboxAnswer[]; dimensions?: number; embedMs?: number; rssBytes: number }
  | { ok: false; stage: "load" | "evaluate"; message: string; loadMs?: number; rssBytes: number };

export type SandboxMessage = { type: "rss"; bytes: number } | { type: "result"; result: SandboxResult };
