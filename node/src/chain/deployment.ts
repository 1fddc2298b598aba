import { readFile } from "node:fs/promises";
import path from "node:path";
import { CONTRACT_NAMES, type Deployment } from "@ns-llm/contracts";

/** The repository's deployments/ folder (the node package sits in <repo>/node). */
const REPO_DEPLOYMENTS = path.resolve(import.meta.dirname, "../../../deployments");

/**
 * Reads the contract addresses for `chainId`: the file NS_LLM_DEPLOYMENT names, else
 * `deployments/<chainId>.json` in the working directory, else in the repository.
 */
export async function loadDeployment(chainId: number, file?: string): Promise<Deployment> {
  const candidates = file
    ? [path.resolve(file)]
    : [path.resolve("deployments", `${chainId}.json`), path.join(REPO_DEPLOYMENTS, `${chainId}.json`)];
  for (const candidate of candidates) {
    let text: string;
    try {
      text = await readFile(candidate, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    const deployment = JSON.parse(text) as Deployment;
    for (const name of CONTRACT_NAMES) {
      if (!deployment.contracts?.[name]?.address) throw new Error(`${candidate} has no address for ${name}`);
    }
    if (deployment.chainId !== chainId) {
      throw new Error(`${candidate} is for chain ${deployment.chainId}, the RPC serves chain ${chainId}`);
    }
    return deployment;
  }
  throw Object.assign(new Error(`no deployment for chain ${chainId} (looked in ${candidates.join(", ")})`), {
    hint: "run `npm run deploy -- --network localhost` or set NS_LLM_DEPLOYMENT",
  });
}
