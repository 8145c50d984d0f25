/**
 * The SDK README's examples run as written: every ```ts block of packages/client/README.md
 * preceded by `<!-- example -->` is type-checked (strict, against the package's own .d.ts) and
 * then run — transpiled by TypeScript to an ES module, executed by node — against `pnpm start`
 * itself, with its defaults (only `--port-base 0` and a temporary `--data-dir`, so it cannot
 * collide with a developer's cluster), named by QUORUMLOCK_ENDPOINTS. Every example that
 * builds a client falls back to `pnpm start`'s default endpoints, 6001-6003.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { killAllScripts, startScript, waitGroupEmpty, type ScriptRun } from './helpers/script-run';

jest.setTimeout(60_000);

const README = path.join(path.dirname(require.resolve('@quorumlock/client/package.json')), 'README.md');
const MARKER = '<!-- example -->';

interface Example {
  /** 1-based line of the opening fence in the README. */
  readonly line: number;
  readonly code: string;
}

/** The ```ts / ```js blocks that follow a MARKER line (blank lines between are allowed). */
function examples(markdown: string): Example[] {
  const lines = markdown.split('\n');
  const out: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== MARKER) continue;
    let j = i + 1;
    while (j < lines.length && lines[j]?.trim() === '') j++;
    const fence = /^```(ts|typescript|js|javascript)\s*$/.exec(lines[j] ?? '');
    if (fence === null) throw new Error(`README line ${i + 1}: ${MARKER} must be followed by a \`\`\`ts or \`\`\`js block`);
    const end = lines.indexOf('```', j + 1);
    if (end < 0) throw new Error(`README line ${j + 1}: unterminated code block`);
    out.push({ line: j + 1, code: lines.slice(j + 1, end).join('\n') + '\n' });
    i = end;
  }
  return out;
}

const blocks = examples(fs.readFileSync(README, 'utf8'));

/** `pnpm start`'s default client endpoints, as the README's quick start gives them. */
const PNPM_START_ENDPOINTS = '127.0.0.1:6001,127.0.0.1:6002,127.0.0.1:6003';

let start: ScriptRun | undefined;
let endpoints = '';
let dir: string;

const compilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ES2022,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  lib: ['lib.es2022.d.ts', 'lib.esnext.disposable.d.ts'],
  types: ['node'],
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noEmit: true,
  skipLibCheck: true,
  esModuleInterop: true,
};

beforeAll(async () => {
  // A scratch dir outside the repository whose node_modules resolves @quorumlock/client (and,
  // through its real path, its dependencies) and @types/node for the type check.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-readme-'));
  const nm = path.join(dir, 'node_modules');
  fs.mkdirSync(path.join(nm, '@quorumlock'), { recursive: true });
  fs.mkdirSync(path.join(nm, '@types'), { recursive: true });
  fs.symlinkSync(path.dirname(require.resolve('@quorumlock/client/package.json')), path.join(nm, '@quorumlock', 'client'), 'dir');
  fs.symlinkSync(path.dirname(require.resolve('@types/node/package.json')), path.join(nm, '@types', 'node'), 'dir');
  start = startScript('pnpm', ['start', '--', '--port-base', '0', '--data-dir', path.join(dir, 'cluster')]);
  endpoints = (await start.waitFor(/client endpoints (\S+)\n/, 60_000))[1] ?? '';
  await start.waitFor(/\bn[123] leader term \d+/, 60_000);
});

afterAll(async () => {
  if (start !== undefined) {
    process.kill(-start.pid, 'SIGINT'); // Ctrl-C
    await waitGroupEmpty(start.pid, 30_000);
  }
  killAllScripts();
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

it('the README marks its examples', () => {
  expect(blocks.length).toBeGreaterThanOrEqual(3);
});

it("every example that makes a client defaults to pnpm start's endpoints", () => {
  const clients = blocks.filter((b) => /new LockClient\(/.test(b.code));
  expect(clients.length).toBeGreaterThanOrEqual(3);
  for (const b of clients) {
    expect({ line: b.line, fallback: b.code.includes(`process.env.QUORUMLOCK_ENDPOINTS ?? '${PNPM_START_ENDPOINTS}'`) }).toEqual({ line: b.line, fallback: true });
  }
});

it('every example type-checks (strict) against the published types', () => {
  const files = blocks.map((b, i) => {
    const file = path.join(dir, `example-${i + 1}.mts`);
    fs.writeFileSync(file, b.code);
    return file;
  });
  const program = ts.createProgram(files, compilerOptions);
  const problems = ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file === undefined || d.start === undefined ? '' : (() => {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      const block = blocks[files.indexOf(d.file.fileName)];
      return `README line ${(block?.line ?? 0) + line + 1}:${character + 1} `;
    })();
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
  expect(problems).toEqual([]);
});

describe('every example runs against a real cluster and exits 0', () => {
  it.each(blocks.map((b, i) => [i + 1, b.line, b] as const))('example %i (README line %i)', async (n, _line, block) => {
    const js = ts.transpileModule(block.code, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022 },
      fileName: `example-${n}.mts`,
    }).outputText;
    const file = path.join(dir, `example-${n}.mjs`);
    fs.writeFileSync(file, js);
    const child = spawn(process.execPath, [file], {
      cwd: dir,
      env: { ...process.env, QUORUMLOCK_ENDPOINTS: endpoints },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000); // a hung example fails, not the run
    const [code, signal] = (await new Promise((resolve) => child.once('close', (c, s) => resolve([c, s])))) as [number | null, NodeJS.Signals | null];
    clearTimeout(killer);
    expect({ code, signal, out }).toEqual({ code: 0, signal: null, out: expect.any(String) });
  });
});

it('the examples print what their comments say', async () => {
  // The third example documents its output in comments; check the ones that are deterministic.
  const third = blocks[2];
  if (third === undefined) throw new Error('no third example');
  const js = ts.transpileModule(third.code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022 } }).outputText;
  const file = path.join(dir, 'example-3-again.mjs');
  fs.writeFileSync(file, js);
  const child = spawn(process.execPath, [file], { cwd: dir, env: { ...process.env, QUORUMLOCK_ENDPOINTS: endpoints }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise((resolve) => child.once('close', resolve));
  expect(code).toBe(0);
  const lines = out.trim().split('\n');
  expect(lines[0]).toBe('null');
  expect(lines[1]).toMatch(/^Map\(2\) \{ 'account\/3' => \d+, 'account\/7' => \d+ \}$/);
  expect(lines[2]).toBe('true false'); // the second worker gets the stored result without running
  expect(lines[3]).toMatch(/^\{ current: true, latestToken: \d+ \}$/);
  expect(lines[4]).toBe('false');
});
