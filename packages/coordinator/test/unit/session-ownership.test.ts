import { Code, LockStateMachine } from '../../src/state';
import { hashSessionSecret } from '../../src/server/auth/session-secret';
import { Driver, hex, only } from './harness';

const SECRET = 'the-secret-of-s1-aaaaaaaaaaaaaaaaaaaa';
const HASH = hashSessionSecret(SECRET);

describe('session ownership in the machine (issue 11 §4)', () => {
  test('a resume needs the opener\'s secret hash; a wrong or missing one is NOT_FOUND, like an unknown id', () => {
    const d = new Driver();
    expect(d.run({ type: 'openSession', sessionId: 's1', ttlMs: 10_000, clientName: 'w', secretHash: HASH }).status.code).toBe(Code.OK);
    const unknown = d.run({ type: 'resumeSession', sessionId: 'nope', secretHash: HASH });
    const wrong = d.run({ type: 'resumeSession', sessionId: 's1', secretHash: hashSessionSecret('guess') });
    const missing = d.run({ type: 'resumeSession', sessionId: 's1' });
    for (const out of [wrong, missing]) {
      expect(out.status.code).toBe(Code.NOT_FOUND);
      expect(out.status.message).toBe("session 's1' not found (unknown, closed or expired)");
      expect(out.events).toEqual([]);
    }
    expect(unknown.status.code).toBe(Code.NOT_FOUND);
    const right = d.run({ type: 'resumeSession', sessionId: 's1', secretHash: HASH });
    expect(right.status.code).toBe(Code.OK);
    expect(only(right, 'sessionOpened').resumed).toBe(true);
  });

  test('opened with an owner: another identity is refused even with the secret; without authorization the secret alone counts', () => {
    const d = new Driver();
    d.run({ type: 'openSession', sessionId: 's1', ttlMs: 10_000, clientName: 'w', secretHash: HASH, owner: 'alice' });
    expect(d.run({ type: 'resumeSession', sessionId: 's1', secretHash: HASH, owner: 'mallory' }).status.code).toBe(Code.NOT_FOUND);
    expect(d.run({ type: 'resumeSession', sessionId: 's1', secretHash: HASH, owner: 'alice' }).status.code).toBe(Code.OK);
    // Authorization turned off later: the resume carries no owner, the secret still has to match.
    expect(d.run({ type: 'resumeSession', sessionId: 's1', secretHash: HASH }).status.code).toBe(Code.OK);
    expect(d.run({ type: 'resumeSession', sessionId: 's1', secretHash: hashSessionSecret('x') }).status.code).toBe(Code.NOT_FOUND);
  });

  test('a session opened by an entry without a secret hash (before issue 11) resumes by its id, as before', () => {
    const d = new Driver();
    d.open('old');
    expect(d.run({ type: 'resumeSession', sessionId: 'old' }).status.code).toBe(Code.OK);
    expect(d.run({ type: 'resumeSession', sessionId: 'old', secretHash: HASH, owner: 'bob' }).status.code).toBe(Code.OK);
  });

  test('the snapshot keeps the owner (so a new leader checks resumes the same way) and leaves sessions without one as before', () => {
    const d = new Driver();
    d.open('legacy');
    const before = hex(d.machine.snapshot());
    d.run({ type: 'openSession', sessionId: 's1', ttlMs: 10_000, clientName: 'w', secretHash: HASH, owner: 'alice' });
    const snap = d.machine.snapshot();
    const restored = new LockStateMachine();
    restored.restore(snap);
    expect(hex(restored.snapshot())).toBe(hex(snap));
    expect(restored.getSession('s1')?.ownership).toEqual({ secretHash: HASH, owner: 'alice' });
    expect(restored.getSession('legacy')?.ownership).toBeUndefined();
    // A machine with only owner-less sessions encodes exactly as before the field existed.
    const legacyOnly = new Driver();
    legacyOnly.open('legacy');
    expect(hex(legacyOnly.machine.snapshot())).toBe(before);
    expect(Buffer.from(snap).includes(Buffer.from(SECRET))).toBe(false);
  });

  test('listSessions carries the hash for the leader\'s own check only; the secret itself is nowhere in the machine', () => {
    const d = new Driver();
    d.run({ type: 'openSession', sessionId: 's1', ttlMs: 10_000, clientName: 'w', secretHash: HASH });
    expect(JSON.stringify(d.machine.listSessions())).not.toContain(SECRET);
    expect(Buffer.from(d.log[0]?.data ?? new Uint8Array()).includes(Buffer.from(SECRET))).toBe(false);
  });
});
