import { encodeCommand } from '../../src/state/codec';
import type { Command } from '../../src/state/commands';
import type { StreamRequest } from '../../src/replica';
import { stampedEntry } from '../../src/stamped-entry';

function requests(): StreamRequest[] {
  return [
    { type: 'lock', sessionId: 's1', requestId: 1, name: 'a', capacity: 1, mode: 'exclusive', waitTimeoutMs: 0, tryOnly: false, lockDelayMs: 0, permits: 1, priority: 0 },
    { type: 'release', sessionId: 's2', requestId: 7, name: 'b', token: 12 },
    { type: 'put', sessionId: 's1', requestId: 2, name: 'a', token: 3, value: new Uint8Array([1, 2, 3]) },
    { type: 'cancel', sessionId: 's3', requestId: 9 },
  ];
}

/** What the leader proposed before requests were stamped in place: a copy of each with `stamp` last. */
function copiedEntry(rs: readonly StreamRequest[], stamp: number): Command {
  const commands = rs.map((r) => ({ ...r, stamp }) as Command & { type: StreamRequest['type'] });
  return commands.length === 1 && commands[0] !== undefined ? commands[0] : { type: 'batch', stamp, commands };
}

describe('stampedEntry', () => {
  test('a batch encodes to the same bytes as copies of its requests stamped last', () => {
    const entry = stampedEntry(requests(), 1234);
    expect(Buffer.from(encodeCommand(entry)).equals(Buffer.from(encodeCommand(copiedEntry(requests(), 1234))))).toBe(true);
    expect(entry).toEqual(copiedEntry(requests(), 1234));
  });

  test('a request alone is its own entry, stamped, with the same bytes', () => {
    for (const r of requests()) {
      const copied = copiedEntry([{ ...r }], 99);
      const entry = stampedEntry([r], 99);
      expect(Object.keys(entry)).toEqual([...Object.keys(copied)]);
      expect(Buffer.from(encodeCommand(entry)).equals(Buffer.from(encodeCommand(copied)))).toBe(true);
    }
  });
});
