/** Why a plugin could not be loaded (its package, its declaration): the node starts without it and /health says why. */
import { NsLlmError } from "../errors.ts";

export class PluginLoadError extends NsLlmError<"plugin_invalid"> {
  constructor(message: string, hint?: string) {
    super("plugin_invalid", message, hint ? { hint } : {});
  }
}

/** A plugin call that did not give a result: the plugin threw, ran past its time budget, or out of memory. */
export type PluginFailure = "error" | "timeout" | "memory" | "crash";

export class PluginCallError extends NsLlmError<"plugin_failed"> {
  readonly failure: PluginFailure;
  constructor(failure: PluginFailure, message: string) {
    super("plugin_failed", message);
    this.failure = failure;
  }
}
