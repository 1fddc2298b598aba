/**
 * `npm start`: the whole local stack on embedded defaults (SPEC.md): a Hardhat network, the
 * contracts, the NS-LLM node with the demo models, the genesis adoptions, the gateway and the
 * dApp. Ctrl-C stops everything. Ports: NS_LLM_CHAIN_PORT, NS_LLM_PORT, NS_LLM_GATEWAY_PORT,
 * NS_LLM_WEB_PORT; data: NS_LLM_HOME (default ./.ns-llm). The node and the gateway get an API
 * token (NS_LLM_API_TOKEN, else a new random one each start), and so does the dApp; writes need it.
 */
import path from "node:path";
import { startStack, type Stack } from "./stack/start-stack.ts";
import { StackError } from "./stack/ports.ts";
import { REPO_ROOT } from "./stack/web.ts";

function port(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    console.error(`error: ${name} must be a port number, got "${value}" (unset it or pick 1-65535)`);
    process.exit(2);
  }
  return n;
}

/** The operator's token, or undefined for a new one; a blank one is a mistake, said at once. */
function operatorToken(): string | undefined {
  const value = process.env.NS_LLM_API_TOKEN;
  if (value === undefined || value === "") return undefined;
  if (value.trim() === "") {
    console.error('error: NS_LLM_API_TOKEN is blank (set a token, e.g. NS_LLM_API_TOKEN=$(openssl rand -hex 32), or unset it and npm start makes one)');
    process.exit(2);
  }
  return value.trim();
}

const apiToken = operatorToken();
const home = path.resolve(REPO_ROOT, process.env.NS_LLM_HOME ?? ".ns-llm");
const deploymentsDir = process.env.NS_LLM_DEPLOYMENT ? path.dirname(path.resolve(process.env.NS_LLM_DEPLOYMENT)) : path.join(REPO_ROOT, "deployments");
const started = Date.now();
console.log("Starting NS-LLM (Ctrl-C stops everything)");

let stack: Stack;
try {
  stack = await startStack({
    ports: {
      chain: port("NS_LLM_CHAIN_PORT", 8545),
      node: port("NS_LLM_PORT", 5555),
      gateway: port("NS_LLM_GATEWAY_PORT", 3009),
      web: port("NS_LLM_WEB_PORT", 3000),
    },
    home,
    deploymentsDir,
    web: process.env.NS_LLM_NO_WEB !== "1",
    webDistDir: process.env.NS_LLM_WEB_DIST_DIR,
    progress: (line) => console.log(`  ${line}`),
    ...(apiToken ? { apiToken } : {}),
  });
} catch (error) {
  const hint = error instanceof StackError ? ` (${error.hint})` : "";
  console.error(`error: ${(error as Error).message}${hint}`);
  process.exit(1);
}

const rel = (p: string) => path.relative(process.cwd(), p) || ".";
const c = stack.deployment.contracts;
console.log(`
NS-LLM is up in ${((Date.now() - started) / 1000).toFixed(1)} s
${stack.urls.web ? `
  dApp        ${stack.urls.web}` : ""}
  node API    ${stack.urls.node}   (/health, /metrics, OpenAI-compatible /v1)
  gateway     ${stack.urls.gateway}   (/generate, /embed, /search)
  chain       ${stack.urls.chain}   (chain id ${stack.deployment.chainId})

  contracts   ${rel(stack.deploymentFile)}
    NSGovernor    ${c.NSGovernor.address}
    ModelRegistry ${c.ModelRegistry.address}
    AuditAnchor   ${c.AuditAnchor.address}
  genesis     generation ${stack.genesis.generation.name}  ipfs://${stack.genesis.generation.cid}
              embedding  ${stack.genesis.embedding.name}   ipfs://${stack.genesis.embedding.cid}
              parameters ${stack.genesis.parameters.name}  ipfs://${stack.genesis.parameters.cid}

  dev accounts (1,000 NSG each, self-delegated; Hardhat's public test keys, never use them elsewhere)
${stack.accounts.map((a) => `    ${a.address}  ${a.privateKey}`).join("\n")}

  data        ${rel(home)}   logs: ${rel(stack.logDir)}/*.log

  API token   ${apiToken ? "yours (NS_LLM_API_TOKEN)" : "made for this run (set NS_LLM_API_TOKEN to choose it)"}: writes to the node and
              every gateway route need it; the dApp has it. Reads of the node from this machine do not.
    export NS_LLM_API_TOKEN=${stack.apiToken}
    curl -H "authorization: Bearer $NS_LLM_API_TOKEN" -H 'content-type: application/json' \\
         -d '{"prompt":"Hello"}' ${stack.urls.gateway}/generate
`);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping every service...`);
  await stack.stop();
  console.log("stopped");
  process.exit(0);
};
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
