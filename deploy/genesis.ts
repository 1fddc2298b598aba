/**
 * The genesis allocation of a network: who holds NSG when the contracts are deployed, and how much
 * the treasury (the timelock, which spends only by a vote) holds. On a public network it comes from
 * a JSON file (NS_LLM_GENESIS) or, for a single holder, from NS_LLM_INITIAL_SUPPLY; the dev chain
 * gives its dev accounts 1,000 NSG each instead.
 *
 * The file, amounts in NSG as decimal strings (18 decimals, so "0.5" is allowed):
 *
 *   {
 *     "allocations": [
 *       { "account": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "amount": "400000" },
 *       { "account": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "amount": "350000" }
 *     ],
 *     "treasury": "250000"
 *   }
 */
import { readFile } from "node:fs/promises";
import { getAddress, isAddress, parseEther, zeroAddress, type Address } from "viem";
import { DeploymentSettingsError } from "./errors.ts";

/** `amount` NSG (in wei, 18 decimals) minted to `account` at deployment. */
export type Allocation = { account: Address; amount: bigint };

export type Genesis = {
  allocations: Allocation[];
  /** NSG (wei) minted to the timelock: governance's own, spent only by a passed proposal. */
  treasury: bigint;
};

/** A decimal NSG amount: digits, then at most 18 decimals. */
const NSG_AMOUNT = /^\d+(\.\d{1,18})?$/;

/** Checks a parsed genesis file; `source` names it in errors. */
export function parseGenesis(value: unknown, source: string): Genesis {
  const fail = (what: string): never => {
    throw new DeploymentSettingsError(`${source}: ${what}`, 'see "Deploying to a public network" in the README for the format');
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return fail("is not a JSON object");
  const { allocations, treasury = "0", ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) fail(`unknown field ${unknown.map((k) => `"${k}"`).join(", ")} (allowed: "allocations", "treasury")`);
  if (!Array.isArray(allocations)) return fail(`"allocations" must be a list of {"account", "amount"}`);

  const amountOf = (raw: unknown, where: string): bigint => {
    if (typeof raw !== "string" || !NSG_AMOUNT.test(raw)) return fail(`${where} must be an amount of NSG as a decimal string, e.g. "1000" or "0.5"; got ${JSON.stringify(raw)}`);
    return parseEther(raw);
  };
  const seen = new Set<Address>();
  const parsed = allocations.map((entry: unknown, i): Allocation => {
    const where = `allocations[${i}]`;
    if (typeof entry !== "object" || entry === null) return fail(`${where} must be {"account", "amount"}`);
    const { account, amount, ...extra } = entry as Record<string, unknown>;
    if (Object.keys(extra).length > 0) fail(`${where} has unknown field ${Object.keys(extra).map((k) => `"${k}"`).join(", ")}`);
    if (typeof account !== "string" || !isAddress(account, { strict: false })) return fail(`${where}.account must be an address (0x and 40 hex digits); got ${JSON.stringify(account)}`);
    const checksummed = getAddress(account);
    if (checksummed === zeroAddress) fail(`${where}.account is the zero address, which cannot hold tokens`);
    if (seen.has(checksummed)) fail(`${where}.account ${checksummed} is listed twice (merge its amounts)`);
    seen.add(checksummed);
    const wei = amountOf(amount, `${where}.amount`);
    if (wei === 0n) fail(`${where}.amount is 0 (leave ${checksummed} out instead)`);
    return { account: checksummed, amount: wei };
  });
  return { allocations: parsed, treasury: amountOf(treasury, '"treasury"') };
}

/** Reads and checks the genesis file at `file`. */
export async function readGenesisFile(file: string): Promise<Genesis> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new DeploymentSettingsError(`cannot read the genesis file ${file}: ${(error as Error).message}`, "check the path in NS_LLM_GENESIS");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DeploymentSettingsError(`${file} is not valid JSON: ${(error as Error).message}`, "fix the file");
  }
  return parseGenesis(json, file);
}

/**
 * The genesis `env` asks for: the file NS_LLM_GENESIS names, or NS_LLM_INITIAL_SUPPLY (wei) all
 * held by `deployer`, or undefined when neither is set. Both at once is refused.
 */
export async function genesisFromEnv(deployer: Address, env: NodeJS.ProcessEnv = process.env): Promise<Genesis | undefined> {
  const file = env.NS_LLM_GENESIS?.trim();
  const supply = env.NS_LLM_INITIAL_SUPPLY?.trim();
  if (file && supply) throw new DeploymentSettingsError("both NS_LLM_GENESIS and NS_LLM_INITIAL_SUPPLY are set", "set only one: the genesis file lists every holder");
  if (file) return readGenesisFile(file);
  if (supply) {
    if (!/^\d+$/.test(supply)) throw new DeploymentSettingsError(`NS_LLM_INITIAL_SUPPLY must be a whole number of wei, got "${supply}"`, "e.g. 1000000000000000000000000 for 1,000,000 NSG");
    return { allocations: BigInt(supply) > 0n ? [{ account: getAddress(deployer), amount: BigInt(supply) }] : [], treasury: 0n };
  }
  return undefined;
}
