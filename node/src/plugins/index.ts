/** Contributor plugins (issue 21): loaded from NS_LLM_PLUGINS, each in a worker with a time and heap budget per call. */
export { createPlugins, missingReasons, type Plugins, type PluginsOptions, type AnswerPluginCheck } from "./plugins.ts";
export { packageDigest } from "./digest.ts";
export { readPlugin, resolvePlugin, type PluginPackage } from "./load.ts";
export { PluginWorker, type PluginBudget } from "./host.ts";
export { PluginCallError, PluginLoadError, type PluginFailure } from "./errors.ts";
export type * from "./hooks.ts";
