/**
 * The workers' records of a chaos run: each worker appends JSON lines (events, validity windows,
 * session expiries, lease signals) to its own file in the history directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HistoryEvent, Validity } from '@quorumlock/chaos-check';
import type { LeaseLoss } from './judge';

export interface WorkerRecords {
  readonly events: HistoryEvent[];
  readonly validity: Validity[];
  readonly expiries: { process: string; time: number }[];
  readonly leaseLosses: LeaseLoss[];
  /** The latest time any record carries. */
  readonly end: number;
}

/** Reads every worker's file; a line torn by SIGKILL is skipped. */
export function readWorkerRecords(historyDir: string): WorkerRecords {
  const events: HistoryEvent[] = [];
  const validity: Validity[] = [];
  const expiries: { process: string; time: number }[] = [];
  const leaseLosses: LeaseLoss[] = [];
  let end = 0;
  for (const f of fs.readdirSync(historyDir)) {
    for (const line of fs.readFileSync(path.join(historyDir, f), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue; // a line torn by SIGKILL
      }
      const time = Number(rec['time'] ?? rec['grantedAt'] ?? 0);
      end = Math.max(end, time);
      if (rec['kind'] === 'event') {
        const { kind: _k, ...ev } = rec;
        events.push(ev as unknown as HistoryEvent);
      } else if (rec['kind'] === 'validity') {
        const { kind: _k, ...v } = rec;
        validity.push(v as unknown as Validity);
      } else if (rec['kind'] === 'sessionExpired') {
        expiries.push({ process: String(rec['process']), time });
      } else if (rec['kind'] === 'leaseLost') {
        leaseLosses.push({ process: String(rec['process']), resource: String(rec['resource']), token: Number(rec['token']), time, reason: String(rec['reason']), detail: String(rec['detail'] ?? '') });
      }
    }
  }
  return { events, validity, expiries, leaseLosses, end };
}

/**
 * Adds the validity windows no worker closed: a worker SIGKILLed while holding trusted its grants
 * until the moment it died ('crash'); one still holding at the end, until then ('open').
 */
export function closeOpenHolds(records: WorkerRecords, killedAt: ReadonlyMap<string, number>): void {
  const { events, validity, end } = records;
  const closed = new Set(validity.map((v) => `${v.process}|${v.token}`));
  for (const e of events) {
    if (e.f !== 'acquire' || e.type !== 'ok') continue;
    if (closed.has(`${e.process}|${e.value.token}`)) continue;
    const k = killedAt.get(e.process);
    validity.push({
      process: e.process, resource: e.resource, token: e.value.token, grantedAt: e.time,
      validUntil: k ?? end, end: k !== undefined ? 'crash' : 'open', mode: e.value.mode, permits: e.value.permits, capacity: e.value.capacity,
    });
  }
}
