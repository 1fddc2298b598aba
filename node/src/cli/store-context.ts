/**
 * The model store as commands open it: under the node's home, with the node's source policy
 * (NS_LLM_ALLOW_PRIVATE_SOURCES, NS_LLM_ALLOW_HTTP_SOURCES; a command does not know the chain,
 * so loopback needs the variable) and its quota and disk reserve.
 */
import type { Config } from "../config.ts";
import { openModelStore, type ModelStore } from "../inference/store/index.ts";
import { createSourcePolicy, type SourcePolicy } from "../manifest/index.ts";

export function sourcePolicyOf(config: Config): SourcePolicy {
  return createSourcePolicy({ ...(config.allowPrivateSources ? { allowPrivate: config.allowPrivateSources } : {}), allowHttp: config.allowHttpSources });
}

export function openConfiguredStore(config: Config): ModelStore {
  return openModelStore(config.home, {
    sourcePolicy: sourcePolicyOf(config),
    limits: { maxStoreBytes: config.maxStoreBytes, minFreeBytes: config.minFreeBytes },
  });
}
