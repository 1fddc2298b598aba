/** The models the project writes itself, for tests and the offline demo. */
export { type DemoLlamaOptions, demoLlamaName, demoLlamaShape, encodeDemoLlama, writeDemoLlama, zephyrChatTemplate } from "./demo-llama.ts";
export { encodeGguf, gguf, type EncodeGgufParameters, type GgufTensor, type GgufValue } from "./gguf-writer.ts";
