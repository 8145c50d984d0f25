/**
 * A fault-injecting TCP proxy for multi-process tests: listens on 127.0.0.1 (a free port) and
 * forwards every connection to one target `host:port`, unless told to misbehave.
 *
 * ```ts
 * const proxy = new FaultProxy('127.0.0.1:6001');
 * const port = await proxy.start();           // give clients proxy.address instead of the target
 * proxy.setMode('drop');                      // black hole: bytes vanish both ways, sockets stay open
 * proxy.setMode({ kind: 'drop', direction: 'toClient' }); // only answers vanish (asymmetric)
 * proxy.setMode({ kind: 'delay', ms: 200 });  // every chunk arrives 200 ms late, in order
 * proxy.setMode('reset');                     // every connection is reset, now and on connect
 * proxy.setMode('pass');
 * await proxy.close();
 * ```
 *
 * Modes:
 * - `pass`: forward both ways.
 * - `drop`: read and silently discard the bytes of the chosen direction(s) (default both); the
 *   sockets stay open, so the peers see no error — only silence, as behind a dead router. New
 *   connections are accepted and black-holed too. A connection that lost bytes carries a torn
 *   byte stream (HTTP/2 frames cut anywhere), so when the mode leaves `drop` such connections are
 *   reset; untouched ones keep working.
 * - `reset`: destroy every connection with a TCP RST, and reset new ones at once.
 * - `delay`: forward every chunk `ms` later, preserving order per direction.
 *
 * The proxy never buffers without bound in `drop` (bytes are discarded) and pauses the reading
 * side while a write is backed up, so a slow peer slows the other down as TCP would.
 */
import * as net from 'node:net';

export type Direction = 'both' | 'toTarget' | 'toClient';

export type FaultMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'drop'; readonly direction?: Direction }
  | { readonly kind: 'reset' }
  | { readonly kind: 'delay'; readonly ms: number };

export interface FaultProxyStats {
  /** Connections accepted since start. */
  readonly accepted: number;
  /** Connections open right now. */
  readonly open: number;
  readonly bytesForwarded: number;
  readonly bytesDropped: number;
  /** Connections destroyed by `reset` or by leaving `drop` with a torn stream. */
  readonly resets: number;
}

/** One proxied connection: the client's socket and ours to the target. */
class Link {
  /** Bytes were discarded on this link: its byte stream is torn. */
  torn = false;
  closed = false;
  /** Per direction: chunks waiting for their delay (kept in order). */
  readonly delayed = { toTarget: [] as { at: number; data: Buffer }[], toClient: [] as { at: number; data: Buffer }[] };
  readonly timers = { toTarget: undefined as NodeJS.Timeout | undefined, toClient: undefined as NodeJS.Timeout | undefined };

  constructor(
    readonly client: net.Socket,
    readonly upstream: net.Socket,
  ) {}
}

export class FaultProxy {
  readonly target: { readonly host: string; readonly port: number };
  private server: net.Server | undefined;
  private portValue = 0;
  private mode: FaultMode = { kind: 'pass' };
  private readonly links = new Set<Link>();
  private accepted = 0;
  private bytesForwarded = 0;
  private bytesDropped = 0;
  private resets = 0;

  /** `target`: `host:port` of the server behind the proxy. */
  constructor(target: string) {
    const i = target.lastIndexOf(':');
    const port = Number(target.slice(i + 1));
    if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`FaultProxy: target '${target}' is not host:port`);
    this.target = { host: target.slice(0, i), port };
  }

  /** Starts listening on 127.0.0.1 (`port` 0: a free one) and resolves to the port. */
  async start(port = 0): Promise<number> {
    if (this.server !== undefined) throw new Error('FaultProxy: already started');
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('FaultProxy: no TCP address');
    this.portValue = addr.port;
    return this.portValue;
  }

  get port(): number {
    return this.portValue;
  }

  /** `127.0.0.1:<port>`: what clients should dial instead of the target. */
  get address(): string {
    return `127.0.0.1:${this.portValue}`;
  }

  get currentMode(): FaultMode {
    return this.mode;
  }

  get stats(): FaultProxyStats {
    return { accepted: this.accepted, open: this.links.size, bytesForwarded: this.bytesForwarded, bytesDropped: this.bytesDropped, resets: this.resets };
  }

  /** Switches mode at once, for existing and new connections. */
  setMode(mode: FaultMode | 'pass' | 'drop' | 'reset'): void {
    const next: FaultMode = typeof mode === 'string' ? ({ kind: mode } as FaultMode) : mode;
    if (next.kind === 'delay' && !(Number.isFinite(next.ms) && next.ms >= 0)) throw new Error(`FaultProxy: delay ${String(next.ms)} ms is not a non-negative number`);
    this.mode = next;
    for (const link of [...this.links]) {
      if (next.kind === 'reset' || (next.kind !== 'drop' && link.torn)) this.resetLink(link);
      else if (next.kind !== 'delay') this.flushDelayed(link); // chunks waiting for a delay go now (pass) or vanish (drop)
    }
  }

  /** Resets every open connection now, whatever the mode (new ones are accepted as the mode says). */
  resetConnections(): void {
    for (const link of [...this.links]) this.resetLink(link);
  }

  /** Closes the listener and destroys every connection. Idempotent. */
  async close(): Promise<void> {
    const server = this.server;
    for (const link of [...this.links]) this.destroyLink(link, false);
    if (server === undefined || !server.listening) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---------------------------------------------------------------- internals

  private accept(client: net.Socket): void {
    this.accepted++;
    client.setNoDelay(true);
    client.on('error', () => undefined); // a peer's RST is not the proxy's problem
    if (this.mode.kind === 'reset') {
      this.resets++;
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ host: this.target.host, port: this.target.port, noDelay: true });
    const link = new Link(client, upstream);
    this.links.add(link);
    const end = (): void => this.destroyLink(link, false);
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    // A half-close is passed on only while bytes flow that way (in `drop` the peer hears nothing).
    client.on('end', () => {
      if (!this.dropping('toTarget')) upstream.end();
    });
    upstream.on('end', () => {
      if (!this.dropping('toClient')) client.end();
    });
    client.on('data', (d: Buffer) => this.carry(link, 'toTarget', d));
    upstream.on('data', (d: Buffer) => this.carry(link, 'toClient', d));
  }

  private dropping(dir: 'toTarget' | 'toClient'): boolean {
    if (this.mode.kind !== 'drop') return false;
    const d = this.mode.direction ?? 'both';
    return d === 'both' || d === dir;
  }

  private carry(link: Link, dir: 'toTarget' | 'toClient', data: Buffer): void {
    if (link.closed) return;
    if (this.dropping(dir)) {
      link.torn = true;
      this.bytesDropped += data.length;
      return;
    }
    const delayMs = this.mode.kind === 'delay' ? this.mode.ms : 0;
    const queue = link.delayed[dir];
    if (delayMs === 0 && queue.length === 0) {
      this.write(link, dir, data);
      return;
    }
    queue.push({ at: Date.now() + delayMs, data });
    this.pump(link, dir);
  }

  /** Writes the delayed chunks that are due, in order, and waits for the next one. */
  private pump(link: Link, dir: 'toTarget' | 'toClient'): void {
    if (link.timers[dir] !== undefined || link.closed) return;
    const queue = link.delayed[dir];
    for (;;) {
      const head = queue[0];
      if (head === undefined) return;
      const wait = head.at - Date.now();
      if (wait > 0) {
        link.timers[dir] = setTimeout(() => {
          link.timers[dir] = undefined;
          this.pump(link, dir);
        }, wait);
        return;
      }
      queue.shift();
      this.write(link, dir, head.data);
    }
  }

  /** Mode changed away from `delay`: pass the waiting chunks on now, or drop them. */
  private flushDelayed(link: Link): void {
    for (const dir of ['toTarget', 'toClient'] as const) {
      const timer = link.timers[dir];
      if (timer !== undefined) clearTimeout(timer);
      link.timers[dir] = undefined;
      const queue = link.delayed[dir].splice(0);
      for (const c of queue) this.carry(link, dir, c.data);
    }
  }

  private write(link: Link, dir: 'toTarget' | 'toClient', data: Buffer): void {
    const [from, to] = dir === 'toTarget' ? [link.client, link.upstream] : [link.upstream, link.client];
    if (to.destroyed) return;
    this.bytesForwarded += data.length;
    if (!to.write(data)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  }

  private resetLink(link: Link): void {
    this.resets++;
    this.destroyLink(link, true);
  }

  private destroyLink(link: Link, reset: boolean): void {
    if (link.closed) return;
    link.closed = true;
    this.links.delete(link);
    for (const t of Object.values(link.timers)) if (t !== undefined) clearTimeout(t);
    for (const s of [link.client, link.upstream]) {
      if (s.destroyed) continue;
      // resetAndDestroy needs a connected socket; an upstream still connecting is just destroyed.
      if (reset && !s.connecting) s.resetAndDestroy();
      else s.destroy();
    }
  }
}
