import type { GenerationInput, Job, ModelSpec } from '@imagen-queue/contract';
import type { DropInRequest, DropInResponse } from './schemas.ts';

export type ResponseFormat = 'url' | 'b64_json';

/**
 * The OpenAI-style fields folded into the model's own: `size` is taken like `image_size`;
 * `response_format` only shapes our answer (the images are stored either way).
 */
export function fromDropIn(body: DropInRequest): {
  input: GenerationInput;
  format: ResponseFormat | undefined;
} {
  const { size, response_format, ...input } = body;
  if (size && !input.image_size) {
    const [width, height] = size.split('x').map(Number) as [number, number];
    input.image_size = { width, height };
  }
  const format =
    response_format ??
    (input.convert_base64_to_url === undefined
      ? undefined
      : input.convert_base64_to_url
        ? 'url'
        : 'b64_json');
  return { input, format };
}

/** A model's own default, as the provider answers it: base64 unless it defaults to URLs. */
export function defaultFormat(spec: ModelSpec): ResponseFormat {
  const field = spec.fields.convert_base64_to_url as { default?: boolean } | undefined;
  return field?.default === false ? 'b64_json' : 'url';
}

/** The answer an OpenAI-compatible client reads; `b64_json` reads each stored image back. */
export async function toDropInAnswer(
  view: Job,
  format: ResponseFormat,
  createdAt: string,
): Promise<DropInResponse> {
  const result = view.result!;
  const prompt = result.enhanced_prompt ?? view.request.prompt;
  const data = await Promise.all(
    result.images.map(async (image) => {
      const common = {
        mime_type: image.mime_type,
        prompt,
        ...(result.enhanced_prompt ? { revised_prompt: result.enhanced_prompt } : {}),
      };
      if (format === 'url') return { url: image.url, ...common };
      // Through the presigned URL the client would have used: the API holds no S3 read path.
      const answer = await fetch(image.url);
      if (!answer.ok) throw new Error(`reading a stored image answered ${answer.status}`);
      return { b64_json: Buffer.from(await answer.arrayBuffer()).toString('base64'), ...common };
    }),
  );
  return { created: Math.floor(Date.parse(createdAt) / 1000), data };
}
