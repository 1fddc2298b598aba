/**
 * `ns-llm status [--url URL] [--json]`: the node's /health, for a person (or as JSON). Reads
 * NS_LLM_HOST/NS_LLM_PORT (and NS_LLM_API_TOKEN) like `serve`.
 */
import { output, parseCommandArgs, type Command } from "../command.ts";
import { UserError } from "../errors.ts";
import { loadConfig } from "../../config.ts";
import type { HealthReport } from "@ns-llm/contracts";

const command: Command = {
  name: "status",
  usage: "status [--url URL] [--json]",
  summary: "the node's health, for a person",
  async run(args) {
    const { values } = parseCommandArgs(args, { url: { type: "string" }, json: { type: "boolean" } }, { usage: "usage: ns-llm status [--url URL] [--json]" });
    const config = loadConfig();
    const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
    const base = (values.url ?? `http://${host.includes(":") ? `[${host}]` : host}:${config.port}`).replace(/\/+$/, "");
    let response: Response;
    try {
      response = await fetch(`${base}/health`, {
        headers: config.apiToken ? { authorization: `Bearer ${config.apiToken}` } : {},
        signal: AbortSignal.timeout(5000),
      });
    } catch {
      throw new UserError(`no node answers at ${base}`, "start one with `ns-llm serve`, or pass --url");
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
      throw new UserError(`${base}/health answered ${response.status}: ${body.error?.message ?? response.statusText}`, "check NS_LLM_API_TOKEN");
    }
    const h = (await response.json()) as HealthReport;
    output(values.json === true, h, () => console.log(describe(base, h)));
  },
};

/** /health as a few aligned lines. */
export function describe(base: string, h: HealthReport): string {
  const role = (r: HealthReport["generation"] | HealthReport["embedding"]) =>
    r.ready ? `ready  ${r.model}${r.manifest ? `  (manifest ${r.manifest})` : ""}` : `not loaded${r.error ? `: ${r.error}` : ""}`;
  const g = h.governance;
  const governance = g.enabled
    ? `chain ${g.chainId}, registry ${g.registry}, synced block ${g.syncedBlock ?? "-"}, lag ${g.lag ?? "-"}`
    : g.reason;
  const audit = h.audit.entries === null ? "disabled" : `${h.audit.entries} ${h.audit.entries === 1 ? "entry" : "entries"}, anchored through ${h.audit.anchoredThrough ?? "none"}`;
  const s = h.scheduler;
  const lines = [
    `NS-LLM node at ${base}: ${h.status}`,
    `  generation  ${role(h.generation)}`,
    `  embedding   ${role(h.embedding)}`,
    `  scheduler   ${s.active} running, ${s.queued} waiting (at most ${s.limit} at once, ${s.maxQueue} waiting)`,
    `  governance  ${governance}`,
    `  ipfs        ${h.ipfs.mode}`,
    `  audit       ${audit}`,
    `  search      ${h.search.documents} documents`,
  ];
  if (h.reasons.length) lines.push("  degraded because:", ...h.reasons.map((r) => `    - ${r}`));
  return lines.join("\n");
}

export default command;
