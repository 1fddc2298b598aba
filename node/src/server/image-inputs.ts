/**
 * Images in request bodies. Embedding routes take them as items of `input`: `{ "image": "<data
 * URL or base64>" }`, or OpenAI's content-part shape `{ "type": "image_url", "image_url": { "url":
 * "data:..." } }`. A request embeds texts or images, not both: each kind comes from its own
 * governed model with its own provenance (manifest, audit entry), and one answer names one.
 *
 * Chat and generation routes refuse images with `unsupported_input`: no governed generation model
 * of this node reads images (TinyLlama and the demo model are text-only), and dropping them
 * silently would answer a question the user did not ask.
 */
import { z } from "zod";
import { ApiError } from "./errors.ts";

const MAX_IMAGE_STRING = 1_100_000;
const imageString = z.string().min(1).max(MAX_IMAGE_STRING);
export const imageItem = z.union([
  z.strictObject({ image: imageString }),
  z.looseObject({ type: z.literal("image_url"), image_url: z.union([imageString, z.looseObject({ url: imageString })]) }),
]);
export type ImageItem = z.infer<typeof imageItem>;

/** The texts of an embedding request's `input`, or its images (data URLs or base64); both is a 400. */
export function splitEmbeddingInput(input: string | ReadonlyArray<string | ImageItem> | ImageItem): { texts: string[] } | { images: string[] } {
  const items = typeof input === "string" ? [input] : Array.isArray(input) ? input : [input as ImageItem];
  const texts = items.filter((i): i is string => typeof i === "string");
  if (texts.length === items.length) return { texts };
  if (texts.length > 0) {
    throw new ApiError(400, "invalid_request", "input mixes texts and images: send them in separate requests (each kind is embedded by its own governed model, with its own provenance)");
  }
  return { images: (items as ImageItem[]).map(imageOf) };
}

function imageOf(item: ImageItem): string {
  const { image, image_url: url } = item as { image?: string; image_url?: string | { url: string } };
  return image ?? (typeof url === "string" ? url : url!.url);
}

/** OpenAI chat: any message content part that is not text (image_url, input_image, input_audio, file). */
export function refuseChatImages(body: unknown): void {
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return;
  messages.forEach((m, i) => {
    const content = (m as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) return;
    const part = content.find((p) => typeof p === "object" && p !== null && (p as { type?: unknown }).type !== "text");
    if (part) throw notForGeneration(`messages.${i}.content has a ${JSON.stringify((part as { type?: unknown }).type ?? "non-text")} part`);
  });
}

/** Ollama: `images` on /api/generate or on a message of /api/chat. */
export function refuseOllamaImages(body: unknown): void {
  const b = body as { images?: unknown; messages?: unknown } | null;
  if (Array.isArray(b?.images) && b.images.length > 0) throw notForGeneration("the request has images");
  if (Array.isArray(b?.messages)) {
    b.messages.forEach((m, i) => {
      const images = (m as { images?: unknown } | null)?.images;
      if (Array.isArray(images) && images.length > 0) throw notForGeneration(`messages.${i} has images`);
    });
  }
}

function notForGeneration(what: string): ApiError {
  return new ApiError(
    400,
    "unsupported_input",
    `${what}, but the governed generation model of this node takes text only (no adopted generation model reads images); send text, or embed the image with POST /embed or /v1/embeddings (the vision role)`,
  );
}
