/**
 * The chaos runner's own checks on small made-up histories (as chaos-check's checkers are
 * tested), and the strictness of the CI run: a failed injection, a removeReAdd that left the
 * cluster short, a scheduled kind never injected, a checker with no input, a worker that failed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readClusterLog } from '../../src/chaos/cluster-log';
import { checkExpiries, checkFaults, checkInputs, checkLeaseLosses, checkRecovery, checkStore, checkWorkerExits } from '../../src/chaos/judge';
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
