/**
 * The last indexes of AppendEntries messages in flight to one follower, oldest first, bounded so
 * a slow follower cannot make the leader buffer without limit.
 */
export class Inflights {
  private readonly buf: number[] = [];
  private start = 0;

  constructor(readonly capacity: number) {}

  get count(): number {
    return this.buf.length - this.start;
  }

  full(): boolean {
    return this.count >= this.capacity;
  }

  add(lastIndex: number): void {
    this.buf.push(lastIndex);
  }

  /** Forget every message whose last index is at most `index` (acknowledged). */
  freeLE(index: number): void {
    while (this.start < this.buf.length && (this.buf[this.start] ?? Infinity) <= index) this.start++;
    if (this.start > 1024 && this.start * 2 > this.buf.length) {
      this.buf.splice(0, this.start);
      this.start = 0;
    }
  }

  reset(): void {
    this.buf.length = 0;
    this.start = 0;
  }
}
