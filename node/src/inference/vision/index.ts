/** Images: decoding under bounds (sharp) and the `vision` role's CLIP-style image encoder (ONNX). */
export { createImageEncoder, type CreateImageEncoderParameters, type ImageEncoder, type VisionSpec } from "./create-image-encoder.ts";
export { CLIP_MEAN, CLIP_STD, IMAGE_LIMITS, ImageError, imageBytes, preprocessImage, type ImagePreprocessing } from "./decode-image.ts";
