/**
 * TEST ONLY. A preload (`node --require .../dist/testing/test-wall-clock-offset.js`) that steps
 * this process's wall clock, as an NTP step, a VM resume or `date -s` would: `Date.now()` and
 * `new Date()` return the real time plus an offset in ms, read from the file named by
 * QUORUMLOCK_TEST_ONLY_WALL_CLOCK_OFFSET_FILE (a decimal integer, e.g. `60000` or `-60000`) at
 * load and again on every SIGUSR2. Monotonic clocks (performance.now, process.hrtime, timers)
 * are untouched, as a real step leaves them.
 *
 * It cannot take effect by accident: nothing in the server loads it, it must be preloaded
 * explicitly, and it refuses to load without the variable. Each offset it applies is written to
 * `<file>.applied` (so a test knows the step has happened) and logged on stderr.
 */
import * as fs from 'node:fs';
import { OFFSET_FILE_ENV } from './test-wall-clock-offset-env';

function readOffset(file: string): number {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
  const n = Number(text);
  if (text === '' || !Number.isSafeInteger(n)) throw new Error(`${file}: wall-clock offset '${text.slice(0, 40)}' is not an integer number of ms`);
  return n;
}

function install(file: string): void {
  const RealDate = Date;
  let offsetMs = 0;
  const shifted = (): number => RealDate.now() + offsetMs;
  // A Proxy keeps every static (parse, UTC), the prototype and instanceof as they are; only the
  // no-argument constructor, Date() called as a function and Date.now see the offset.
  const SteppedDate = new Proxy(RealDate, {
    construct(target, args: unknown[], newTarget: unknown) {
      return Reflect.construct(target, args.length === 0 ? [shifted()] : args, newTarget as typeof RealDate) as object;
    },
    apply() {
      return new RealDate(shifted()).toString();
    },
    get(target, prop, receiver: unknown) {
      if (prop === 'now') return shifted;
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  globalThis.Date = SteppedDate;

  const apply = (): void => {
    try {
      offsetMs = readOffset(file);
      fs.writeFileSync(`${file}.applied`, String(offsetMs));
      process.stderr.write(`TEST ONLY: wall clock offset ${offsetMs >= 0 ? '+' : ''}${offsetMs} ms (pid ${process.pid})\n`);
    } catch (e) {
      process.stderr.write(`TEST ONLY: wall clock offset not changed: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  };
  apply();
  process.on('SIGUSR2', apply);
}

const file = process.env[OFFSET_FILE_ENV];
if (file === undefined || file === '') {
  throw new Error(`test-wall-clock-offset is a test-only preload and needs ${OFFSET_FILE_ENV}; it must never be loaded in production`);
}
install(file);
