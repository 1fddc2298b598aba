/** Answer validation (issue 15): contributor rules, toxicity, coherence, and the gate that enforces them. */
export { createValidation, type AnswerCheck, type CreateValidationParameters, type ModerationSpec, type Validation } from "./validation.ts";
export { AnswerGate, splitUnits, takeUnit, WINDOW_CHARS, COHERENCE_MIN_WORDS } from "./validator.ts";
export { createToxicityClassifier, toxicityOf, type ToxicityClassifier } from "./classifier.ts";
export { lexiconScore, scoreToxicity } from "./toxicity.ts";
export { coherenceOf, repetition, cosine } from "./coherence.ts";
export { policyOf, type Policy } from "./rules.ts";
export { fold, firstMatch, foldPattern } from "./fold.ts";
