import type { ApiClient } from '../api-client.ts';
import type { Model } from '../api-types.ts';
import type { Command } from '../args.ts';
import { EXIT } from '../errors.ts';
import { type Io, printJson, printLines } from '../io.ts';

type ModelsCommand = Extract<Command, { name: 'models' }>;

/** `pnpm cli models`: what each model takes and returns, from the API's own registry. */
export async function models(command: ModelsCommand, client: ApiClient, io: Io): Promise<number> {
  const list = await client.listModels();
  if (command.json) printJson(io, { data: list });
  else printLines(io, list.flatMap(describeModel));
  return EXIT.ok;
}

export function describeModel(model: Model): string[] {
  const parameters = Object.keys(
    (model.parameters as { properties?: Record<string, unknown> }).properties ?? {},
  ).filter((name) => name !== 'model');
  const ratios = [...new Set(model.sizes.map((size) => size.aspect_ratio))];
  const square = model.sizes.find((size) => size.aspect_ratio === '1:1');
  const lifetime = model.shutdown_at ? `shuts down ${model.shutdown_at}` : 'no shutdown announced';
  return [
    model.id + (model.aliases.length > 0 ? ` (also ${model.aliases.join(', ')})` : ''),
    `  parameters: ${parameters.join(', ')}`,
    `  sizes: ${ratios.join(' ')}${square ? `; 1:1 is ${square.width}x${square.height}` : ''}`,
    `  deterministic with a seed: ${model.deterministic ? 'yes' : 'no'}; ${lifetime}` +
      (model.successor ? `; successor ${model.successor}` : ''),
  ];
}
