/**
 * The chaos runner's own checks on small made-up histories (as chaos-check's checkers are
 * tested), and the strictness of the CI run: a failed injection, a removeReAdd that left the
 * cluster short, a scheduled kind never injected, a checker with no input, a worker that failed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readClusterLog } from '../../src/chaos/cluster-log';
import type { HistoryEvent, Validity } from '@quorumlock/chaos-check';
import { checkCrashedHolds, checkExpiries, checkFaults, checkHoldsAmidElections, checkInputs, checkLeaseLosses, checkRecovery, checkStore, checkWorkerExits } from '../../src/chaos/judge';
import type { FaultRecord } from '../../src/chaos/nemesis';
import type { StoreWrite } from '../../src/chaos/protected-store';

const write = (value: number, token: number, time: number, accepted = true, p = 'w1'): StoreWrite => ({ resource: 'acct/1', token, value, process: p, time, accepted, maxTokenBefore: 0 });
const fault = (f: Partial<FaultRecord> & { kind: FaultRecord['kind'] }): FaultRecord => ({ at: 100, healedAt: 200, detail: 'd', workers: [], ...f });
const kinds = (vs: { kind: string }[]): string[] => vs.map((v) => v.kind);

describe('checkStore', () => {
  it('a clean counter passes and counts accepted and refused writes', () => {
    const r = checkStore([write(1, 5, 10), write(2, 6, 20), write(2, 4, 30, false)], []);
    expect(r).toEqual({ violations: [], accepted: 2, refused: 1 });
  });
  it('lostUpdate: a value that does not follow the last accepted one', () => {
    expect(kinds(checkStore([write(1, 5, 10), write(1, 6, 20)], []).violations)).toEqual(['lostUpdate']);
  });
  it('staleWriteAccepted: an accepted token below an exclusive grant made before the write', () => {
    const grants = [{ process: 'w2', resource: 'acct/1', time: 15, token: 9, mode: 'exclusive' }];
    expect(kinds(checkStore([write(1, 5, 20)], grants).violations)).toEqual(['staleWriteAccepted']);
    // A grant after the write, or a shared one, makes the old token no less valid then.
    expect(checkStore([write(1, 5, 20)], [{ ...grants[0]!, time: 25 }]).violations).toEqual([]);
    expect(checkStore([write(1, 5, 20)], [{ ...grants[0]!, mode: 'shared' }]).violations).toEqual([]);
  });
});

describe('checkExpiries', () => {
  it('an expiry is excused only by a fault on that worker within the window before it', () => {
    const faults = [fault({ kind: 'isolateWorker', workers: ['w1'], at: 1000, healedAt: 6000 })];
    expect(checkExpiries([{ process: 'w1', time: 5000 }], faults, 5000)).toEqual([]);
    expect(checkExpiries([{ process: 'w1', time: 10_000 }], faults, 5000)).toEqual([]); // healed 4 s before
    expect(kinds(checkExpiries([{ process: 'w1', time: 12_000 }], faults, 5000))).toEqual(['unexcusedExpiry']);
    expect(kinds(checkExpiries([{ process: 'w2', time: 5000 }], faults, 5000))).toEqual(['unexcusedExpiry']);
  });
});

describe('checkLeaseLosses', () => {
  const loss = { process: 'w1', resource: 'acct/1', token: 7, time: 100, detail: '' };
  it('holdLost: a revoked hold before the worker let go', () => {
    const r = checkLeaseLosses([{ ...loss, reason: 'revoked' }, { ...loss, token: 8, reason: 'deadline' }], new Map());
    expect(kinds(r.violations)).toEqual(['holdLost']);
    expect(r.beforeRelease).toBe(2);
    expect(r.byReason).toEqual(new Map([['revoked', 1], ['deadline', 1]]));
  });
  it('a signal after the release was invoked is not judged', () => {
    const r = checkLeaseLosses([{ ...loss, reason: 'revoked' }], new Map([['w1|7', 90]]));
    expect(r).toMatchObject({ violations: [], beforeRelease: 0 });
  });
});

describe('checkRecovery', () => {
  it('slowRecovery: no probe success within the bound after a fault healed', () => {
    const faults = [fault({ kind: 'killLeader', healedAt: 1000 }), fault({ kind: 'slowLinks', healedAt: 20_000 })];
    const r = checkRecovery(faults, [1500, 30_000], 6000);
    expect(kinds(r.violations)).toEqual(['slowRecovery']);
    expect(r.worstMs).toBe(10_000);
    expect(kinds(checkRecovery([fault({ kind: 'killLeader', healedAt: 1000 })], [], 6000).violations)).toEqual(['slowRecovery']);
  });
});

describe('checkFaults: the CI run fails when it did not really test', () => {
  const ok = [fault({ kind: 'killLeader' }), fault({ kind: 'slowLinks' }), fault({ kind: 'killWorker' })];
  const strict = { minInjected: 3, requiredKinds: [] };
  it('passes when every scheduled kind was injected without error', () => {
    expect(checkFaults(ok, [], strict).violations).toEqual([]);
  });
  it('a failed injection is a violation, even without --strict, and does not count as injected', () => {
    const failed = [...ok, fault({ kind: 'killFollower', healedAt: 0, error: 'spawn failed' })];
    expect(kinds(checkFaults(failed, [], undefined).violations)).toEqual(['injectionFailed']);
    expect(kinds(checkFaults(failed, [], strict).violations)).toEqual(['injectionFailed', 'faultKindNotCovered']);
  });
  it('a removeReAdd that left the cluster short fails the run', () => {
    const short = [...ok, fault({ kind: 'removeReAdd', healedAt: 0, error: 'cluster left short: 2/3 members, n2 absent' })];
    const r = checkFaults(short, [], strict);
    expect(kinds(r.violations)).toEqual(['injectionFailed', 'faultKindNotCovered']);
    expect(r.violations[0]!.message).toContain('cluster left short');
  });
  it('a kind skipped every time it was scheduled, or listed and never run, is not covered', () => {
    const r = checkFaults(ok, [{ kind: 'killHolderAmidElections', at: 1, reason: 'no worker holds a lock' }], strict);
    expect(r.violations.map((v) => v.message)).toEqual(['killHolderAmidElections was scheduled but never injected (skipped: no worker holds a lock)']);
    expect(kinds(checkFaults(ok, [], { minInjected: 3, requiredKinds: ['pauseLeaderLong'] }).violations)).toEqual(['faultKindNotCovered']);
  });
  it('too few faults injected without error', () => {
    expect(kinds(checkFaults(ok.slice(0, 2), [], strict).violations)).toEqual(['tooFewFaults']);
  });
});

describe('checkInputs and checkWorkerExits', () => {
  it('a checker with no input fails the run', () => {
    const floors = { storeWritesAccepted: 1, fenceChecks: 1, crashedHoldsJudged: 1 };
    expect(checkInputs({ storeWritesAccepted: 40, fenceChecks: 3, crashedHoldsJudged: 1 }, floors)).toEqual([]);
    expect(kinds(checkInputs({ storeWritesAccepted: 40, fenceChecks: 0, crashedHoldsJudged: 1 }, floors))).toEqual(['checkerStarved']);
    expect(checkInputs({ storeWritesAccepted: 0 }, floors).map((v) => v.message.split(':')[0])).toEqual(['storeWritesAccepted', 'fenceChecks', 'crashedHoldsJudged']);
  });
  it('a worker the run did not kill must exit 0', () => {
    const exits = [
      { id: 'w1', code: 0, signal: null, killed: false },
      { id: 'w2', code: null, signal: 'SIGKILL', killed: true },
      { id: 'w3', code: 1, signal: null, killed: false },
      { id: 'w4', code: null, signal: 'still running', killed: false },
    ];
    expect(checkWorkerExits(exits).map((v) => v.message)).toEqual(['worker w3 exited with code 1', 'worker w4 exited with signal still running']);
  });
});

describe('checkCrashedHolds', () => {
  const bound = { baseMs: 5000, perTransferMs: 250 };
  const grant = { mode: 'exclusive' as const, permits: 1, capacity: 1 };
  const invoke = (process: string, time: number): HistoryEvent => ({ f: 'acquire', type: 'invoke', process, resource: 'acct/1', time });
  const ok = (process: string, time: number, token: number): HistoryEvent => ({ f: 'acquire', type: 'ok', process, resource: 'acct/1', time, value: { ...grant, token } });
  const crashed: Validity = { process: 'w1', resource: 'acct/1', token: 1, grantedAt: 10, validUntil: 1000, end: 'crash' };
  const killed = new Map([['w1', 1000]]);

  it('measures the kill to the next grant to a waiter that asked before the kill', () => {
    const events = [ok('w1', 10, 1), invoke('w2', 500), ok('w2', 4000, 2)];
    expect(checkCrashedHolds(events, [crashed], killed, [], bound)).toEqual({ violations: [], crashedHolds: 1, worstFreeMs: 3000 });
    const slow = checkCrashedHolds([ok('w1', 10, 1), invoke('w2', 500), ok('w2', 7000, 2)], [crashed], killed, [], bound);
    expect(slow.violations.map((v) => v.message)).toEqual(['acct/1 held by crashed w1 was granted again after 6000 ms (bound 5000 ms)']);
    expect(slow.worstFreeMs).toBe(6000);
  });
  it('ignores a waiter that asked after the kill or was cut off by a fault meanwhile', () => {
    expect(checkCrashedHolds([invoke('w2', 2000), ok('w2', 9000, 2)], [crashed], killed, [], bound)).toEqual({ violations: [], crashedHolds: 1, worstFreeMs: 0 });
    const cutOff = [fault({ kind: 'isolateWorker', workers: ['w2'], at: 1500, healedAt: 8000 })];
    expect(checkCrashedHolds([invoke('w2', 500), ok('w2', 9000, 2)], [crashed], killed, cutOff, bound).violations).toEqual([]);
  });
  it('allows the skew allowance per leader transfer of a kill amid elections', () => {
    const amid = [fault({ kind: 'killHolderAmidElections', workers: ['w1'], transfers: 4 })];
    expect(checkCrashedHolds([invoke('w2', 500), ok('w2', 6900, 2)], [crashed], killed, amid, bound).violations).toEqual([]);
    expect(checkCrashedHolds([invoke('w2', 500), ok('w2', 7100, 2)], [crashed], killed, amid, bound).violations.map((v) => v.kind)).toEqual(['slowRelease']);
  });
});

describe('checkHoldsAmidElections', () => {
  const bound = { baseMs: 5000, perTransferMs: 250, giveUpMs: 12_000 };
  it('judges what the nemesis measured against the bound for its transfers', () => {
    const faults = [
      fault({ kind: 'killHolderAmidElections', detail: 'a', freedAfterMs: 5400, transfers: 2 }),
      fault({ kind: 'killHolderAmidElections', detail: 'b', freedAfterMs: 5600, transfers: 2 }),
      fault({ kind: 'killHolderAmidElections', detail: 'c', freedAfterMs: Infinity, transfers: 0 }),
      fault({ kind: 'isolateWorker' }),
    ];
    const r = checkHoldsAmidElections(faults, bound);
    expect(r.kills).toBe(3);
    expect(r.worstMs).toBe(Infinity);
    expect(r.violations.map((v) => v.message)).toEqual([
      'b: the holds came free after 5600 ms (bound 5500 ms after 2 leader transfers)',
      'c: the holds were still held after 12000 ms (bound 5000 ms after 0 leader transfers)',
    ]);
    expect(checkHoldsAmidElections([fault({ kind: 'isolateWorker' })], bound)).toEqual({ violations: [], kills: 0, worstMs: undefined });
  });
});

describe('readClusterLog', () => {
  it('merges the audit lines of every node by resource and token, or by session, and skips torn lines', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-log-'));
    try {
      const grant = { msg: 'lock granted', index: 12, lock: 'acct/1', token: 12, client: 'w1', session: 's1' };
      const end = { msg: 'session expired', index: 30, session: 's1', client: 'w1' };
      fs.writeFileSync(path.join(dir, 'n1.log'), [JSON.stringify(grant), JSON.stringify({ msg: 'other' }), JSON.stringify(end)].join('\n'));
      fs.writeFileSync(path.join(dir, 'n2.log'), `${JSON.stringify(grant)}\n{"msg":"lock granted","ind`);
      fs.writeFileSync(path.join(dir, 'n3.txt'), JSON.stringify({ ...grant, token: 99 }));
      const log = readClusterLog(dir);
      expect(log.grants).toEqual([{ index: 12, resource: 'acct/1', token: 12, client: 'w1', session: 's1' }]);
      expect(log.sessionEnds).toEqual([{ index: 30, session: 's1', client: 'w1' }]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
