/**
 * The temperature and max-token ranges the chat settings allow: what the node says it enforces
 * (its governed parameters and limits, from /health or /api/governance), else the API's own
 * bounds for temperature (0..2) and a conservative 1..512 tokens.
 */

export type Range = { min: number; max: number; default: number };
export type ChatLimits = { temperature: Range; maxTokens: Range; source: "node" | "defaults" };

export const DEFAULT_LIMITS: ChatLimits = {
  temperature: { min: 0, max: 2, default: 0.7 },
  maxTokens: { min: 1, max: 512, default: 128 },
  source: "defaults",
};

type Loose = Record<string, unknown> | undefined;

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Loose => (v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** `{min, max}`, `[min, max]` or a bare number (a maximum). */
function rangeOf(v: unknown): { min?: number; max?: number } | undefined {
  if (Array.isArray(v) && v.length === 2) return { min: num(v[0]), max: num(v[1]) };
  const o = obj(v);
  if (o) return { min: num(o.min), max: num(o.max) };
  const n = num(v);
  return n === undefined ? undefined : { max: n };
}

/**
 * Reads `limits.{temperature,maxTokens}` (ranges) and `parameters.{temperature,maxTokens}` (the
 * governed default temperature and maximum tokens) from any of the documents given, first found wins.
 */
export function chatLimits(...documents: unknown[]): ChatLimits {
  let temperature = { ...DEFAULT_LIMITS.temperature };
  let maxTokens = { ...DEFAULT_LIMITS.maxTokens };
  let found = false;
  let tempRange = false;
  let tokenRange = false;
  let tempDefault = false;
  for (const doc of documents.map(obj)) {
    if (!doc) continue;
    const limits = obj(doc.limits);
    const params = obj(doc.parameters);
    const t = rangeOf(limits?.temperature);
    if (t && !tempRange) {
      temperature = { ...temperature, min: t.min ?? temperature.min, max: t.max ?? temperature.max };
      tempRange = found = true;
    }
    const m = rangeOf(limits?.maxTokens ?? limits?.maxOutputTokens);
    if (m && !tokenRange) {
      maxTokens = { ...maxTokens, min: m.min ?? maxTokens.min, max: m.max ?? maxTokens.max };
      tokenRange = found = true;
    }
    const p = obj(params);
    if (p && !tempDefault && num(p.temperature) !== undefined) {
      temperature.default = num(p.temperature)!;
      tempDefault = found = true;
    }
    if (p && num(p.maxTokens) !== undefined && !tokenRange) {
      // The governed maxTokens is a cap on every answer.
      maxTokens = { ...maxTokens, max: num(p.maxTokens)! };
      tokenRange = found = true;
    }
  }
  temperature.default = clamp(temperature.default, temperature.min, temperature.max);
  maxTokens.default = clamp(Math.min(maxTokens.default, maxTokens.max), maxTokens.min, maxTokens.max);
  return { temperature, maxTokens, source: found ? "node" : "defaults" };
}

export function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
