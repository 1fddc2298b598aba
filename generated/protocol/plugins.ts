/**
 * Contributor plugins (issue 21): what a plugin package declares (read by the node from its
 * package.json `nsLlm` field), what the node reports about the plugins it runs (GET /api/plugins,
 * /health `plugins`), a plugin's score in an answer's verdict, and the governed `plugins` field of
 * the parameters manifest. Shared by the node (which runs plugins) and the dApp (which renders
 * their panels and proposes the governed field).
 */

/** The hooks a plugin may implement (each an exported function of its module; see node/docs/plugins.md). */
export const PLUGIN_HOOKS = ["answer", "prompt", "answered", "governance", "search"] as const;
export type PluginHook = (typeof PLUGIN_HOOKS)[number];

/**
 * What a plugin may do; the node ignores an output its permissions do not cover (a rewrite
 * without `answer:rewrite` is dropped, a refusal without `answer:refuse` is a score only).
 * `network` keeps `fetch` in the plugin's worker (removed otherwise); `search:source` lets the
 * `search` hook's passages into the node's search answers.
 */
export const PLUGIN_PERMISSIONS = ["answer:rewrite", "answer:refuse", "prompt:rewrite", "metrics", "network", "search:source"] as const;
export type PluginPermission = (typeof PLUGIN_PERMISSIONS)[number];

/** A metric the plugin updates; exposed on /metrics as `ns_llm_plugin_<name>` with a `plugin` label. */
export type PluginMetricDeclaration = {
  name: string;
  type: "counter" | "gauge" | "histogram";
  help: string;
  labels?: string[];
  /** Histogram buckets (upper bounds). */
  buckets?: number[];
};

/** A dashboard panel: which of its metrics, which chart. The dApp renders it without plugin-specific code. */
export type PluginPanel = {
  title: string;
  /** "stat": one number per series; "bars": one bar per series (a label's values); "histogram": the buckets of a histogram. */
  chart: "stat" | "bars" | "histogram";
  /** Metric names as declared (without the ns_llm_plugin_ prefix). */
  metrics: string[];
  /** The label whose values name the series (bars); default: none. */
  by?: string;
  unit?: string;
  description?: string;
};

/** The package.json `nsLlm` field. */
export type PluginDeclaration = {
  hooks: PluginHook[];
  permissions?: PluginPermission[];
  metrics?: PluginMetricDeclaration[];
  panels?: PluginPanel[];
  /** Per-call time budget (ms) and heap (MB) the plugin asks for; the operator's NS_LLM_PLUGIN_* caps win. */
  budget?: { callMs?: number; memoryMb?: number };
};

/** A plugin as the governed field names it: by name, and optionally exact version and package digest. */
export type PluginRef = { name: string; version?: string; digest?: string };

/** `parameters.plugins`: plugins every node must run, and plugins no node may run. */
export type GovernedPlugins = { required?: PluginRef[]; forbidden?: PluginRef[] };

/** One plugin the node loaded (or failed to). */
export type PluginStatus = {
  name: string;
  version: string;
  /** sha256 of the package contents (see node/docs/plugins.md, "Digest"). */
  digest: string;
  /** Where it was loaded from (a folder). */
  location: string;
  hooks: PluginHook[];
  permissions: PluginPermission[];
  /** "running", "forbidden" (by the governed parameters: never called), or "failed" (did not load). */
  state: "running" | "forbidden" | "failed";
  error?: string;
  /** Calls that failed (threw, timed out, ran out of memory) since start; the worker restarts after a timeout or OOM. */
  failures: number;
  restarts: number;
  panels: PluginPanel[];
  metrics: PluginMetricDeclaration[];
};

/** /health `plugins` and GET /api/plugins. */
export type PluginsReport = {
  plugins: PluginStatus[];
  /** Required by the governed parameters and not running here (absent, other version or digest, failed). */
  missing: Array<PluginRef & { reason: string }>;
};

/** A plugin's part of an answer's verdict. */
export type PluginVerdict = {
  plugin: string;
  version: string;
  /** "pass", "refused", or "error" (the call failed: the answer went on without this plugin's verdict). */
  verdict: "pass" | "refused" | "error";
  /** The plugin's last score of the answer, when it gives one. */
  score?: number;
  detail?: string;
  /** Units of the answer the plugin rewrote. */
  rewrites?: number;
};

/** The metric name a plugin's declared metric gets on /metrics. */
export function pluginMetricName(name: string): string {
  return `ns_llm_plugin_${name}`;
}

/** True when `ref` names the plugin `p` (same name, and version and digest when `ref` gives them). */
export function pluginMatches(ref: PluginRef, p: { name: string; version: string; digest: string }): boolean {
  return ref.name === p.name && (ref.version === undefined || ref.version === p.version) && (ref.digest === undefined || ref.digest === p.digest);
}
