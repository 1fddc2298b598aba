export { loadDeployment } from "./deployment.ts";
export { DEV_CHAIN_ID, devAccounts, operatorWallet, publicClientFor, unlockedWallet, type OperatorWallet } from "./clients.ts";
