import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every Redis key, hash tag, channel and namespace of the system is built in one module
// (`packages/contract/src/keys.ts`); nothing else concatenates one, so a key's shape and its
// Cluster slot are decided in one place. This test reads the production sources of every app
// and package and names each line that builds a key by itself.

const ROOT = resolve(import.meta.dirname, '../..');
const CONTRACT = 'packages/contract/src/keys.ts';

/**
 * A template literal that starts a key from a prefix (`${prefix}:…`, `${options.prefix}:…`,
 * `{${prefix}}`, `${tag}:…`), or any literal that spells one of our hash tags.
 */
const KEY_BUILDING = [
  /\$\{[\w.]*(?:[pP]refix|[tT]ag|bull)\}(?::|\{)/,
  /\{\$\{[\w.]*[pP]refix\}\}/,
  /['"`][^'"`]*(?::\{t:|\{workers\}|\{limiter\})/,
];

function keyBuildingLines(source: string): number[] {
  return source
    .split('\n')
    .flatMap((line, index) =>
      !line.trim().startsWith('//') &&
      !line.trim().startsWith('*') &&
      KEY_BUILDING.some((pattern) => pattern.test(line))
        ? [index + 1]
        : [],
    );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [path] : [];
  });
}

describe('Redis keys', () => {
  it('the check recognises a key built by hand', () => {
    // Source text, as the check reads it: the placeholders are the point.
    const byHand = [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test
      'const key = `${options.prefix}:{t:${tenant}}:spool:${id}`;',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test
      'const channel = `${prefix}:cancel`;',
      'const index = prefix + ":{workers}";',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test
      'const tag = `{${config.prefix}}`;',
    ];
    for (const line of byHand) expect(keyBuildingLines(line), line).toEqual([1]);
    expect(keyBuildingLines('const key = keys.spool(tenant, id);')).toEqual([]);
  });

  it('are built only by the contract module', () => {
    const files = ['apps', 'packages'].flatMap((top) =>
      readdirSync(join(ROOT, top)).flatMap((name) => {
        const src = join(ROOT, top, name, 'src');
        try {
          return sourceFiles(src);
        } catch {
          return [];
        }
      }),
    );
    expect(files.length).toBeGreaterThan(50);
    const offenders = files
      .map((file) => relative(ROOT, file))
      .filter((file) => file !== CONTRACT)
      .flatMap((file) =>
        keyBuildingLines(readFileSync(join(ROOT, file), 'utf8')).map((line) => `${file}:${line}`),
      );
    expect(offenders).toEqual([]);
  });
});
