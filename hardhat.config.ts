import { createRequire } from "node:module";
import { defineConfig } from "hardhat/config";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import hardhatViemAssertions from "@nomicfoundation/hardhat-viem-assertions";
import hardhatNodeTestRunner from "@nomicfoundation/hardhat-node-test-runner";
import hardhatNetworkHelpers from "@nomicfoundation/hardhat-network-helpers";

const require = createRequire(import.meta.url);

/** solc comes from the `solc` npm package (soljson.js), so compiling never downloads anything. */
const SOLC_VERSION = "0.8.34";
const soljson = require.resolve("solc/soljson.js");

const rpcUrl = process.env.NS_LLM_RPC_URL ?? "http://127.0.0.1:8545";
const deployerKey = process.env.NS_LLM_DEPLOYER_KEY ?? process.env.NS_LLM_OPERATOR_KEY;

export default defineConfig({
  plugins: [hardhatViem, hardhatViemAssertions, hardhatNodeTestRunner, hardhatNetworkHelpers],
  solidity: {
    version: SOLC_VERSION,
    path: soljson,
    settings: {
      evmVersion: "cancun",
      // The governor is over the 24 KiB code size limit without the optimizer.
      optimizer: { enabled: true, runs: 200 },
    },
  },
  paths: {
    tests: { nodejs: "test/contracts" },
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    localhost: {
      type: "http",
      chainType: "l1",
      url: rpcUrl,
    },
    custom: {
      type: "http",
      chainType: "l1",
      url: rpcUrl,
      accounts: deployerKey ? [deployerKey] : [],
    },
  },
});
