/**
 * The deployment guard: before a single transaction, refuses governance settings and a genesis
 * allocation under which nobody could ever propose or reach quorum (the token is minted only by
 * the timelock afterwards, so a governance born dead stays dead), and describes who holds the
 * votes at genesis.
 */
import { formatEther, type Address } from "viem";
import type { GovernanceSettings } from "@ns-llm/contracts";
import { DeploymentSettingsError } from "./errors.ts";
import { SETTINGS_ENV } from "./settings.ts";

/** One holder at genesis: `delegated` when its votes count from the first block (it delegated to itself at deployment). */
export type GenesisHolder = { account: Address; amount: bigint; delegated: boolean };

export type GovernancePlan = {
  settings: GovernanceSettings;
  /** Every allocation; an account may appear more than once (dev tokens plus an initial supply). */
  holders: GenesisHolder[];
  /** NSG held by the timelock: it votes only if a passed proposal delegates it. */
  treasury: bigint;
  /** The account that may cancel queued proposals, if any. */
  guardian?: Address;
};

/** Shorter than this, a vote may close before any ballot lands in a block. */
export const MIN_VOTING_PERIOD = 300;
/** Longer than this, no proposal takes effect within a year: governance is as good as stuck. */
export const MAX_DURATION = 365 * 86_400;

/**
 * Throws a {@link DeploymentSettingsError} naming the first setting under which nobody could ever
 * propose, reach quorum, vote or execute:
 * - no NSG allocated to anyone (only the timelock mints, and only by a vote);
 * - a voting period under {@link MIN_VOTING_PERIOD} seconds, or any duration over {@link MAX_DURATION};
 * - a quorum of 0 % (one wei would pass anything) or over 100 %;
 * - a quorum above the votes that could ever be cast (the treasury's NSG count in the supply but
 *   cannot vote before a proposal passes);
 * - a proposal threshold above those votes.
 */
export function checkGovernance(plan: GovernancePlan): void {
  const { settings } = plan;
  const castable = plan.holders.reduce((sum, h) => sum + h.amount, 0n);
  const supply = castable + plan.treasury;
  const refuse = (what: string, hint: string): never => {
    throw new DeploymentSettingsError(what, hint);
  };

  if (castable === 0n) {
    refuse(
      "no NSG is allocated at genesis and only the timelock can mint, so nobody could ever propose",
      "list the holders in a genesis file and set NS_LLM_GENESIS=<file>, or set NS_LLM_INITIAL_SUPPLY=<wei> for the deployer",
    );
  }
  for (const key of ["votingDelay", "votingPeriod", "lateQuorumExtension", "timelockDelay"] as const) {
    if (settings[key] > MAX_DURATION) {
      refuse(`${key} is ${settings[key]} s, over a year, so no proposal would take effect in time`, `set ${SETTINGS_ENV[key]} to at most ${MAX_DURATION}`);
    }
  }
  if (settings.votingPeriod < MIN_VOTING_PERIOD) {
    refuse(`a voting period of ${settings.votingPeriod} s can close before any vote lands`, `set ${SETTINGS_ENV.votingPeriod} to at least ${MIN_VOTING_PERIOD}`);
  }
  if (settings.quorumNumerator === 0) {
    refuse("a quorum of 0 % lets a single vote of one wei pass any proposal", `set ${SETTINGS_ENV.quorumNumerator} between 1 and 100`);
  }
  if (settings.quorumNumerator > 100) {
    refuse(`a quorum of ${settings.quorumNumerator} % can never be reached`, `set ${SETTINGS_ENV.quorumNumerator} between 1 and 100`);
  }
  const quorum = quorumOf(settings, supply);
  if (quorum > castable) {
    refuse(
      `the quorum of ${settings.quorumNumerator} % (${nsg(quorum)}) is above every vote that could ever be cast (${nsg(castable)}; the treasury's ${nsg(plan.treasury)} cannot vote)`,
      `lower the treasury or ${SETTINGS_ENV.quorumNumerator}`,
    );
  }
  const threshold = BigInt(settings.proposalThreshold);
  if (threshold > castable) {
    refuse(
      `the proposal threshold of ${nsg(threshold)} is above every vote that could ever be delegated (${nsg(castable)}), so nobody could propose`,
      `lower ${SETTINGS_ENV.proposalThreshold} or allocate more`,
    );
  }
}

/** The quorum in wei, as GovernorVotesQuorumFraction computes it at the genesis supply. */
export function quorumOf(settings: GovernanceSettings, supply: bigint): bigint {
  return (supply * BigInt(settings.quorumNumerator)) / 100n;
}

/** Who holds the votes at genesis and what it takes to propose and to pass, for a person. */
export function describeGenesis(plan: GovernancePlan): string[] {
  const { settings } = plan;
  const byAccount = new Map<Address, GenesisHolder>();
  for (const h of plan.holders) {
    const seen = byAccount.get(h.account);
    byAccount.set(h.account, { account: h.account, amount: (seen?.amount ?? 0n) + h.amount, delegated: (seen?.delegated ?? false) || h.delegated });
  }
  const holders = [...byAccount.values()];
  const supply = holders.reduce((sum, h) => sum + h.amount, 0n) + plan.treasury;
  const delegated = holders.filter((h) => h.delegated).reduce((sum, h) => sum + h.amount, 0n);
  const threshold = BigInt(settings.proposalThreshold);
  const quorum = quorumOf(settings, supply);
  const share = (amount: bigint) => (supply === 0n ? "0.0" : (Number((amount * 10_000n) / supply) / 100).toFixed(1));
  const row = (who: string, amount: bigint, note: string) => `  ${who.padEnd(42)}  ${nsg(amount).padStart(18)}  ${share(amount).padStart(5)} %  ${note}`;

  const lines = [`genesis: ${nsg(supply)} in all`];
  for (const h of holders) {
    lines.push(row(h.account, h.amount, h.delegated ? "delegated to itself: votes from the first block" : "not delegated: votes once its holder delegates (dApp or NSToken.delegate)"));
  }
  if (plan.treasury > 0n) lines.push(row("treasury (the timelock)", plan.treasury, "spent and delegated only by a passed proposal"));
  const proposers = holders.filter((h) => h.delegated && h.amount >= threshold).length;
  lines.push(`  proposal threshold ${nsg(threshold)}; quorum ${settings.quorumNumerator} % = ${nsg(quorum)}; votes delegated at genesis ${nsg(delegated)}`);
  lines.push(
    `  voting: ${duration(settings.votingDelay)} delay, ${duration(settings.votingPeriod)} period (+${duration(settings.lateQuorumExtension)} after a late quorum), ${duration(settings.timelockDelay)} in the timelock`,
  );
  lines.push(
    proposers > 0
      ? `  ${proposers} account${proposers === 1 ? "" : "s"} can propose at once`
      : `  warning: nobody can propose until holders delegate at least ${nsg(threshold)} to one account`,
  );
  lines.push(delegated >= quorum ? "  the delegated votes reach quorum at once" : `  warning: no proposal can pass until at least ${nsg(quorum)} is delegated`);
  lines.push(plan.guardian ? `  guardian ${plan.guardian}: may cancel a queued proposal during the timelock delay` : "  guardian: none");
  return lines;
}

/** 1234.5 NSG as "1,234.5 NSG". */
export function nsg(wei: bigint): string {
  const [whole, fraction] = formatEther(wei).split(".");
  return `${BigInt(whole!).toLocaleString("en-US")}${fraction ? `.${fraction}` : ""} NSG`;
}

/** Seconds as "2 d", "5 min" or "45 s". */
function duration(seconds: number): string {
  if (seconds >= 86_400 && seconds % 3_600 === 0) return `${+(seconds / 86_400).toFixed(2)} d`;
  if (seconds >= 3_600 && seconds % 60 === 0) return `${+(seconds / 3_600).toFixed(2)} h`;
  if (seconds >= 60) return `${+(seconds / 60).toFixed(2)} min`;
  return `${seconds} s`;
}
