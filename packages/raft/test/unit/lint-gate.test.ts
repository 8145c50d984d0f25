/**
 * The lint gate keeps the pure cores pure: the project's own eslint config (eslint.config.mjs,
 * the one `pnpm lint` runs) must reject a clock, a timer, randomness, the process or a node:*
 * import planted in packages/raft/src/core or packages/coordinator/src/state, and must leave the
 * shell free to use them. Linting planted source text at a real path means the rules cannot be
 * scoped away or switched off without this failing.
 *
 * eslint loads its config with a dynamic import(), which jest's module sandbox does not run, so
 * the Node API (`ESLint#lintText`) runs in a child process over stdin/stdout.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../..');

interface Finding {
  readonly ruleId: string | null;
  readonly line: number;
  readonly message: string;
}
interface Case {
  readonly filePath: string;
  readonly code: string;
}

const LINTER = `
const { ESLint } = require('eslint');
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', async () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const out = [];
  for (const { filePath, code } of JSON.parse(input)) {
    const [result] = await eslint.lintText(code, { filePath });
    out.push(result.messages.map((m) => ({ ruleId: m.ruleId, line: m.line, message: m.message })));
  }
  process.stdout.write(JSON.stringify(out));
});
`;

/** Lint every case with the repository's config; one child process, one TypeScript program. */
function lint(cases: readonly Case[]): Finding[][] {
  const r = spawnSync(process.execPath, ['-e', LINTER], {
    cwd: ROOT,
    input: JSON.stringify(cases.map((c) => ({ ...c, filePath: path.join(ROOT, c.filePath) }))),
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`eslint exited with ${String(r.status)}: ${r.stderr}`);
  // Planting lines grows a file past its max-lines ratchet; that finding is not the one under test.
  return (JSON.parse(r.stdout) as Finding[][]).map((fs) => fs.filter((f) => f.ruleId !== 'max-lines'));
}

/** A real file of the repository with `lines` appended, so the planted code has a known line. */
function planted(file: string, lines: readonly string[]): Case & { readonly firstLine: number } {
  const original = readFileSync(path.join(ROOT, file), 'utf8').replace(/\n*$/, '\n');
  const firstLine = original.split('\n').length;
  return { filePath: file, code: original + lines.join('\n') + '\n', firstLine };
}

const RAFT = 'packages/raft/src/core/raft.ts';
const MACHINE = 'packages/coordinator/src/state/index.ts';
const SHELL = 'packages/raft/src/node/raft-node.ts';
const IMPURE = [
  'export const plantedNow = Date.now();',
  'export const plantedRandom = Math.random();',
  'export const plantedTimer = setTimeout(() => undefined, 1);',
  'export const plantedEnv = process.env;',
  'export const plantedPerf = performance.now();',
  'export const plantedGlobal = new globalThis.Date();',
];

describe('lint gate (eslint.config.mjs)', () => {
  const cases = {
    raftAsIs: { filePath: RAFT, code: readFileSync(path.join(ROOT, RAFT), 'utf8') },
    raftNow: planted(RAFT, ['export const plantedNow = Date.now();']),
    machineNow: planted(MACHINE, ['export const plantedNow = Date.now();']),
    machineImpure: planted(MACHINE, IMPURE),
    coreImports: {
      filePath: 'packages/raft/src/core/rng.ts',
      code:
        "import { readFileSync } from 'node:fs';\nimport { hostname } from 'os';\nimport { MemoryStorage } from '../storage/memory-storage';\n" +
        'export const x = [readFileSync, hostname, MemoryStorage];\n',
    },
    shellNow: planted(SHELL, ['export const plantedNow = Date.now();']),
    floating: planted(SHELL, ['export function planted(p: Promise<number>): void {', '  p.then((n) => n + 1);', '}']),
  };
  let found: Record<keyof typeof cases, Finding[]>;

  beforeAll(() => {
    const keys = Object.keys(cases) as (keyof typeof cases)[];
    const results = lint(keys.map((k) => cases[k]));
    found = Object.fromEntries(keys.map((k, i) => [k, results[i] ?? []])) as typeof found;
  }, 180_000);

  const rulesAt = (fs: readonly Finding[], line: number): (string | null)[] =>
    fs.filter((f) => f.line === line).map((f) => f.ruleId);

  it('passes core/raft.ts as it is (the baseline the planted cases differ from)', () => {
    expect(found.raftAsIs).toEqual([]);
  });

  it('fails a Date.now() planted in packages/raft/src/core/raft.ts', () => {
    expect(rulesAt(found.raftNow, cases.raftNow.firstLine)).toEqual(['no-restricted-globals']);
    expect(found.raftNow).toHaveLength(1);
  });

  it('fails a Date.now() planted in packages/coordinator/src/state/', () => {
    expect(rulesAt(found.machineNow, cases.machineNow.firstLine)).toEqual(['no-restricted-globals']);
  });

  it('fails Math.random, timers, process, performance and globalThis.Date in the state machine', () => {
    IMPURE.forEach((_, i) => {
      const rules = rulesAt(found.machineImpure, cases.machineImpure.firstLine + i);
      expect([i, rules.some((r) => r === 'no-restricted-globals' || r === 'no-restricted-properties')]).toEqual([
        i,
        true,
      ]);
    });
  });

  it('fails node:* and bare builtin imports, and core imports of the storage shell', () => {
    expect(rulesAt(found.coreImports, 1)).toEqual(
      expect.arrayContaining(['no-restricted-imports', 'import-x/no-nodejs-modules']),
    );
    expect(rulesAt(found.coreImports, 2)).toEqual(['import-x/no-nodejs-modules']);
    expect(rulesAt(found.coreImports, 3)).toEqual(['no-restricted-imports']);
  });

  it('leaves the shell free to read the clock', () => {
    expect(found.shellNow).toEqual([]);
  });

  it('fails a floating promise (type-aware rules see the planted text)', () => {
    expect(rulesAt(found.floating, cases.floating.firstLine + 1)).toEqual(['@typescript-eslint/no-floating-promises']);
  });
});
