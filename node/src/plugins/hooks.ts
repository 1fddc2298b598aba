/**
 * The hooks a plugin implements: the inputs the node gives each, the outputs it reads back. A
 * plugin module exports a function per hook it declares (named as the hook), sync or async; every
 * value crosses a worker boundary, so inputs and outputs are plain JSON-like data. An output may
 * carry metric updates (`metrics`) for the metrics the plugin declared (permission `metrics`).
 */

/** An update of a declared metric: inc (counter, gauge), set (gauge), observe (histogram). */
export type MetricUpdate = { name: string; op: "inc" | "set" | "observe"; value?: number; labels?: Record<string, string> };

type WithMetrics = { metrics?: MetricUpdate[] };

/**
 * `answer`: called for each unit of an answer (a sentence, a line or a window) before it is sent,
 * and once more at the end (`final`, `unit` possibly ""). `text` is the answer so far with this unit.
 * Output: `replace` (permission answer:rewrite) is sent instead of the unit; `refuse` (permission
 * answer:refuse) stops the answer, the verdict's layer is "plugin"; `score` is recorded in the verdict.
 */
export type AnswerInput = { prompt: string; unit: string; text: string; final: boolean };
export type AnswerOutput = WithMetrics & { replace?: string; refuse?: string; score?: number } | undefined | void;

/** `prompt`: before generation; `prompt` is the completion prompt or the last user message. Output `prompt` (permission prompt:rewrite) replaces it. */
export type PromptInput = { kind: "complete" | "chat"; prompt: string };
export type PromptOutput = WithMetrics & { prompt?: string } | undefined | void;

/** `answered`: after an answer was recorded (its audit entry); for metrics (latency, verdicts). */
export type AnsweredInput = {
  route: string;
  source: string;
  model: string;
  /** Arrival to the last token (ms). */
  ms: number;
  tokens: number | null;
  finishReason: string | null;
  verdict: "pass" | "refused" | null;
  auditSeq: number | null;
};
export type AnsweredOutput = WithMetrics | undefined | void;

/** `governance`: a step of the chain follower (adoption seen, applied, refused, superseded...), as its audit entry has it. */
export type GovernanceInput = { type: string; role?: string; version?: number; cid?: string; [key: string]: unknown };
export type GovernanceOutput = WithMetrics | undefined | void;

/**
 * `search`: a query of the node's search (the fallback answer when no generation model can answer).
 * Output `results` (permission search:source): passages of the plugin's own sources, at most
 * `limit`, each `text` cut to 2 000 characters; `score` in [0, 1] (default 0.5) ranks them
 * against the local corpus's; `source` names where it came from (a URL, a collection).
 */
export type SearchInput = { query: string; limit: number };
export type SearchHit = { id: string; text: string; source?: string; title?: string; score?: number };
export type SearchOutput = WithMetrics & { results?: SearchHit[] } | undefined | void;

/** A passage the node takes from a plugin's `search` hook: `plugin` is the plugin's package name. */
export type PluginSearchResult = { plugin: string; id: string; text: string; score: number; source?: string; title?: string };

export type HookInputs = { answer: AnswerInput; prompt: PromptInput; answered: AnsweredInput; governance: GovernanceInput; search: SearchInput };
export type HookOutputs = { answer: AnswerOutput; prompt: PromptOutput; answered: AnsweredOutput; governance: GovernanceOutput; search: SearchOutput };
