/**
 * The "plugin" validation layer (issue 21): contributor plugins' `answer` hooks, after the built-in
 * layers, on each unit before it is sent. What the gate needs of the plugins (node/src/plugins
 * implements it); without plugins the layer is absent and answers are checked as before.
 */
import type { PluginVerdict } from "@ns-llm/contracts";

export type AnswerPluginLayer = {
  /** Whether a plugin checks answers now (then every answer is released unit by unit, after its check). */
  answering(): boolean;
  beginAnswer(prompt: string): {
    /** The unit to send (a plugin may rewrite it), or the refusal (layer "plugin"). */
    check(unit: string, text: string, final: boolean): Promise<{ unit: string; refusal?: string }>;
    verdicts(): PluginVerdict[];
  };
};
