import Type from 'typebox';

/** RFC 9457 problem details: the body of every error answer (`application/problem+json`). */
export const Problem = Type.Object(
  {
    type: Type.String({
      description: 'A URI naming the kind of problem; `about:blank` when the status says it all',
    }),
    title: Type.String({ description: 'The HTTP status phrase' }),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    detail: Type.String({ description: 'What went wrong, naming the field at fault' }),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          path: Type.String({ description: 'JSON pointer to the field', examples: ['/prompt'] }),
          message: Type.String({ examples: ['is required'] }),
        }),
      ),
    ),
  },
  {
    $id: 'Problem',
    examples: [
      {
        type: 'about:blank',
        title: 'Bad Request',
        status: 400,
        detail: '/prompt is required',
        errors: [{ path: '/prompt', message: 'is required' }],
      },
    ],
  },
);
export type Problem = Type.Static<typeof Problem>;

/** The media type every `Problem` is sent with. */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
