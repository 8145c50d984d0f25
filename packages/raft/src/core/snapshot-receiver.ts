import type { NodeId, SnapshotChunk } from './types';

interface Transfer {
  readonly from: NodeId;
  readonly index: number;
  readonly term: number;
  readonly totalBytes: number;
  readonly chunks: Uint8Array[];
  received: number;
}

/** What to do with a chunk: answer the leader with the next byte wanted, or install the whole snapshot. */
export type ChunkOutcome =
  | { readonly kind: 'next'; readonly nextOffset: number; readonly reject: boolean; readonly badSize: string | null }
  | { readonly kind: 'complete'; readonly data: Uint8Array };

/**
 * A follower's side of a chunked snapshot transfer: reassembles one leader's snapshot in order
 * and says which byte it needs next. Everything in a chunk comes from the wire, so nothing in it
 * is trusted: a contradiction restarts the transfer instead of tripping an assertion.
 */
export class SnapshotReceiver {
  private rx: Transfer | null = null;

  reset(): void {
    this.rx = null;
  }

  accept(m: SnapshotChunk): ChunkOutcome {
    let rx = this.rx;
    if (m.offset === 0 && !(rx !== null && sameTransfer(rx, m))) {
      rx = { from: m.from, index: m.meta.index, term: m.meta.term, totalBytes: m.totalBytes, chunks: [], received: 0 };
      this.rx = rx;
    }
    if (rx === null || !sameTransfer(rx, m)) return next(0, true);
    // A chunk that contradicts the announced sizes must not be buffered past them.
    const badSize = sizeProblem(m, rx.totalBytes);
    if (badSize !== null && m.offset === rx.received) {
      this.rx = null;
      return next(0, true, badSize);
    }
    // A duplicate or a gap: say which byte we need.
    if (m.offset !== rx.received) return next(rx.received, false);
    rx.chunks.push(m.data);
    rx.received += m.data.byteLength;
    if (!m.done) return next(rx.received, false);
    this.rx = null;
    return { kind: 'complete', data: concatChunks(rx.chunks, rx.received) };
  }
}

function next(nextOffset: number, reject: boolean, badSize: string | null = null): ChunkOutcome {
  return { kind: 'next', nextOffset, reject, badSize };
}

function sameTransfer(rx: Transfer, m: SnapshotChunk): boolean {
  return rx.index === m.meta.index && rx.term === m.meta.term && rx.from === m.from;
}

function sizeProblem(m: SnapshotChunk, totalBytes: number): string | null {
  const end = m.offset + m.data.byteLength;
  if (m.totalBytes !== totalBytes) return `announces ${m.totalBytes} bytes, the transfer ${totalBytes}`;
  if (end > totalBytes) return `ends at byte ${end}, past its total of ${totalBytes}`;
  if (m.done && end !== totalBytes) return `is the last one but ends at byte ${end} of ${totalBytes}`;
  return null;
}

function concatChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}
