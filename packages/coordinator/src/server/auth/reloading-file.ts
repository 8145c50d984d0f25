import * as fs from 'node:fs';
import type { Logger } from '@quorumlock/raft';
import { AuthFileError } from './token-file';

/** How often a watched file is stat'ed. Polling (not fs.watch) sees Kubernetes' symlink swaps of mounted ConfigMaps and Secrets. */
export const RELOAD_POLL_MS = 500;

/**
 * A configuration file parsed at start (a bad one stops the start with its error) and parsed
 * again whenever it changes (mtime, size or inode). A change that does not parse is logged at
 * `error` and the previous contents stay in force: nothing is lost to a half-written edit.
 */
export class ReloadingFile<T> {
  private value: T;
  /** The stat of what `value` was read from (a change is a difference from it, however brief the gap). */
  private seen = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string,
    private readonly parse: (text: string, path: string) => T,
    private readonly logger: Logger,
    private readonly what: string,
    private readonly describe: (value: T) => Record<string, unknown> = () => ({}),
  ) {
    this.value = this.load();
  }

  get current(): T {
    return this.value;
  }

  private load(): T {
    let text: string;
    try {
      this.seen = this.stat();
      text = fs.readFileSync(this.path, 'utf8');
    } catch (e) {
      throw new AuthFileError(`${this.path}: cannot read the ${this.what}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return this.parse(text, this.path);
  }

  private stat(): string {
    const st = fs.statSync(this.path);
    return `${st.mtimeMs}/${st.size}/${st.ino}`;
  }

  start(pollMs = RELOAD_POLL_MS): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      let now: string;
      try {
        now = this.stat();
      } catch {
        now = 'missing';
      }
      if (now !== this.seen) this.reload();
    }, pollMs);
    this.timer.unref();
  }

  reload(): void {
    try {
      this.value = this.load();
      this.logger.info({ file: this.path, ...this.describe(this.value) }, `${this.what} reloaded`);
    } catch (e) {
      // Not again until it changes once more: one error line per bad version of the file.
      try {
        this.seen = this.stat();
      } catch {
        this.seen = 'missing';
      }
      this.logger.error({ file: this.path, err: e instanceof Error ? e.message : String(e) }, `${this.what} reload failed; the previous one stays in force`);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
