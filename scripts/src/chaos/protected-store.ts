import * as http from 'node:http';

/** One write the store accepted or refused. */
export interface StoreWrite {
  readonly resource: string;
  readonly token: number;
  readonly value: number;
  readonly process: string;
  readonly time: number;
  readonly accepted: boolean;
  /** The highest token the store had seen for the resource when the write arrived. */
  readonly maxTokenBefore: number;
}

/**
 * CLOCK_MONOTONIC, one clock for every process of the run (performance.timeOrigin is fixed per
 * process at start and can differ between processes by a millisecond or two).
 */
const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * The "protected store" of the fault suite: a counter per resource that accepts a write only with
 * a fencing token at least as high as any it has seen for that resource (Kleppmann's fenced
 * storage), and records every accepted and refused write. It runs in the chaos runner's process;
 * workers reach it over HTTP on 127.0.0.1.
 */
export class ProtectedStore {
  private readonly values = new Map<string, number>();
  private readonly maxToken = new Map<string, number>();
  readonly writes: StoreWrite[] = [];
  private server: http.Server | null = null;
  url = '';

  async start(): Promise<string> {
    const server = http.createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const addr = server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
    return this.url;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/read') {
      const r = url.searchParams.get('resource') ?? '';
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: this.values.get(r) ?? 0, maxToken: this.maxToken.get(r) ?? 0 }));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/write') {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        let w: { resource: string; token: number; value: number; process: string };
        try {
          w = JSON.parse(body) as typeof w;
        } catch {
          res.writeHead(400).end('bad json');
          return;
        }
        const max = this.maxToken.get(w.resource) ?? 0;
        const accepted = Number.isSafeInteger(w.token) && w.token >= max;
        this.writes.push({ ...w, time: now(), accepted, maxTokenBefore: max });
        if (accepted) {
          this.maxToken.set(w.resource, w.token);
          this.values.set(w.resource, w.value);
          res.writeHead(200).end('ok');
        } else {
          res.writeHead(409).end(`stale token ${w.token} < ${max}`);
        }
      });
      return;
    }
    res.writeHead(404).end();
  }

  async close(): Promise<void> {
    const s = this.server;
    if (s !== null) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
