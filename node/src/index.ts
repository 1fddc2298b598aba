/** The NS-LLM node as a library: start a node in-process, with the configuration `ns-llm serve` reads. */
export { startNode, type RunningNode, type StartNodeOptions } from "./app/index.ts";
export { loadConfig, type Config } from "./config.ts";
export { NsLlmError, isNsLlmError, type NsLlmErrorOptions } from "./errors.ts";
