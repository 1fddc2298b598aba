/**
 * The built-in evaluation suite: what a node asks a proposed model when the network has not
 * adopted an `evaluation` manifest of its own (governing the suite is the next step: its prompts
 * would come from the `evaluation` role's manifest, named in the report by CID). Short prompts,
 * greedy sampling and a fixed seed, so every node asks the same and the answers compare.
 */
export type EvaluationSuite = {
  /** `builtin`, or the CID of the governed suite. */
  id: string;
  prompts: string[];
  /** Tokens each answer may have. */
  maxTokens: number;
  /** Share of checks that must pass for the verdict Passed. */
  passRate: number;
};

export const BUILTIN_SUITE: EvaluationSuite = {
  id: "builtin/v1",
  prompts: [
    "Hello, who are you?",
    "What is a decentralized network?",
    "Name three colors.",
    "Summarize: the node answers questions with a model the network voted for.",
    "Write one short sentence about the sea.",
  ],
  maxTokens: 16,
  passRate: 1,
};
