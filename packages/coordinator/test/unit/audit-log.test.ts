import { EventEmitter } from 'node:events';
import pino from 'pino';
import { attachAuditLog } from '../../src/server/audit-log';
import type { ApplyOutput } from '../../src/state';
import { Driver } from './harness';

/** A Driver whose every apply reaches the audit log, as Replica's `applied` event does. */
function audited(level: string, leader = true): { d: Driver; lines: Record<string, unknown>[] } {
  const d = new Driver();
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level, base: null, timestamp: false }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  const applied = new EventEmitter<{ applied: [ApplyOutput] }>();
  attachAuditLog({ on: (e, l) => applied.on(e, l), isLeader: () => leader, sm: d.machine }, logger);
  const run = d.run.bind(d);
  d.run = (input) => {
    const out = run(input);
    applied.emit('applied', out);
    return out;
  };
  return { d, lines };
}

describe('audit log: who held what, from the logs alone', () => {
  test('debug: each grant, release and session end with its index, session and client name', () => {
    const { d, lines } = audited('debug');
    d.open('s1', 1000, 'worker-7');
    d.lock('s1', 1, 'acct/1');
    d.release('s1', 2, 'acct/1', 2);
    d.lock('s1', 3, 'acct/2');
    d.advance(5000);
    d.run({ type: 'expireSessions', sessionIds: ['s1'] });
    const brief = lines.map((l) => [l['msg'], l['index'], l['client'], l['lock'], l['token']]);
    expect(brief).toEqual([
      ['session opened', 1, 'worker-7', undefined, undefined],
      ['lock granted', 2, 'worker-7', 'acct/1', 2],
      ['lock released', 3, 'worker-7', 'acct/1', 2],
      ['lock granted', 4, 'worker-7', 'acct/2', 4],
      ['hold ended', 5, 'worker-7', 'acct/2', 4],
      // The name outlives the session, which the machine has already forgotten.
      ['session expired', 5, 'worker-7', undefined, undefined],
    ]);
    expect(lines[1]).toMatchObject({ level: 20, session: 's1', request: 1, mode: 'exclusive', permits: 1 });
    expect(lines[5]).toMatchObject({ level: 30 });
  });

  test('info: only session ends, and only on the leader', () => {
    const leader = audited('info');
    leader.d.open('s1', 1000, 'w');
    leader.d.lock('s1', 1, 'x');
    leader.d.run({ type: 'closeSession', sessionId: 's1' });
    leader.d.open('s2', 1000, 'v');
    leader.d.advance(5000);
    leader.d.run({ type: 'expireSessions', sessionIds: ['s2'] });
    expect(leader.lines.map((l) => [l['msg'], l['client']])).toEqual([['session expired', 'v']]);

    const follower = audited('info', false);
    follower.d.open('s2', 1000, 'v');
    follower.d.advance(5000);
    follower.d.run({ type: 'expireSessions', sessionIds: ['s2'] });
    expect(follower.lines).toEqual([]);
  });

  test('warn: nothing is subscribed', () => {
    const { d, lines } = audited('warn');
    d.open('s1', 1000, 'w');
    d.advance(5000);
    d.run({ type: 'expireSessions', sessionIds: ['s1'] });
    expect(lines).toEqual([]);
  });
});
