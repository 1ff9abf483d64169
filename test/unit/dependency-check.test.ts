import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// `pnpm lint` runs knip; these tests break a copy of the repository the ways a change could and
// check that the same command then fails, naming the dependency and the package.
const root = resolve(import.meta.dirname, '../..');
let copy: string;

beforeEach(() => {
  copy = mkdtempSync(join(tmpdir(), 'deps-check-'));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: root })
    .toString()
    .split('\n')
    .filter(Boolean);
  for (const file of files) {
    if (file.includes('node_modules/')) continue;
    try {
      cpSync(join(root, file), join(copy, file), { recursive: true });
    } catch {
      // A file deleted in the work tree but still tracked: nothing to copy.
    }
  }
  // The installed packages are linked, not copied: knip reads manifests, never writes there.
  for (const workspace of ['.', ...workspaces()]) {
    symlinkSync(join(root, workspace, 'node_modules'), join(copy, workspace, 'node_modules'));
  }
});

afterEach(() => rmSync(copy, { recursive: true, force: true }));

describe('pnpm lint: every package declares what it imports', { timeout: 60_000 }, () => {
  it('passes on the repository as it is', () => {
    expect(lintDeps()).toMatchObject({ status: 0 });
  });

  it('fails when a package imports a dependency it does not list', () => {
    const file = join(copy, 'packages/cli/src/slug.ts');
    writeFileSync(file, `import 'undici';\n${readFileSync(file, 'utf8')}`);
    const result = lintDeps();
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(
      /Unlisted dependencies[\s\S]*undici\s+packages\/cli\/src\/slug\.ts/,
    );
  });

  it("fails when a workspace package is only reachable through the root's dependencies", () => {
    editManifest('apps/worker/package.json', (manifest) => {
      delete manifest.dependencies['@imagen-queue/shared'];
    });
    const result = lintDeps();
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(
      /Unlisted dependencies[\s\S]*@imagen-queue\/shared\s+apps\/worker\//,
    );
  });

  it('fails when a package lists a dependency nothing imports', () => {
    editManifest('packages/cli/package.json', (manifest) => {
      manifest.dependencies['left-pad'] = '^1.3.0';
    });
    const result = lintDeps();
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(
      /Unused dependencies[\s\S]*left-pad\s+packages\/cli\/package\.json/,
    );
  });
});

/** `pnpm lint:deps`, the knip half of `pnpm lint`, run in the copy. */
function lintDeps(): { status: number | null; output: string } {
  const run = spawnSync('pnpm', ['run', '--silent', 'lint:deps'], {
    cwd: copy,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

function editManifest(
  path: string,
  change: (manifest: { dependencies: Record<string, string> }) => void,
): void {
  const file = join(copy, path);
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  change(manifest);
  writeFileSync(file, JSON.stringify(manifest, null, 2));
}

/** The workspace folders, as pnpm-workspace.yaml lists them (`apps/*`, `packages/*`). */
function workspaces(): string[] {
  return ['apps', 'packages'].flatMap((group) =>
    readdirSync(join(root, group)).map((name) => `${group}/${name}`),
  );
}
