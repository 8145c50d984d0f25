/**
 * A follower validates a leader's snapshot when it arrives and restores it right after: the
 * machine decodes it once, not twice (a 50,000-session snapshot takes a few hundred ms to decode).
 */
import { LockStateMachine, SnapshotFormatError } from '../../src/state';
import * as snapshotModule from '../../src/state/snapshot';
import { Driver, hex } from './harness';

jest.mock('../../src/state/snapshot', () => {
  const actual = jest.requireActual<typeof import('../../src/state/snapshot')>('../../src/state/snapshot');
  return { ...actual, decodeSnapshot: jest.fn(actual.decodeSnapshot) };
});

const decode = snapshotModule.decodeSnapshot as jest.MockedFunction<typeof snapshotModule.decodeSnapshot>;

function busyDriver(): Driver {
  const d = new Driver();
  d.open('a');
  d.open('b');
  d.lock('a', 1, 'x');
  d.lock('b', 1, 'x');
  return d;
}

test('a snapshot validated then restored is decoded once; other bytes are decoded anew', () => {
  const d = busyDriver();
  const bytes = d.machine.snapshot();
  const copy = new LockStateMachine();
  expect(copy.validateSnapshot(bytes)).toBeNull();
  copy.restore(Uint8Array.from(bytes)); // equal bytes in another buffer, as a follower installs them
  expect(decode).toHaveBeenCalledTimes(1);
  expect(hex(copy.snapshot())).toBe(hex(bytes));
  // The kept state went to that restore: a second restore of the same bytes decodes them again.
  copy.restore(bytes);
  expect(decode).toHaveBeenCalledTimes(2);
  // A restore of other bytes than the validated ones decodes those, not the kept state.
  const other = new LockStateMachine().snapshot();
  expect(copy.validateSnapshot(bytes)).toBeNull();
  copy.restore(other);
  expect(decode).toHaveBeenCalledTimes(4);
  expect(hex(copy.snapshot())).toBe(hex(other));
  // The validated bytes are copied: changing the caller's buffer afterwards is no reuse.
  const changed = Uint8Array.from(bytes);
  expect(copy.validateSnapshot(changed)).toBeNull();
  changed.set(other);
  expect(() => copy.restore(changed)).toThrow(SnapshotFormatError); // `other` then the rest of `bytes`: trailing bytes
  expect(decode).toHaveBeenCalledTimes(6);
});
