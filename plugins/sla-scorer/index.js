/**
 * NS-LLM plugin "sla-scorer": the `answered` hook judges each recorded answer's latency (arrival
 * to last token, queueing included) against the objective in sla.json (`objectiveMs`), and
 * reports it as metrics: the latency histogram, answers met/breached, and the objective itself.
 * sla.json is part of the package, so its digest (and a governed requirement naming it) covers
 * the objective.
 */
import { readFileSync } from "node:fs";

const { objectiveMs } = JSON.parse(readFileSync(new URL("./sla.json", import.meta.url), "utf8"));

/** @param {{ route: string, source: string, model: string, ms: number, tokens: number | null, finishReason: string | null }} input */
export function answered({ source, ms }) {
  const outcome = ms <= objectiveMs ? "met" : "breached";
  return {
    metrics: [
      { name: "sla_answer_seconds", op: "observe", value: ms / 1000, labels: { source } },
      { name: "sla_answers_total", op: "inc", labels: { source, outcome } },
      { name: "sla_objective_seconds", op: "set", value: objectiveMs / 1000 },
    ],
  };
}
