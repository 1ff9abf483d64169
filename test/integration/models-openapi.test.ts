import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, AUTH, build } from '../support/build-app.ts';
import { testPrefix } from '../support/tracking.ts';

interface ObjectSchema {
  title?: string;
  properties: Record<string, unknown>;
  required?: string[];
  additionalProperties?: boolean;
}
interface UnionSchema {
  anyOf: ObjectSchema[];
  discriminator: { propertyName: string };
}

let app: App;
let models: { id: string; parameters: ObjectSchema }[];
let document: {
  paths: Record<
    string,
    Record<string, { requestBody: { content: Record<string, { schema: UnionSchema }> } }>
  >;
};

beforeAll(async () => {
  app = await build(testPrefix());
  models = (await app.inject({ url: '/v1/models', headers: AUTH })).json().data;
  document = (await app.inject('/openapi.json')).json();
});
afterAll(() => app?.close());

const body = (path: string) =>
  document.paths[path]!.post!.requestBody.content['application/json']!.schema;

describe('GET /v1/models and /openapi.json agree', () => {
  it.each(['/v1/jobs', '/v1/images/generations'])(
    '%s: a union discriminated by model, one branch per listed model',
    (path) => {
      const union = body(path);
      expect(union.discriminator).toEqual({ propertyName: 'model' });
      expect(union.anyOf.map((branch) => branch.title)).toEqual(models.map((model) => model.id));
    },
  );

  it.each(['/v1/jobs', '/v1/images/generations'])(
    "%s: each branch is the model's parameters plus the same route extras, nothing else",
    (path) => {
      const union = body(path);
      // The route's own fields are what every branch has beyond its model's parameters.
      const extras = new Set(
        Object.keys(union.anyOf[0]!.properties).filter(
          (name) => !(name in models[0]!.parameters.properties),
        ),
      );
      for (const [i, model] of models.entries()) {
        const branch = union.anyOf[i]!;
        const derived = {
          ...branch,
          properties: Object.fromEntries(
            Object.entries(branch.properties).filter(([name]) => !extras.has(name)),
          ),
        };
        expect(derived, model.id).toEqual(model.parameters);
        expect(
          Object.keys(branch.properties).filter((name) => !(name in model.parameters.properties)),
        ).toEqual([...extras]);
      }
    },
  );
});
