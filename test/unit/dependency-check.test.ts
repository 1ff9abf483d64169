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
const knip = resolve(root, 'node_modules/knip/bin/knip.js');
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
    expect(lint()).toMatchObject({ status: 0, issues: [] });
  });

  it('fails when a package imports a dependency it does not list', () => {
    const file = join(copy, 'packages/cli/src/slug.ts');
    writeFileSync(file, `import 'undici';\n${readFileSync(file, 'utf8')}`);
    const result = lint();
    expect(result.status).not.toBe(0);
    expect(result.issues).toContainEqual(
      expect.objectContaining({
        file: 'packages/cli/src/slug.ts',
        unlisted: [expect.objectContaining({ name: 'undici' })],
      }),
    );
  });

  it("fails when a workspace package is only reachable through the root's dependencies", () => {
    editManifest('apps/worker/package.json', (manifest) => {
      delete manifest.dependencies['@imagen-queue/shared'];
    });
    const result = lint();
    expect(result.status).not.toBe(0);
    expect(unlistedNames(result.issues, 'apps/worker/')).toContain('@imagen-queue/shared');
  });

  it('fails when a package lists a dependency nothing imports', () => {
    editManifest('packages/cli/package.json', (manifest) => {
      manifest.dependencies['left-pad'] = '^1.3.0';
    });
    const result = lint();
    expect(result.status).not.toBe(0);
    expect(result.issues).toContainEqual(
      expect.objectContaining({
        file: 'packages/cli/package.json',
        dependencies: [expect.objectContaining({ name: 'left-pad' })],
      }),
    );
  });
});

interface Issue {
  file: string;
  dependencies: { name: string }[];
  unlisted: { name: string }[];
}

/** The knip half of `pnpm lint`, both passes, as the package.json script runs them. */
function lint(): { status: number | null; issues: Issue[] } {
  const issues: Issue[] = [];
  let status: number | null = 0;
  for (const extra of [[], ['--strict']]) {
    const run = spawnSync(process.execPath, [knip, ...extra, '--reporter', 'json'], {
      cwd: copy,
      encoding: 'utf8',
    });
    if (run.status !== 0) status = run.status;
    issues.push(...(JSON.parse(run.stdout) as { issues: Issue[] }).issues);
  }
  return { status, issues };
}

function unlistedNames(issues: Issue[], prefix: string): string[] {
  return issues
    .filter((issue) => issue.file.startsWith(prefix))
    .flatMap((issue) => issue.unlisted.map((dependency) => dependency.name));
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
