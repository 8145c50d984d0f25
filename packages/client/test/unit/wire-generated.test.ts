/**
 * The wire types are generated from the .proto files (proto/gen-types.js, `pnpm proto:gen`) and
 * committed. This checks that the committed files are what a fresh generation gives (a .proto
 * edited without regenerating fails here), and that the generator's flags describe the loader
 * options the code decodes with, so the generated types match the run-time shapes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loaderOptions } from '@quorumlock/proto';
import { FLAGS, GENERATED_DIR, generate } from '../../../../proto/gen-types';
import { wire } from '../../src/wire';

function filesUnder(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quorumlock-gen-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

it('the committed generated types equal a fresh generation (run `pnpm proto:gen` after editing a .proto)', () => {
  const fresh = path.join(tmp, 'generated');
  generate(fresh);
  const want = filesUnder(fresh);
  const have = filesUnder(GENERATED_DIR);
  expect([...have.keys()].sort()).toEqual([...want.keys()].sort());
  const stale = [...want].filter(([f, text]) => have.get(f) !== text).map(([f]) => f);
  expect(stale).toEqual([]);
  expect(want.has(path.join('quorumlock', 'v1', 'AcquireRequest.ts'))).toBe(true);
});

it('generates for the loader options the code decodes with', () => {
  expect({
    keepCase: FLAGS.keepCase,
    longs: FLAGS.longs,
    enums: FLAGS.enums,
    defaults: FLAGS.defaults,
    oneofs: FLAGS.oneofs,
  }).toEqual({
    keepCase: loaderOptions.keepCase,
    longs: loaderOptions.longs.name,
    enums: loaderOptions.enums.name,
    defaults: loaderOptions.defaults,
    oneofs: loaderOptions.oneofs,
  });
});

it('decodes an AcquireResponse into the shape its generated type names', () => {
  const w = wire();
  const bytes = w.lockService['Acquire']?.responseSerialize({ failed: { requestId: 7, code: 9, message: 'held' } });
  expect(bytes).toBeInstanceOf(Buffer);
  const res = w.acquire.responseDeserialize(bytes as Buffer);
  expect(res.msg).toBe('failed');
  if (res.msg !== 'failed') return;
  expect(res.failed).toEqual({ requestId: 7, code: 9, message: 'held', errorCode: '' });
  expect(() => w.acquire.responseDeserialize(Buffer.alloc(0))).toThrow(/no message set/);
});
