export { loadDeployment } from "./deployment.ts";
export { DEV_CHAIN_ID, devAccounts, devChainClient, operatorWallet, publicClientFor, unlockedWallet, type OperatorWallet, type PublicClientOptions } from "./clients.ts";
export { createAnswerWatch, type AnswerWatch } from "./answer-watch.ts";
export { redactRpcUrl, scrubRpcUrl } from "./rpc-url.ts";
