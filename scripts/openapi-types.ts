// pnpm openapi:types: regenerate the typed client's types from the API's live OpenAPI document.
import { writeFileSync } from 'node:fs';
import { renderTypes } from '@imagen-queue/openapi-client/render';
import { liveDocument } from '../test/support/openapi-document.ts';

const file = new URL('../packages/openapi-client/src/openapi.d.ts', import.meta.url);
writeFileSync(file, await renderTypes(await liveDocument()));
process.stdout.write(`wrote ${file.pathname}\n`);
process.exit(0);
