// Preloaded with `NODE_OPTIONS=--import=…/report-modules.ts`: records every OpenTelemetry
// module the process loads (by import or require), with the module that asked for it, and
// prints the list as the process exits.
import { writeSync } from 'node:fs';
import { registerHooks } from 'node:module';

const TELEMETRY = /^(@opentelemetry\/|bullmq-otel\/|@fastify\/otel\/)/;
const loaded = new Map<string, string>();
// The path inside its package's folder: pnpm's store folder names carry peers' names.
const inPackage = (url: string | undefined) => (url ?? '').replace(/^.*node_modules\//, '');

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    const module = inPackage(resolved.url);
    if (TELEMETRY.test(module) && !loaded.has(module)) {
      loaded.set(module, inPackage(context.parentURL));
    }
    return resolved;
  },
});

process.on('exit', () => {
  const list = [...loaded].map(([module, parent]) => ({ module, parent }));
  writeSync(2, `\nloaded-telemetry-modules ${JSON.stringify(list)}\n`);
});
