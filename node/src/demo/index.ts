/**
 * The models the project writes itself, deterministically, for tests and the offline demo (a
 * llama-architecture GGUF and a BERT-like ONNX encoder with their manifests), and the genesis of a
 * dev network that adopts them by IPFS CID. They go through exactly the code paths of real models.
 */
export { type DemoLlamaOptions, demoLlamaName, demoLlamaShape, encodeDemoLlama, writeDemoLlama, zephyrChatTemplate } from "./demo-llama.ts";
export { DEMO_BERT_HIDDEN, DEMO_BERT_MAX_LENGTH, MINILM_SHAPE, writeDemoBert, type BertShape } from "./demo-bert.ts";
export { encodeGguf, gguf, type EncodeGgufParameters, type GgufTensor, type GgufValue } from "./gguf-writer.ts";
export { demoBertName, makeDemoModels } from "./make-demo.ts";
export { demoToxicityBytes, demoToxicityName, DEMO_TOXIC_WORDS, writeDemoToxicity } from "./demo-toxicity.ts";
export { demoClipBytes, demoClipName, demoClipRgb, DEMO_CLIP_COLOURS, DEMO_CLIP_SIZE, writeDemoClip, type DemoClipColour } from "./demo-clip.ts";
export { makeDemoVision } from "./make-demo-vision.ts";
export { ensureDemoModels, type DemoModels } from "./ensure-demo-models.ts";
export { demoGenesis, publishGenesis, type DemoGenesis, type GenesisManifest, type GenesisRole } from "./genesis.ts";
