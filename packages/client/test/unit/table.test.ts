/** lockctl's table printer and the pure formatting of its commands (text for people, JSON for scripts). */
import type { ClusterStatus, LockInfo } from '../../src/admin-client';
import { formatLock, formatLocks, formatStatus, memberLag } from '../../src/cli/commands';
import { displayWidth, renderKeyValues, renderTable } from '../../src/cli/table';
import { rankContention, renderTopFrame } from '../../src/cli/top';

describe('renderTable', () => {
  it('aligns columns, right-aligns numbers, left-aligns text', () => {
    const out = renderTable(
      [
        { header: 'NAME', value: (r: { n: string; q: number }) => r.n },
        { header: 'QUEUE', value: (r: { n: string; q: number }) => r.q },
        { header: 'NOTE', value: () => undefined },
      ],
      [
        { n: 'a', q: 5 },
        { n: 'orders/long-name', q: 12 },
      ],
    );
    expect(out).toBe(['NAME              QUEUE  NOTE', 'a                     5  -', 'orders/long-name     12  -', ''].join('\n'));
  });

  it('prints the empty text for no rows and flattens newlines in cells', () => {
    expect(renderTable([{ header: 'X', value: (r: string) => r }], [], '(nothing)\n')).toBe('(nothing)\n');
    expect(renderTable([{ header: 'X', value: (r: string) => r }], ['a\nb'])).toBe('X\na b\n');
  });

  it('counts wide glyphs as two columns, so CJK and emoji lock names keep the columns aligned', () => {
    // 注文 is two CJK characters (4 columns), 🔒 one emoji (2 columns), é a letter and a combining accent (1 column).
    const rows = [
      { n: '注文/42', q: 3 },
      { n: 'jobs/🔒', q: 10 },
      { n: 'cafe\u0301', q: 7 },
    ];
    const out = renderTable(
      [
        { header: 'NAME', value: (r: { n: string; q: number }) => r.n },
        { header: 'QUEUE', value: (r: { n: string; q: number }) => r.q },
        { header: 'STATE', value: () => 'held' },
      ],
      rows,
    );
    expect(out).toBe(['NAME     QUEUE  STATE', '注文/42      3  held', 'jobs/🔒     10  held', 'cafe\u0301         7  held', ''].join('\n'));
    // The same, checked by columns: every row's STATE starts at the header's column on screen.
    const lines = out.trimEnd().split('\n');
    const startOf = (line: string): number => displayWidth(line.slice(0, line.lastIndexOf(' ') + 1));
    expect(lines.map(startOf)).toEqual(lines.map(() => startOf(lines[0] ?? '')));
    expect([displayWidth('注文'), displayWidth('🔒'), displayWidth('cafe\u0301'), displayWidth('\x1b[1mab\x1b[22m')]).toEqual([4, 2, 4, 2]);
  });

  it('renders key/value pairs aligned', () => {
    expect(renderKeyValues([['leader', 'n1'], ['term', 3]])).toBe('leader: n1\nterm:   3\n');
  });
});

const lock = (name: string, holders: number, waits: number[]): LockInfo => ({
  name,
  capacity: 1,
  holders: Array.from({ length: holders }, (_, i) => ({ sessionId: `s${i}`, clientName: `w${i}`, token: 10 + i, mode: 'exclusive' as const, permits: 1, ageMs: 1500 })),
  waiters: waits.map((ms, i) => ({ position: i + 1, sessionId: `q${i}`, clientName: '', requestId: i + 1, mode: 'exclusive' as const, permits: 1, priority: 0, waitingMs: ms })),
  valueBytes: 3,
  latestToken: 12,
  lockDelayRemainingMs: 0,
});

describe('command formatting', () => {
  it('locks: one row per lock with the longest wait', () => {
    const o = formatLocks([lock('a', 1, [200, 900]), lock('b', 0, [])]);
    expect(o.text.split('\n')[0]).toMatch(/^NAME\s+CAPACITY\s+HOLDERS\s+WAITERS\s+LONGEST WAIT\s+TOKEN\s+VALUE$/);
    expect(o.text).toMatch(/^a\s+1\s+1\s+2\s+900ms\s+12\s+3B$/m);
    expect(o.text).toMatch(/^b\s+1\s+0\s+0\s+-\s+12\s+3B$/m);
    expect(o.json).toHaveLength(2);
  });

  it('lock NAME: holders with session, token, mode and age; the queue in order', () => {
    const o = formatLock(lock('a', 1, [50, 20]));
    expect(o.text).toMatch(/^value:\s+3 bytes$/m);
    expect(o.text).toMatch(/^s0\s+w0\s+10\s+exclusive\s+1\s+1\.50s$/m);
    expect(o.text).toMatch(/Queue:\nPOS.*\n\s*1\s+q0\s+-\s+1\s+exclusive\s+1\s+0\s+50ms\n\s*2\s+q1/);
  });

  it('status: leader, term and each member with its lag behind the leader', () => {
    const s: ClusterStatus = {
      clusterId: 'c1',
      leaderId: 'n1',
      term: 4,
      answeredBy: 'n2',
      sessions: 2,
      locks: 5,
      maxLoopStallMs: 0,
      alarms: [],
      members: [
        { id: 'n1', peerAddress: 'p1', clientAddress: '127.0.0.1:6001', role: 'leader', term: 4, commitIndex: 100, appliedIndex: 100, voter: true, matchIndex: 100 },
        { id: 'n2', peerAddress: 'p2', clientAddress: '127.0.0.1:6002', role: 'follower', term: 4, commitIndex: 98, appliedIndex: 90, voter: true, matchIndex: 99 },
      ],
    };
    expect(memberLag(s, s.members[1]!)).toBe(10);
    const o = formatStatus(s);
    expect(o.text).toMatch(/^leader:\s+n1 \(127\.0\.0\.1:6001\)$/m);
    expect(o.text).toMatch(/^n2\s+follower\s+yes\s+4\s+98\s+90\s+10\s+99\s+p2\s+127\.0\.0\.1:6002$/m);
    expect((o.json as { members: { lag: number }[] }).members.map((m) => m.lag)).toEqual([0, 10]);
    expect(o.text).not.toContain('ALARM');

    const alarmed = formatStatus({ ...s, alarms: [{ nodeId: 'n2', index: 90, hash: 'abc', expectedHash: 'def', detectedBy: 'n1' }] });
    expect(alarmed.text).toMatch(/^ALARM: node n2 is divergent: its lock state at index 90 has hash abc, the majority's is def \(found by n1\); it serves no client$/m);
  });

  it('top ranks by queue depth, then longest wait, then holders', () => {
    const ranked = rankContention([lock('quiet', 1, []), lock('busy', 1, [10, 20, 30]), lock('old', 1, [5000]), lock('young', 1, [10])], 3);
    expect(ranked.map((r) => r.name)).toEqual(['busy', 'old', 'young']);
    const frame = renderTopFrame([lock('busy', 1, [10, 20, 30])], 10, 1000, new Date(0));
    expect(frame).toMatch(/1 locks, 3 waiting/);
    expect(frame).toMatch(/^busy\s+3\s+30ms\s+1\/1\s+12\s+w0$/m);
  });
});
