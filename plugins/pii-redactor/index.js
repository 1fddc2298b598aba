/**
 * NS-LLM plugin "pii-redactor": the `answer` hook redacts e-mail addresses and phone numbers from
 * each unit of an answer before the node sends it (permission answer:rewrite), counts what it
 * removed (metric pii_redactions_total{kind}), and scores the answer with the number of items
 * redacted so far (0 for a clean answer).
 */
import { redact } from "./redact.js";

/** @param {{ prompt: string, unit: string, text: string, final: boolean }} input */
export function answer({ unit, text }) {
  const r = redact(unit);
  const before = (text.slice(0, text.length - unit.length).match(/\[(email|phone)\]/g) ?? []).length;
  const metrics = [];
  if (r.emails) metrics.push({ name: "pii_redactions_total", op: "inc", value: r.emails, labels: { kind: "email" } });
  if (r.phones) metrics.push({ name: "pii_redactions_total", op: "inc", value: r.phones, labels: { kind: "phone" } });
  return { score: before + r.emails + r.phones, ...(r.text !== unit ? { replace: r.text } : {}), metrics };
}
