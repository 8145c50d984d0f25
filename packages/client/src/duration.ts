/**
 * Durations as people type them: a bare number of milliseconds (`1500`), or a number with a unit
 * (`200ms`, `5s`, `1.5s`, `2m`, `1h`), or a sum of those (`1m30s`). Used by lockctl's flags.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/**
 * Parses a duration into whole milliseconds (rounded). Throws a RangeError that names the value
 * when it is not a duration or not finite.
 */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (s === '') throw new RangeError(`'${text}' is not a duration (expected e.g. 1500, 200ms, 5s, 1m)`);
  if (/^\d+(\.\d+)?$/.test(s)) return checked(text, Math.round(Number(s)));
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    PART.lastIndex = pos;
    const m = PART.exec(s);
    if (m === null || m[1] === undefined || m[2] === undefined) {
      throw new RangeError(`'${text}' is not a duration (expected e.g. 1500, 200ms, 5s, 1m)`);
    }
    const unit = UNIT_MS[m[2]];
    if (unit === undefined) throw new RangeError(`'${text}' has an unknown unit '${m[2]}'`);
    total += Number(m[1]) * unit;
    pos = PART.lastIndex;
  }
  return checked(text, Math.round(total));
}

function checked(text: string, ms: number): number {
  if (!Number.isSafeInteger(ms)) throw new RangeError(`'${text}' is too large a duration`);
  return ms;
}

/** Formats milliseconds for people: `850ms`, `12.3s`, `4m05s`, `2h03m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  if (ms < 3_600_000) {
    const m = Math.floor(ms / 60_000);
    const sec = Math.floor((ms % 60_000) / 1000);
    return `${m}m${String(sec).padStart(2, '0')}s`;
  }
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  return `${h}h${String(m).padStart(2, '0')}m`;
}
