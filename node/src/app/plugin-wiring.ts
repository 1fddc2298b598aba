/**
 * Where the plugins' `prompt`, `answered` and `search` hooks meet the serving layer, without the
 * serving layer knowing plugins: the generation service wrapped so a request's prompt (a
 * completion's, or a chat's last user message) passes the prompt hooks first, the answer recorder
 * wrapped so each recorded answer is told to the answered hooks (after its audit entry is
 * written), and the search index wrapped so the search plugins' passages join the local ones.
 */
import type { Plugins } from "../plugins/index.ts";
import type { SearchIndex, SearchResult } from "../search/index.ts";
import { DenyFilter, type AnswerRecorder, type GenerationService } from "../serving/index.ts";

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

/**
 * The search index with the search plugins' passages merged in, ranked by score with the local
 * ones (a tie keeps the local passage first), `k` in all. A plugin passage is labelled with its
 * plugin (id `plugin:<name>/<id>`, title `<name>: <title|source|id>`), and one holding a governed
 * deny pattern is dropped (the fallback answer would otherwise be cut at it). A plugin that
 * throws or runs past its budget adds nothing (counted on /metrics by the plugin host).
 */
export function withSearchHooks(index: SearchIndex, plugins: Plugins, denyPatterns: () => readonly string[]): SearchIndex {
  const denied = (text: string) => {
    const filter = new DenyFilter(denyPatterns());
    if (!filter.active) return false;
    filter.push(text);
    filter.flush();
    return filter.matched !== undefined;
  };
  return {
    get size() {
      return index.size;
    },
    searchByImage: (image, k) => index.searchByImage(image, k),
    async search(query, k = 5) {
      const [local, extra] = await Promise.all([index.search(query, k), plugins.searching() ? plugins.search(query, k) : []]);
      const theirs: SearchResult[] = extra
        .filter((r) => !denied(r.text))
        .map((r) => ({ id: `plugin:${r.plugin}/${r.id}`, text: r.text, score: r.score, title: `${r.plugin}: ${r.title ?? r.source ?? r.id}`, source: r.plugin }));
      return [...local, ...theirs].sort((a, b) => b.score - a.score).slice(0, k);
    },
  };
}
