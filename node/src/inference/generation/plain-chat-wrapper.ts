/**
 * The chat format for a model without a chat template of its own: plain "User:" and
 * "Assistant:" lines, which even a base model continues sensibly.
 *
 *   <system prompt>
 *
 *   User: Hi
 *   Assistant: Hello.
 *   User: Tell me a story
 *   Assistant:
 */
import {
  ChatWrapper,
  LlamaText,
  SpecialToken,
  type ChatWrapperGenerateContextStateOptions,
  type ChatWrapperGeneratedContextState,
} from "node-llama-cpp";

export class PlainChatWrapper extends ChatWrapper {
  readonly wrapperName = "Plain";

  override generateContextState({ chatHistory }: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState {
    const parts: LlamaText[] = [];
    chatHistory.forEach((item, index) => {
      const isLast = index === chatHistory.length - 1;
      if (item.type === "system") parts.push(LlamaText([LlamaText.fromJSON(item.text), "\n\n"]));
      else if (item.type === "user") parts.push(LlamaText(["User: ", item.text, "\n"]));
      else {
        const response = this.generateModelResponseText(item.response);
        const answer = response.values.length === 0 ? LlamaText("Assistant:") : LlamaText(["Assistant: ", response]);
        parts.push(isLast ? answer : LlamaText([answer, "\n"]));
      }
    });
    return {
      contextText: LlamaText([new SpecialToken("BOS"), ...parts]),
      stopGenerationTriggers: [
        LlamaText(new SpecialToken("EOS")),
        LlamaText("\nUser:"),
        LlamaText("\nAssistant:"),
      ],
    };
  }
}
