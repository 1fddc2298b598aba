export { loadDeployment } from "./deployment.ts";
export { DEV_CHAIN_ID, devAccounts, devChainClient, operatorWallet, publicClientFor, unlockedWallet, type OperatorWallet } from "./clients.ts";
