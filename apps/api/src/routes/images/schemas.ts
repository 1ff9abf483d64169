import { GenerationFields, modelUnion } from '@imagen-queue/contract';
import Type from 'typebox';

/** What OpenAI-compatible clients send beside a model's own parameters. */
const DropInExtras = {
  size: Type.Optional(
    Type.String({
      pattern: '^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$',
      description: '`WxH`, taken like `image_size` (the nearest aspect ratio the model has)',
    }),
  ),
  response_format: Type.Optional(
    Type.Enum(['url', 'b64_json'], {
      description: "How images come back; default: the model's own (`convert_base64_to_url`)",
    }),
  ),
};

export const DropInRequest = modelUnion(
  DropInExtras,
  Type.Object({ ...GenerationFields, ...DropInExtras }, { additionalProperties: false }),
);
export type DropInRequest = Type.Static<typeof DropInRequest>;

export const DropInResponse = Type.Object({
  created: Type.Integer({ description: 'Unix seconds' }),
  data: Type.Array(
    Type.Object({
      url: Type.Optional(Type.String({ description: 'Presigned GET of the stored image' })),
      b64_json: Type.Optional(Type.String({ description: 'The PNG, base64' })),
      mime_type: Type.String(),
      revised_prompt: Type.Optional(
        Type.String({ description: 'The prompt the provider used, when it enhanced ours' }),
      ),
      prompt: Type.String({ description: 'The prompt the image was made from (seed API field)' }),
    }),
  ),
});
export type DropInResponse = Type.Static<typeof DropInResponse>;
