// Node strips TypeScript types from our sources, but refuses to for files under node_modules.
// In a `pnpm deploy` directory the workspace packages (@imagen-queue/*) are copied there, so an
// app started from one loads this first (`node --import @imagen-queue/shared/register-types …`)
// and our own packages are stripped the same way as the app's files. Plain JavaScript, since a
// `.ts` file here would itself sit under node_modules. Third-party packages are left alone.
import { registerHooks, stripTypeScriptTypes } from 'node:module';

const ours = /\/node_modules\/@imagen-queue\/[^/]+\/.+\.ts$/;

registerHooks({
  load(url, context, nextLoad) {
    const loaded = nextLoad(url, context);
    if (!ours.test(url) || loaded.format !== 'module-typescript') return loaded;
    return { ...loaded, format: 'module', source: stripTypeScriptTypes(String(loaded.source)) };
  },
});
