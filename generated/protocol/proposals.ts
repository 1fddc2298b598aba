/** OpenZeppelin Governor's proposal states and vote types, in the contracts' order. */

/** `IGovernor.ProposalState`, index = the value `state(proposalId)` returns. */
export const PROPOSAL_STATES = ["Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed"] as const;
export type ProposalState = (typeof PROPOSAL_STATES)[number];

/** GovernorCountingSimple's vote types (`castVote(proposalId, support)`). */
export const SUPPORT = { Against: 0, For: 1, Abstain: 2 } as const;
export type Support = keyof typeof SUPPORT;
