/** The chaos runner's command line and its reading of the workers' records. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ALL_FAULTS } from '../../src/chaos/nemesis';
import { parseRunArgs } from '../../src/chaos/run-args';
import { closeOpenHolds, readWorkerRecords } from '../../src/chaos/run-history';

describe('parseRunArgs', () => {
  it('has defaults and ignores the -- pnpm passes on', () => {
    expect(parseRunArgs([])).toEqual({ durationS: 60, seed: 1, nodes: 3, workerCount: 6, kinds: ALL_FAULTS, keep: undefined, strict: false, tls: false });
    const a = parseRunArgs(['--', '--duration', '30', '--seed', '7', '--nodes', '5', '--workers', '2', '--faults', 'isolateWorker,', '--keep', '/tmp/x', '--strict', '--tls']);
    expect(a).toEqual({ durationS: 30, seed: 7, nodes: 5, workerCount: 2, kinds: ['isolateWorker'], keep: '/tmp/x', strict: true, tls: true });
  });
  it('names the bad value', () => {
    expect(() => parseRunArgs(['--duration', '0'])).toThrow("--duration must be a positive number of seconds, got '0'");
    expect(() => parseRunArgs(['--seed', '1.5'])).toThrow("--seed must be an integer, got '1.5'");
    expect(() => parseRunArgs(['--nodes', '4'])).toThrow("--nodes must be 3 or 5, got '4'");
    expect(() => parseRunArgs(['--workers', '0'])).toThrow("--workers must be a positive integer, got '0'");
    expect(() => parseRunArgs(['--faults', 'meteor'])).toThrow("--faults: unknown fault 'meteor'");
  });
});

describe('readWorkerRecords and closeOpenHolds', () => {
  it('reads every kind of record, skips torn lines, and closes the holds of crashed and running workers', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-history-'));
    try {
      const grant = (process: string, token: number, time: number): string =>
        JSON.stringify({ kind: 'event', f: 'acquire', type: 'ok', process, resource: 'acct/1', time, value: { token, mode: 'exclusive', permits: 1, capacity: 1 } });
      fs.writeFileSync(
        path.join(dir, 'w1.jsonl'),
        [
          grant('w1', 1, 10),
          JSON.stringify({ kind: 'validity', process: 'w1', resource: 'acct/1', token: 1, grantedAt: 10, validUntil: 50, end: 'release' }),
          grant('w1', 2, 60),
          JSON.stringify({ kind: 'sessionExpired', process: 'w1', time: 70 }),
          '{"kind":"event","f":"acq',
        ].join('\n'),
      );
      fs.writeFileSync(
        path.join(dir, 'w2.jsonl'),
        [grant('w2', 3, 80), JSON.stringify({ kind: 'leaseLost', process: 'w2', resource: 'acct/1', token: 3, time: 90, reason: 'revoked' }), ''].join('\n'),
      );
      const records = readWorkerRecords(dir);
      expect(records.events).toHaveLength(3);
      expect(records.events[0]).not.toHaveProperty('kind');
      expect(records.expiries).toEqual([{ process: 'w1', time: 70 }]);
      expect(records.leaseLosses).toEqual([{ process: 'w2', resource: 'acct/1', token: 3, time: 90, reason: 'revoked', detail: '' }]);
      expect(records.end).toBe(90);
      closeOpenHolds(records, new Map([['w1', 65]]));
      expect(records.validity.map((v) => [v.process, v.token, v.validUntil, v.end])).toEqual([
        ['w1', 1, 50, 'release'],
        ['w1', 2, 65, 'crash'],
        ['w2', 3, 90, 'open'],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
