/**
 * Finding and reading a plugin package: an operator lists plugins in NS_LLM_PLUGINS as local
 * folders (a path: starts with `.` or `/`) or npm package names (resolved like `import` would,
 * from the node's working folder: installed with `npm install <name>` beside the node). The
 * package's package.json gives its name, version, entry (`exports` "." or `main`, default
 * index.js) and its `nsLlm` declaration (hooks, permissions, metrics, panels, budget).
 */
import { readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { PLUGIN_HOOKS, PLUGIN_PERMISSIONS, type PluginDeclaration, type PluginHook, type PluginPermission } from "@ns-llm/contracts";
import { packageDigest } from "./digest.ts";
import { PluginLoadError } from "./errors.ts";

export type PluginPackage = {
  name: string;
  version: string;
  digest: string;
  /** The package folder. */
  location: string;
  /** The module the worker imports. */
  entry: string;
  declaration: Required<Pick<PluginDeclaration, "hooks" | "permissions" | "metrics" | "panels">> & Pick<PluginDeclaration, "budget">;
};

const METRIC_NAME = /^[a-z_][a-z0-9_]*$/;

/** The folder of the plugin `spec` names (a path, or an npm package resolved from `from`). */
export async function resolvePlugin(spec: string, from: string): Promise<string> {
  if (spec.startsWith(".") || path.isAbsolute(spec)) {
    const folder = path.resolve(from, spec);
    if (!(await stat(folder).then((s) => s.isDirectory(), () => false))) throw new PluginLoadError(`plugin folder ${folder} does not exist`, "check NS_LLM_PLUGINS");
    return folder;
  }
  try {
    return path.dirname(createRequire(path.join(from, "noop.js")).resolve(`${spec}/package.json`));
  } catch {
    throw new PluginLoadError(`plugin package ${spec} is not installed`, `npm install ${spec} in ${from}, or list its folder in NS_LLM_PLUGINS`);
  }
}

/** Reads and checks the package at `folder`; throws PluginLoadError naming what is wrong. */
export async function readPlugin(folder: string): Promise<PluginPackage> {
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(await readFile(path.join(folder, "package.json"), "utf8")) as Record<string, unknown>;
  } catch (error) {
    throw new PluginLoadError(`${folder}/package.json cannot be read: ${(error as Error).message}`);
  }
  const name = pkg.name;
  const version = pkg.version;
  if (typeof name !== "string" || !name) throw new PluginLoadError(`${folder}/package.json has no name`);
  if (typeof version !== "string" || !version) throw new PluginLoadError(`${name}: package.json has no version`);
  const d = pkg.nsLlm as Partial<PluginDeclaration> | undefined;
  if (!d || typeof d !== "object") throw new PluginLoadError(`${name}: package.json has no "nsLlm" declaration`, "declare its hooks: \"nsLlm\": {\"hooks\": [\"answer\"]}");
  const hooks = Array.isArray(d.hooks) ? d.hooks : [];
  if (hooks.length === 0) throw new PluginLoadError(`${name}: nsLlm.hooks is empty`);
  for (const h of hooks) if (!PLUGIN_HOOKS.includes(h)) throw new PluginLoadError(`${name}: unknown hook "${String(h)}" (known: ${PLUGIN_HOOKS.join(", ")})`);
  const permissions = Array.isArray(d.permissions) ? d.permissions : [];
  for (const p of permissions) if (!PLUGIN_PERMISSIONS.includes(p)) throw new PluginLoadError(`${name}: unknown permission "${String(p)}" (known: ${PLUGIN_PERMISSIONS.join(", ")})`);
  const metrics = Array.isArray(d.metrics) ? d.metrics : [];
  for (const m of metrics) {
    if (!m || !METRIC_NAME.test(m.name) || !["counter", "gauge", "histogram"].includes(m.type)) throw new PluginLoadError(`${name}: metric ${JSON.stringify(m)} needs a name [a-z_][a-z0-9_]* and a type counter, gauge or histogram`);
    if (m.labels?.some((l) => !METRIC_NAME.test(l) || l === "plugin")) throw new PluginLoadError(`${name}: metric ${m.name} has a label that is not [a-z_][a-z0-9_]* or is "plugin" (the node's own)`);
  }
  const declared = new Set(metrics.map((m) => m.name));
  const panels = Array.isArray(d.panels) ? d.panels : [];
  for (const panel of panels) {
    if (!panel || typeof panel.title !== "string" || !["stat", "bars", "histogram"].includes(panel.chart) || !Array.isArray(panel.metrics)) {
      throw new PluginLoadError(`${name}: panel ${JSON.stringify(panel)} needs a title, a chart (stat, bars, histogram) and metrics`);
    }
    for (const m of panel.metrics) if (!declared.has(m)) throw new PluginLoadError(`${name}: panel "${panel.title}" shows ${m}, which the plugin does not declare in nsLlm.metrics`);
  }
  const entry = path.resolve(folder, entryOf(pkg));
  if (!(await stat(entry).then((s) => s.isFile(), () => false))) throw new PluginLoadError(`${name}: its entry ${entry} does not exist`);
  return {
    name,
    version,
    digest: await packageDigest(folder),
    location: folder,
    entry,
    declaration: { hooks: hooks as PluginHook[], permissions: permissions as PluginPermission[], metrics, panels, ...(d.budget ? { budget: d.budget } : {}) },
  };
}

function entryOf(pkg: Record<string, unknown>): string {
  const exp = pkg.exports;
  if (typeof exp === "string") return exp;
  if (exp && typeof exp === "object") {
    const dot = (exp as Record<string, unknown>)["."] ?? exp;
    if (typeof dot === "string") return dot;
    const d = dot as Record<string, unknown>;
    for (const k of ["import", "node", "default"]) if (typeof d[k] === "string") return d[k] as string;
  }
  return typeof pkg.main === "string" ? pkg.main : "index.js";
}
