/**
 * The FaultProxy (packages/coordinator/src/testing/fault-proxy.ts), against a local echo
 * server: pass forwards, drop is a silent black hole (no error, no close, nothing arrives) and
 * leaving it resets the connections it tore, reset refuses, delay keeps order but lets an
 * undelayed path overtake.
 */
import * as net from 'node:net';
import { FaultProxy } from '@quorumlock/coordinator/testing';

let echo: net.Server;
let target = '';
const proxies: FaultProxy[] = [];
const sockets: net.Socket[] = [];

beforeAll(async () => {
  echo = net.createServer((s) => {
    s.on('error', () => undefined); // the proxy resets connections on purpose
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  target = `127.0.0.1:${(echo.address() as net.AddressInfo).port}`;
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

afterAll(async () => {
  await new Promise((r) => echo.close(r));
});

async function proxy(): Promise<FaultProxy> {
  const p = new FaultProxy(target);
  await p.start();
  proxies.push(p);
  return p;
}

/** A connection that records what it receives and how it ended. */
async function connect(address: string): Promise<{ s: net.Socket; got: () => string; ended: () => string | undefined; next: (text: string) => Promise<void> }> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const s = net.connect({ host, port });
  sockets.push(s);
  let data = '';
  let end: string | undefined;
  const waiters: (() => void)[] = [];
  s.on('data', (d: Buffer) => {
    data += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  s.on('error', (e: NodeJS.ErrnoException) => (end = e.code ?? 'error'));
  s.on('close', () => {
    end ??= 'close';
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((r, j) => {
    s.once('connect', () => r());
    s.once('error', j);
  });
  const next = async (text: string): Promise<void> => {
    while (!data.includes(text)) {
      if (end !== undefined) throw new Error(`connection ended (${end}) before '${text}' arrived; got '${data}'`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { s, got: () => data, ended: () => end, next };
}

/** Lets I/O settle: a round trip through a fresh connection to the echo server. */
async function settle(): Promise<void> {
  const c = await connect(target);
  c.s.write('ping');
  await c.next('ping');
}

it('pass forwards both ways', async () => {
  const p = await proxy();
  const c = await connect(p.address);
  c.s.write('hello');
  await c.next('hello');
  expect(p.stats.bytesForwarded).toBe(10);
});

it('drop is a black hole: nothing arrives, nothing errors; leaving it resets the torn connection', async () => {
  const p = await proxy();
  const c = await connect(p.address);
  c.s.write('before');
  await c.next('before');
  p.setMode('drop');
  c.s.write('lost');
  const late = await connect(p.address); // new connections are accepted and black-holed too
  late.s.write('also lost');
  await settle();
  await settle();
  expect(c.got()).toBe('before');
  expect(late.got()).toBe('');
  expect([c.ended(), late.ended()]).toEqual([undefined, undefined]);
  expect(p.stats.bytesDropped).toBeGreaterThan(0);
  p.setMode('pass');
  await new Promise<void>((r) => (c.ended() !== undefined ? r() : c.s.once('close', () => r())));
  expect(p.stats.resets).toBeGreaterThanOrEqual(2);
  const fresh = await connect(p.address);
  fresh.s.write('after');
  await fresh.next('after');
});

it('drop toClient: requests arrive, answers vanish', async () => {
  const p = await proxy();
  let received = '';
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => {
      received += d.toString();
      s.write(d);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const q = new FaultProxy(`127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  await q.start();
  proxies.push(q);
  q.setMode({ kind: 'drop', direction: 'toClient' });
  const c = await connect(q.address);
  c.s.write('request');
  while (received !== 'request') await new Promise((r) => setTimeout(r, 5));
  await settle();
  expect(c.got()).toBe('');
  expect(p.stats.accepted).toBe(0);
  await q.close();
  await new Promise((r) => server.close(r));
});

it('reset destroys open connections and refuses new ones', async () => {
  const p = await proxy();
  const c = await connect(p.address);
  p.setMode('reset');
  await new Promise<void>((r) => (c.ended() !== undefined ? r() : c.s.once('close', () => r())));
  expect(c.ended()).toMatch(/ECONNRESET|close/);
  // A new connection is accepted by the kernel, then reset at once.
  const d = await connect(p.address).catch(() => undefined);
  if (d !== undefined) await new Promise<void>((r) => (d.ended() !== undefined ? r() : d.s.once('close', () => r())));
  expect(p.stats.resets).toBe(2);
});

it('delay keeps the order; an undelayed path overtakes it', async () => {
  const p = await proxy();
  p.setMode({ kind: 'delay', ms: 150 });
  const slow = await connect(p.address);
  const fast = await connect(target);
  const order: string[] = [];
  slow.s.write('1');
  slow.s.write('2');
  fast.s.write('x');
  await Promise.all([slow.next('12').then(() => order.push('slow')), fast.next('x').then(() => order.push('fast'))]);
  expect(order).toEqual(['fast', 'slow']);
  expect(slow.got()).toBe('12');
});
