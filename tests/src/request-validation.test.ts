/**
 * Requests whose validity does not depend on state are refused by the server before it proposes
 * anything (issue 9, section 2): an unknown Mode, a name that is not valid UTF-8 on the wire, a
 * 900 KiB name on every RPC that takes a name, and oversized values. They are answered within
 * one round trip, with INVALID_ARGUMENT or RESOURCE_EXHAUSTED naming the field and the value, and
 * nothing reaches the log: the commit index stays put and the data dirs do not grow.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CoordinatorCluster } from '@quorumlock/coordinator/testing';
import { v1 } from '@quorumlock/coordinator/testing';
import { RawSession, type Response } from './helpers/raw-session';

jest.setTimeout(120_000);

let cluster: CoordinatorCluster;
let leader: string;
const closers: (() => void)[] = [];

beforeAll(async () => {
  cluster = await CoordinatorCluster.create({ size: 3, args: ['--tick-ms', '50'] });
  await cluster.startAll();
  leader = await cluster.waitLeader();
});

afterEach(() => {
  for (const c of closers.splice(0)) c();
});

afterAll(async () => {
  await cluster.destroy();
});

function session(): RawSession {
  const s = new RawSession(cluster.address(leader));
  closers.push(() => s.close());
  return s;
}

async function commitIndex(): Promise<number> {
  const st = await cluster.status(leader);
  return st.members.find((m) => m.id === leader)?.commitIndex ?? -1;
}

/** Total size of the files under `dir`. */
function dirBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : fs.statSync(p).size;
  }
  return total;
}

/** Wire encoding of an AcquireRequest `lock` (field 2) whose name is raw bytes. */
function rawLock(requestId: number, name: Buffer, mode?: number): Buffer {
  const nameField = Buffer.concat([Buffer.from([0x12]), varint(name.length), name]);
  const inner = Buffer.concat([Buffer.from([0x08]), varint(requestId), nameField, mode === undefined ? Buffer.alloc(0) : Buffer.from([0x20, mode])]);
  return Buffer.concat([Buffer.from([0x12]), varint(inner.length), inner]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** An Acquire stream that sends frames as given (so a test can put any bytes on the wire). */
function rawStream(address: string): { send: (b: Buffer) => void; next: () => Promise<Response>; close: () => void } {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const method = v1.LockService.service['Acquire'];
  if (method === undefined) throw new Error('no Acquire method');
  const call = client.makeBidiStreamRequest('/quorumlock.v1.LockService/Acquire', (b: Buffer) => b, (b: Buffer) => method.responseDeserialize(b) as Response);
  const got: Response[] = [];
  const waiters: (() => void)[] = [];
  let ended = '';
  call.on('data', (r: Response) => {
    got.push(r);
    for (const w of waiters.splice(0)) w();
  });
  call.on('status', (s: grpc.StatusObject) => {
    ended = `${s.code} ${s.details}`;
    for (const w of waiters.splice(0)) w();
  });
  call.on('error', () => undefined);
  closers.push(() => {
    call.cancel();
    client.close();
  });
  return {
    send: (b) => call.write(b),
    next: async () => {
      const deadline = Date.now() + 10_000;
      while (got.length === 0) {
        if (ended !== '') throw new Error(`stream ended: ${ended}`);
        if (Date.now() > deadline) throw new Error('no response within 10 s');
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 100);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      return got.shift() as Response;
    },
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

function unary<T>(service: 'LockService' | 'AdminService', method: string, req: object): Promise<{ res?: T; err?: grpc.ServiceError }> {
  const client = new v1[service](cluster.address(leader), grpc.credentials.createInsecure()) as unknown as Record<string, (r: object, cb: (e: grpc.ServiceError | null, res: T) => void) => void>;
  return new Promise((resolve) => {
    client[method]?.call(client, req, (err, res) => {
      (client as unknown as grpc.Client).close();
      resolve(err ? { err } : { res });
    });
  });
}

/** A unary call whose request is raw bytes. */
function rawUnary(pathName: string, body: Buffer): Promise<grpc.ServiceError | null> {
  const client = new grpc.Client(cluster.address(leader), grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(pathName, (b: Buffer) => b, (b: Buffer) => b, body, (err) => {
      client.close();
      resolve(err);
    });
  });
}

describe('requests refused before they are logged', () => {
  it('answers mode 7, an invalid UTF-8 name and a 900 KiB name with INVALID_ARGUMENT, as the next response, logging nothing', async () => {
    const s = rawStream(cluster.address(leader));
    const open = v1.LockService.service['Acquire']?.requestSerialize({ open: { sessionId: '', ttlMs: 30_000, clientName: 'validation' } });
    if (open === undefined) throw new Error('no serializer');
    s.send(open);
    const opened = await s.next();
    expect(opened.msg).toBe('opened');
    await new Promise((r) => setTimeout(r, 300)); // let the open's commit reach the status view
    const before = await commitIndex();

    s.send(rawLock(1, Buffer.from('a'), 7));
    const r1 = await s.next();
    expect(r1.msg).toBe('failed');
    expect(r1.failed).toMatchObject({ requestId: 1, code: grpc.status.INVALID_ARGUMENT });
    expect(r1.failed?.message).toMatch(/lock\.mode: 7 /);

    s.send(rawLock(2, Buffer.from([0xff, 0xfe, 0x41])));
    const r2 = await s.next();
    expect(r2.failed).toMatchObject({ requestId: 2, code: grpc.status.INVALID_ARGUMENT });
    expect(r2.failed?.message).toContain('lock.name: bytes fffe41 are not valid UTF-8');

    s.send(rawLock(3, Buffer.alloc(900 * 1024, 0x61)));
    const r3 = await s.next();
    expect(r3.failed).toMatchObject({ requestId: 3, code: grpc.status.INVALID_ARGUMENT });
    expect(r3.failed?.message).toContain(`${900 * 1024} bytes long; the limit is 512`);

    // The genuine encoding of "\ufffd\ufffdA" is a valid name, and a different lock from ff fe 41.
    s.send(rawLock(4, Buffer.from('\ufffd\ufffdA')));
    const r4 = await s.next();
    expect(r4.msg).toBe('granted');
    expect(r4.granted?.name).toBe('\ufffd\ufffdA');
    // Only the grant (one entry) reached the log.
    expect(await commitIndex()).toBe(before + 1);
  });

  it('refuses a 900 KiB or invalid UTF-8 name on CheckFence, DescribeLock and the admin calls that take one', async () => {
    const big = 'n'.repeat(900 * 1024);
    const fence = await unary('LockService', 'checkFence', { name: big, token: 1 });
    expect(fence.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(fence.err?.details).toContain(`name: 'nnn`);
    expect(fence.err?.details).toContain(`${900 * 1024} bytes`);
    const describe = await unary('AdminService', 'describeLock', { name: big });
    expect(describe.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(describe.err?.details).toContain(`${900 * 1024} bytes`);

    const badName = Buffer.from([0x0a, 0x03, 0xff, 0xfe, 0x41]); // field 1 (name) of both requests
    const e1 = await rawUnary('/quorumlock.v1.LockService/CheckFence', badName);
    expect(e1?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(e1?.details).toContain('name: bytes fffe41 are not valid UTF-8');
    const e2 = await rawUnary('/quorumlock.v1.AdminService/DescribeLock', badName);
    expect(e2?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(e2?.details).toContain('name: bytes fffe41 are not valid UTF-8');
    // The admin calls that take a name or text are refused the same way, before any proposal.
    for (const p of ['Revoke', 'DeleteValue']) {
      const e = await rawUnary(`/quorumlock.v1.AdminService/${p}`, badName);
      expect(e?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(e?.details).toContain('name: bytes fffe41 are not valid UTF-8');
    }
    const revoke = await unary('AdminService', 'revoke', { name: big, token: 0, reason: '' });
    expect(revoke.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const del = await unary('AdminService', 'deleteValue', { name: big });
    expect(del.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const list = await unary('AdminService', 'listLocks', { prefix: big, limit: 0 });
    expect(list.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(list.err?.details).toContain('prefix:');
  });

  it('refuses sixty 1 MB puts with RESOURCE_EXHAUSTED and no data dir grows by more than 10 MB', async () => {
    const s = session();
    await s.open(30_000);
    await new Promise((r) => setTimeout(r, 300));
    const dirs = cluster.ids.map((id) => path.join(cluster.baseDir, id));
    const before = dirs.map(dirBytes);
    const value = randomBytes(1_000_000); // incompressible: LevelDB compresses its tables
    for (let i = 1; i <= 60; i++) s.send({ put: { requestId: i, name: 'quota/big', token: 1, value } });
    const answers = [];
    for (let i = 1; i <= 60; i++) answers.push(await s.failed(i, 30_000));
    expect(answers.every((f) => f.code === grpc.status.RESOURCE_EXHAUSTED)).toBe(true);
    // Give followers the time they would need to write anything they had been sent.
    await new Promise((r) => setTimeout(r, 1000));
    const grown = dirs.map((d, i) => dirBytes(d) - (before[i] ?? 0));
    for (const g of grown) expect(g).toBeLessThan(10 * 1024 * 1024);
    expect(answers[0]?.message).toContain('put.value: 1000000 bytes; the limit is 65536');
  });
});

describe('refusals carry the error code of the catalogue', () => {
  it('RequestFailed.error_code on the stream (ERR_LOCK_HELD, ERR_NOT_HOLDER, ERR_INVALID_ARGUMENT), x-lock-error-code on a unary status', async () => {
    const a = session();
    const b = session();
    await a.open();
    await b.open();
    a.lock(1, 'codes/x');
    const token = (await a.granted(1)).token;
    b.lock(1, 'codes/x', { tryOnly: true });
    const held = (await b.next((r) => r.msg === 'failed' && r.failed?.requestId === 1)).failed;
    expect([held?.code, held?.errorCode]).toEqual([grpc.status.FAILED_PRECONDITION, 'ERR_LOCK_HELD']);
    b.release(2, 'codes/x', token);
    const notHolder = (await b.next((r) => r.msg === 'failed' && r.failed?.requestId === 2)).failed;
    expect([notHolder?.code, notHolder?.errorCode]).toEqual([grpc.status.FAILED_PRECONDITION, 'ERR_NOT_HOLDER']);
    b.lock(3, 'codes/y', { mode: 7 }); // refused by the server before the log
    const invalid = (await b.next((r) => r.msg === 'failed' && r.failed?.requestId === 3)).failed;
    expect([invalid?.code, invalid?.errorCode]).toEqual([grpc.status.INVALID_ARGUMENT, 'ERR_INVALID_ARGUMENT']);

    const fence = await unary('LockService', 'checkFence', { name: '', token: 1 });
    expect([fence.err?.code, fence.err?.metadata.get('x-lock-error-code')]).toEqual([grpc.status.INVALID_ARGUMENT, ['ERR_INVALID_ARGUMENT']]);
    const describe = await unary('AdminService', 'describeLock', { name: 'codes/none' });
    expect([describe.err?.code, describe.err?.metadata.get('x-lock-error-code')]).toEqual([grpc.status.NOT_FOUND, ['ERR_NOT_FOUND']]);
  });
});
