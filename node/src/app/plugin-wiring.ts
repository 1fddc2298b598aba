/**
 * Where the plugins' `prompt` and `answered` hooks meet the serving layer, without the serving
 * layer knowing plugins: the generation service wrapped so a request's prompt (a completion's, or
 * a chat's last user message) passes the prompt hooks first, and the answer recorder wrapped so
 * each recorded answer is told to the answered hooks (after its audit entry is written).
 */
import type { Plugins } from "../plugins/index.ts";
import type { AnswerRecorder, GenerationService } from "../serving/index.ts";

export function withPromptHooks(service: GenerationService, plugins: Plugins): GenerationService {
  return {
    async generate(request) {
      if (request.kind === "complete") return service.generate({ ...request, prompt: await plugins.rewritePrompt("complete", request.prompt) });
      const messages = [...request.messages];
      for (let i = messages.length - 1; i >= 0; i--) {
        if (messages[i]!.role !== "user") continue;
        messages[i] = { ...messages[i]!, content: await plugins.rewritePrompt("chat", messages[i]!.content) };
        break;
      }
      return service.generate({ ...request, messages });
    },
  };
}

export function withAnsweredHooks(recorder: AnswerRecorder, plugins: Plugins): AnswerRecorder {
  return {
    failing: () => recorder.failing(),
    async record(entry) {
      const seq = await recorder.record(entry);
      const p = entry.parameters as { finishReason?: unknown; tokens?: unknown; validation?: { verdict?: unknown } };
      plugins.answered({
        route: entry.route,
        source: entry.source,
        model: entry.model,
        ms: entry.ms,
        tokens: typeof p.tokens === "number" ? p.tokens : null,
        finishReason: typeof p.finishReason === "string" ? p.finishReason : null,
        verdict: p.validation?.verdict === "pass" || p.validation?.verdict === "refused" ? p.validation.verdict : null,
        auditSeq: seq,
      });
      return seq;
    },
  };
}
