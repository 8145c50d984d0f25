import { quote } from '../../src/state/status';

/** The escaping `quote` promises, spelled out the slow way: JSON escapes, then `'` escaped too. */
function escapedTheSlowWay(value: string): string {
  return `'${JSON.stringify(value).slice(1, -1).replace(/'/g, "\\'")}'`;
}

describe('quote', () => {
  test('every character alone and inside a name quotes as the JSON escape gives it (the fast path for plain names included)', () => {
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      expect(quote(ch)).toBe(escapedTheSlowWay(ch));
      const name = `lock-${ch}-x`;
      expect(quote(name)).toBe(escapedTheSlowWay(name));
    }
  });

  test('plain names come back as they are, in single quotes; quotes and backslashes are escaped', () => {
    expect(quote('orders/42 eu-west')).toBe("'orders/42 eu-west'");
    expect(quote(`a'b"c\\d`)).toBe(`'a\\'b\\"c\\\\d'`);
    expect(quote('tab\there')).toBe("'tab\\there'");
  });

  test('a name over 64 characters is cut, with its length in bytes', () => {
    const long = 'x'.repeat(65);
    expect(quote(long)).toBe(`'${'x'.repeat(64)}…' (65 bytes)`);
    expect(quote('x'.repeat(64))).toBe(`'${'x'.repeat(64)}'`);
  });
});
