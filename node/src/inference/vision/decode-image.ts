/**
 * Images in, pixels out: a data URL (`data:image/png;base64,...`) or bare base64 is checked against
 * byte and pixel bounds, decoded, and prepared the way CLIP's processor prepares it (resize so the
 * short side is `size`, centre crop to size x size, RGB in [0, 1], then (x - mean) / std per
 * channel, channels first).
 *
 * Decoding is sharp's (libvips, prebuilt binaries for Linux, macOS and Windows; already in the
 * workspace through Next.js): it reads PNG, JPEG, WebP, GIF, AVIF and TIFF, reads the header before
 * the pixels so `limitInputPixels` refuses a decompression bomb before it is expanded, and resizes
 * in native code. The pure-JS pair (pngjs + jpeg-js) covers two formats only and decodes whole
 * images in JavaScript before any size check is possible.
 */
import type Sharp from "sharp";
import { NsLlmError } from "../../errors.ts";

/**
 * sharp is a native module: loaded on the first image, so a node (or a package built without it)
 * starts and serves text whether or not it can decode images.
 */
let loading: Promise<typeof Sharp> | undefined;
async function loadSharp(): Promise<typeof Sharp> {
  loading ??= import("sharp").then((m) => m.default);
  try {
    return await loading;
  } catch (error) {
    loading = undefined;
    // The node's fault, not the image's: 503, not 400.
    throw new NsLlmError("vision_unavailable", `this node cannot decode images: sharp did not load (${(error as Error).message.split("\n")[0]})`, {
      hint: "reinstall the node with its optional dependencies",
    });
  }
}

/** Bounds of one image (the HTTP body limit, 1 MiB, bounds a request's base64 first). */
export const IMAGE_LIMITS = {
  /** Bytes of one encoded image. */
  maxBytes: 512 * 1024,
  /** Pixels (width x height) of one image, checked from its header before decoding. */
  maxPixels: 4096 * 4096,
} as const;

/** CLIP's preprocessing constants (openai/clip-vit-base-patch32 preprocessor_config.json). */
export const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

export type ImagePreprocessing = { size: number; mean?: readonly number[]; std?: readonly number[] };

export class ImageError extends NsLlmError<"invalid_image"> {
  constructor(message: string, hint?: string) {
    super("invalid_image", message, { hint });
  }
}

const DATA_URL = /^data:(image\/[a-z0-9.+-]+)?(;[a-z0-9=.+-]+)*;base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes of a data URL or bare base64 string; an empty, non-base64 or oversized one is an ImageError. */
export function imageBytes(input: string): Buffer {
  const prefix = DATA_URL.exec(input);
  if (!prefix && input.startsWith("data:")) throw new ImageError("an image data URL must be base64: data:image/<type>;base64,<data>");
  if (/^https?:\/\//i.test(input)) throw new ImageError("image URLs are not fetched by the node", "send the image's bytes as a data URL or base64");
  const b64 = (prefix ? input.slice(prefix[0].length) : input).replace(/\s+/g, "");
  if (b64.length === 0) throw new ImageError("the image is empty");
  if (b64.length > Math.ceil(IMAGE_LIMITS.maxBytes / 3) * 4 + 4) throw new ImageError(`the image is larger than ${IMAGE_LIMITS.maxBytes} bytes`, "send a smaller image");
  if (!BASE64.test(b64)) throw new ImageError("the image is not valid base64");
  const bytes = Buffer.from(b64, "base64");
  if (bytes.byteLength > IMAGE_LIMITS.maxBytes) throw new ImageError(`the image is ${bytes.byteLength} bytes; at most ${IMAGE_LIMITS.maxBytes} are accepted`, "send a smaller image");
  return bytes;
}

/**
 * Decodes `bytes` and returns `pixel_values` for one image: Float32 [3, size, size], channels
 * first, normalised. Transparent pixels are laid on white (as a browser shows them).
 */
export async function preprocessImage(bytes: Uint8Array, p: ImagePreprocessing): Promise<Float32Array> {
  const sharp = await loadSharp();
  const mean = p.mean ?? CLIP_MEAN;
  const std = p.std ?? CLIP_STD;
  let width: number | undefined;
  let height: number | undefined;
  try {
    ({ width, height } = await sharp(bytes, { limitInputPixels: false }).metadata());
  } catch (error) {
    throw new ImageError(`the image cannot be decoded: ${shortReason(error)}`, "send a PNG, JPEG, WebP, GIF, AVIF or TIFF image");
  }
  if (!width || !height) throw new ImageError("the image has no size");
  if (width * height > IMAGE_LIMITS.maxPixels) {
    throw new ImageError(`the image is ${width}x${height} = ${width * height} pixels; at most ${IMAGE_LIMITS.maxPixels} are accepted`, "send a smaller image");
  }
  let raw: Buffer;
  try {
    raw = await sharp(bytes, { limitInputPixels: IMAGE_LIMITS.maxPixels, failOn: "error", pages: 1 })
      .flatten({ background: "#ffffff" })
      .toColourspace("srgb")
      .resize(p.size, p.size, { fit: "cover", position: "centre", kernel: "cubic" })
      .removeAlpha()
      .raw()
      .toBuffer();
  } catch (error) {
    throw new ImageError(`the image cannot be decoded: ${shortReason(error)}`, "send a PNG, JPEG, WebP, GIF, AVIF or TIFF image");
  }
  const plane = p.size * p.size;
  if (raw.byteLength !== plane * 3) throw new ImageError(`the image decoded to ${raw.byteLength} bytes, expected ${plane * 3}`);
  const out = new Float32Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = (raw[i * 3 + c]! / 255 - mean[c]!) / std[c]!;
  }
  return out;
}

function shortReason(error: unknown): string {
  return ((error as Error).message ?? String(error)).split("\n")[0]!.slice(0, 200);
}
