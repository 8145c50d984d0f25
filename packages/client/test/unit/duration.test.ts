/** Durations as lockctl's flags accept them, and as it prints them. */
import { formatDuration, parseDuration } from '../../src/duration';

describe('parseDuration', () => {
  it.each([
    ['1500', 1500],
    ['0', 0],
    ['200ms', 200],
    ['5s', 5000],
    ['1.5s', 1500],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    [' 2s ', 2000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'abc', '5x', 's', '-1s', '1s2', '5 s', '1.s'])('rejects %j and names it', (text) => {
    expect(() => parseDuration(text)).toThrow(new RegExp(`'${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`));
  });

  it('rejects values beyond safe integers', () => {
    expect(() => parseDuration('99999999999999999999h')).toThrow(/too large/);
  });
});

describe('formatDuration', () => {
  it.each([
    [850, '850ms'],
    [1234, '1.23s'],
    [12_345, '12.3s'],
    [245_000, '4m05s'],
    [7_380_000, '2h03m'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
