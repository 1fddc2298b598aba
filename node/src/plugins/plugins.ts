/**
 * The node's contributor plugins: each listed plugin loaded (package read, digest computed), run in
 * a worker of its own (host.ts), its declared metrics registered on /metrics with a `plugin` label,
 * and its hooks offered to the parts of the node that call them:
 *
 *   answer      -> the validation layer "plugin" (validation/plugin-layer.ts), per unit before it is sent
 *   prompt      -> `rewritePrompt`, before a generation request runs
 *   answered    -> `answered`, after an answer's audit entry is written (fire and forget)
 *   governance  -> `governance`, for each step of the chain follower and each published dry-run report (fire and forget)
 *   search      -> `search`, passages of the plugins' sources for the node's search answers
 *
 * The governed `parameters.plugins` decides, at each call, which plugins run: a forbidden one is
 * never called; a required one this node does not run is listed in `report().missing` (/health).
 * A failed call (throw, time budget, heap) is counted, and the answer goes on without it.
 */
import type { GovernedPlugins, PluginHook, PluginMetricDeclaration, PluginRef, PluginsReport, PluginStatus, PluginVerdict } from "@ns-llm/contracts";
import { pluginMatches, pluginMetricName } from "@ns-llm/contracts";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { PluginCallError, type PluginFailure } from "./errors.ts";
import type { AnsweredInput, AnswerOutput, GovernanceInput, MetricUpdate, PluginSearchResult, PromptOutput, SearchOutput } from "./hooks.ts";
import { PluginWorker, type PluginBudget } from "./host.ts";
import { readPlugin, resolvePlugin, type PluginPackage } from "./load.ts";

export type PluginsOptions = {
  /** NS_LLM_PLUGINS: folders and npm package names. */
  specs: readonly string[];
  /** Where npm names and relative folders are resolved from (the node's working folder). */
  from: string;
  /** The operator's caps (NS_LLM_PLUGIN_CALL_MS, NS_LLM_PLUGIN_MEMORY_MB): a plugin's own budget may only be lower. */
  budget: { callMs: number; memoryMb: number };
  /** The governed `parameters.plugins` in force (GovernedState.plugins), read at each call. */
  governed: () => Readonly<GovernedPlugins>;
  registry: Registry;
  log?: (line: string) => void;
};

type Loaded = { spec: string; pkg: PluginPackage; worker: PluginWorker; failures: number; restarts: number };
type Failed = { spec: string; error: string; pkg?: PluginPackage };

/** One answer's plugin checks (the validation layer's view). */
export type AnswerPluginCheck = {
  /** Runs every answer plugin on `unit`: the unit to send (possibly rewritten), or the refusal. */
  check(unit: string, text: string, final: boolean): Promise<{ unit: string; refusal?: string }>;
  verdicts(): PluginVerdict[];
};

export type Plugins = {
  /** Whether a plugin with an `answer` hook runs now (answers are then checked unit by unit). */
  answering(): boolean;
  beginAnswer(prompt: string): AnswerPluginCheck;
  rewritePrompt(kind: "complete" | "chat", prompt: string): Promise<string>;
  answered(input: AnsweredInput): void;
  governance(event: GovernanceInput): void;
  /** Whether a plugin with a `search` hook (and permission search:source) runs now. */
  searching(): boolean;
  /** Every search plugin's passages for `query` (each at most `limit`, texts cut), best first; a failed call adds nothing. */
  search(query: string, limit: number): Promise<PluginSearchResult[]>;
  report(): PluginsReport;
  /** The plugins `governed` requires that this node would not run (a proposal's dry-run). */
  lacking(governed: Readonly<GovernedPlugins>): PluginsReport["missing"];
  close(): Promise<void>;
};

/** The most characters of a plugin's passage (and of its id, title, source) the node keeps. */
const MAX_PASSAGE_CHARS = 2_000;
const MAX_LABEL_CHARS = 200;

const SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export async function createPlugins(o: PluginsOptions): Promise<Plugins> {
  const log = o.log ?? (() => {});
  const registers = [o.registry];
  const calls = new Counter({ name: "ns_llm_plugin_calls_total", help: "Plugin hook calls by plugin, hook and outcome (ok, error, timeout, memory, crash)", labelNames: ["plugin", "hook", "outcome"], registers });
  const callSeconds = new Histogram({ name: "ns_llm_plugin_call_seconds", help: "Time of a plugin hook call as the node waits for it (worker round trip included)", labelNames: ["plugin", "hook"], buckets: SECONDS, registers });
  const restarts = new Counter({ name: "ns_llm_plugin_restarts_total", help: "Plugin workers stopped and restarted (time budget, heap, crash)", labelNames: ["plugin", "reason"], registers });
  const declared = new Map<string, { decl: PluginMetricDeclaration; metric: Counter<string> | Gauge<string> | Histogram<string> }>();

  const loaded: Loaded[] = [];
  const failed: Failed[] = [];
  for (const spec of o.specs) {
    let pkg: PluginPackage | undefined;
    try {
      pkg = await readPlugin(await resolvePlugin(spec, o.from));
      if (loaded.some((l) => l.pkg.name === pkg!.name)) throw new Error(`${pkg.name} is listed twice`);
      for (const m of pkg.declaration.metrics) registerMetric(m);
      const budget: PluginBudget = {
        callMs: Math.min(o.budget.callMs, pkg.declaration.budget?.callMs ?? Infinity),
        memoryMb: Math.min(o.budget.memoryMb, pkg.declaration.budget?.memoryMb ?? Infinity),
        startMs: 10_000,
      };
      const entry: Loaded = { spec, pkg, failures: 0, restarts: 0, worker: undefined as unknown as PluginWorker };
      const name = pkg.name;
      entry.worker = new PluginWorker({
        entry: pkg.entry,
        network: pkg.declaration.permissions.includes("network"),
        budget,
        onRestart: (why) => {
          entry.restarts++;
          restarts.inc({ plugin: name, reason: why });
        },
      });
      await entry.worker.start();
      loaded.push(entry);
      log(`plugin ${pkg.name}@${pkg.version} (${pkg.digest.slice(0, 12)}) loaded from ${pkg.location}: ${pkg.declaration.hooks.join(", ")}`);
    } catch (error) {
      const message = error instanceof PluginCallError ? `it does not start: ${error.message}` : (error as Error).message;
      failed.push({ spec, error: message, ...(pkg ? { pkg } : {}) });
      log(`plugin ${spec} not loaded: ${message}`);
    }
  }

  function registerMetric(m: PluginMetricDeclaration): void {
    const have = declared.get(m.name);
    if (have) {
      if (have.decl.type !== m.type || String(have.decl.labels ?? []) !== String(m.labels ?? [])) throw new Error(`metric ${m.name} is declared by another plugin with another type or labels`);
      return;
    }
    const common = { name: pluginMetricName(m.name), help: m.help || m.name, labelNames: ["plugin", ...(m.labels ?? [])], registers };
    const metric = m.type === "counter" ? new Counter(common) : m.type === "gauge" ? new Gauge(common) : new Histogram({ ...common, ...(m.buckets?.length ? { buckets: m.buckets } : {}) });
    declared.set(m.name, { decl: m, metric });
  }

  function forbidden(p: PluginPackage): boolean {
    return (o.governed().forbidden ?? []).some((ref) => pluginMatches(ref, p));
  }
  const withHook = (hook: PluginHook) => loaded.filter((l) => l.pkg.declaration.hooks.includes(hook) && !forbidden(l.pkg));
  const may = (l: Loaded, permission: string) => (l.pkg.declaration.permissions as string[]).includes(permission);

  function applyMetrics(l: Loaded, updates: unknown): void {
    if (!Array.isArray(updates) || !may(l, "metrics")) return;
    for (const u of updates as MetricUpdate[]) {
      const d = declared.get(u?.name);
      if (!d || !l.pkg.declaration.metrics.some((m) => m.name === u.name)) continue;
      const labels: Record<string, string> = { plugin: l.pkg.name };
      for (const name of d.decl.labels ?? []) labels[name] = String(u.labels?.[name] ?? "");
      const value = typeof u.value === "number" && Number.isFinite(u.value) ? u.value : 1;
      try {
        if (d.metric instanceof Counter && u.op === "inc") d.metric.inc(labels, Math.max(0, value));
        else if (d.metric instanceof Gauge && u.op === "set") d.metric.set(labels, value);
        else if (d.metric instanceof Gauge && u.op === "inc") d.metric.inc(labels, value);
        else if (d.metric instanceof Histogram && u.op === "observe") d.metric.observe(labels, value);
      } catch {
        // a malformed update is dropped, never the node's problem
      }
    }
  }

  /** Calls `hook` of `l`: its output (metrics applied), or undefined when the call failed (counted). */
  async function call<T>(l: Loaded, hook: PluginHook, input: unknown): Promise<{ ok: true; output: T } | { ok: false; failure: PluginFailure; message: string }> {
    const end = callSeconds.startTimer({ plugin: l.pkg.name, hook });
    try {
      const output = (await l.worker.call(hook, input)) as T;
      calls.inc({ plugin: l.pkg.name, hook, outcome: "ok" });
      if (output && typeof output === "object") applyMetrics(l, (output as { metrics?: unknown }).metrics);
      return { ok: true, output };
    } catch (error) {
      const failure = error instanceof PluginCallError ? error.failure : "error";
      l.failures++;
      calls.inc({ plugin: l.pkg.name, hook, outcome: failure });
      log(`plugin ${l.pkg.name} ${hook}: ${failure}: ${(error as Error).message}`);
      return { ok: false, failure, message: (error as Error).message };
    } finally {
      end();
    }
  }

  const status = (l: Loaded | Failed): PluginStatus => {
    const pkg = l.pkg;
    const base = {
      name: pkg?.name ?? l.spec,
      version: pkg?.version ?? "",
      digest: pkg?.digest ?? "",
      location: pkg?.location ?? l.spec,
      hooks: pkg?.declaration.hooks ?? [],
      permissions: pkg?.declaration.permissions ?? [],
      panels: pkg?.declaration.panels ?? [],
      metrics: pkg?.declaration.metrics ?? [],
    };
    if ("error" in l) return { ...base, state: "failed", error: l.error, failures: 0, restarts: 0 };
    return { ...base, state: forbidden(l.pkg) ? "forbidden" : "running", failures: l.failures, restarts: l.restarts };
  };

  return {
    answering: () => withHook("answer").length > 0,

    beginAnswer(prompt) {
      const plugins = withHook("answer");
      const verdicts = new Map<Loaded, PluginVerdict>(plugins.map((l) => [l, { plugin: l.pkg.name, version: l.pkg.version, verdict: "pass" }]));
      return {
        async check(unit, text, final) {
          const before = text.slice(0, text.length - unit.length);
          for (const l of plugins) {
            const v = verdicts.get(l)!;
            if (v.verdict === "error") continue; // a plugin that failed on this answer is not asked again for it
            const r = await call<AnswerOutput>(l, "answer", { prompt, unit, text: before + unit, final });
            if (!r.ok) {
              Object.assign(v, { verdict: "error", detail: `${r.failure}: ${r.message}` });
              continue;
            }
            const out = r.output ?? {};
            if (typeof out.score === "number" && Number.isFinite(out.score)) v.score = Math.round(out.score * 1e4) / 1e4;
            if (typeof out.replace === "string" && out.replace !== unit && may(l, "answer:rewrite")) {
              unit = out.replace;
              v.rewrites = (v.rewrites ?? 0) + 1;
            }
            if (typeof out.refuse === "string" && out.refuse) {
              if (may(l, "answer:refuse")) {
                Object.assign(v, { verdict: "refused", detail: out.refuse });
                return { unit, refusal: `${l.pkg.name}: ${out.refuse}` };
              }
              v.detail = `would refuse (no answer:refuse permission): ${out.refuse}`;
            }
          }
          return { unit };
        },
        verdicts: () => [...verdicts.values()],
      };
    },

    async rewritePrompt(kind, prompt) {
      for (const l of withHook("prompt")) {
        const r = await call<PromptOutput>(l, "prompt", { kind, prompt });
        if (r.ok && typeof r.output?.prompt === "string" && may(l, "prompt:rewrite")) prompt = r.output.prompt;
      }
      return prompt;
    },

    answered(input) {
      for (const l of withHook("answered")) void call(l, "answered", input);
    },

    governance(event) {
      const plain = JSON.parse(JSON.stringify(event, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) as GovernanceInput;
      for (const l of withHook("governance")) void call(l, "governance", plain);
    },

    searching: () => withHook("search").some((l) => may(l, "search:source")),

    async search(query, limit) {
      const asked = withHook("search").filter((l) => may(l, "search:source"));
      const answers = await Promise.all(asked.map((l) => call<SearchOutput>(l, "search", { query, limit })));
      const results: PluginSearchResult[] = [];
      answers.forEach((r, i) => {
        if (!r.ok || !Array.isArray(r.output?.results)) return;
        const plugin = asked[i]!.pkg.name;
        for (const hit of r.output.results.slice(0, limit)) {
          if (!hit || typeof hit.text !== "string" || !hit.text.trim()) continue;
          const label = (v: unknown) => (typeof v === "string" && v ? v.slice(0, MAX_LABEL_CHARS) : undefined);
          const score = typeof hit.score === "number" && Number.isFinite(hit.score) ? Math.min(1, Math.max(0, hit.score)) : 0.5;
          const source = label(hit.source);
          const title = label(hit.title);
          results.push({ plugin, id: label(hit.id) ?? String(results.length), text: hit.text.slice(0, MAX_PASSAGE_CHARS), score, ...(source ? { source } : {}), ...(title ? { title } : {}) });
        }
      });
      return results.sort((a, b) => b.score - a.score);
    },

    report() {
      return { plugins: [...loaded.map(status), ...failed.map(status)], missing: lacking(o.governed()) };
    },

    lacking: (governed) => lacking(governed),

    async close() {
      await Promise.all(loaded.map((l) => l.worker.close()));
    },
  };

  function lacking(governed: Readonly<GovernedPlugins>): PluginsReport["missing"] {
    const banned = (p: PluginPackage) => (governed.forbidden ?? []).some((ref) => pluginMatches(ref, p));
    const missing: PluginsReport["missing"] = [];
    for (const ref of governed.required ?? []) {
      if (loaded.some((l) => pluginMatches(ref, l.pkg) && !banned(l.pkg))) continue;
      missing.push({ ...ref, reason: whyMissing(ref, banned) });
    }
    return missing;
  }

  function whyMissing(ref: PluginRef, banned: (p: PluginPackage) => boolean): string {
    const same = loaded.find((l) => l.pkg.name === ref.name);
    if (same) {
      if (banned(same.pkg)) return "also forbidden";
      if (ref.version !== undefined && ref.version !== same.pkg.version) return `runs version ${same.pkg.version}, not ${ref.version}`;
      return `runs digest ${same.pkg.digest}, not ${ref.digest}`;
    }
    const broken = failed.find((f) => f.pkg?.name === ref.name || f.spec === ref.name);
    if (broken) return `not loaded: ${broken.error}`;
    return "not installed (add it to NS_LLM_PLUGINS)";
  }
}

/** "Plugin x required by the governed parameters is missing: why" for each missing one (/health's reasons). */
export function missingReasons(report: Pick<PluginsReport, "missing">): string[] {
  return report.missing.map((m) => `plugin ${m.name}${m.version ? `@${m.version}` : ""} required by the governed parameters is missing: ${m.reason}`);
}
