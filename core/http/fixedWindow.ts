// Per-key counters over fixed time windows: the registration rate limit and the token
// endpoint's failed-authentication limit. Expired windows are pruned when many keys are tracked.
const MAX_TRACKED = 100_000;

export class FixedWindowCounter {
  readonly #windows = new Map<string, { start: number; count: number }>();
  readonly #clock: () => number;

  constructor(clock: () => number) {
    this.#clock = clock;
  }

  /** The count in `key`'s current window, and the seconds until that window ends. */
  peek(key: string, periodMs: number): { count: number; retryAfterSeconds: number } {
    const now = this.#clock();
    const window = this.#windows.get(key);
    if (!window || now - window.start >= periodMs) return { count: 0, retryAfterSeconds: 0 };
    return { count: window.count, retryAfterSeconds: Math.max(1, Math.ceil((window.start + periodMs - now) / 1000)) };
  }

  /** Takes back one event counted for `key` in its current window (an attempt that turned out well). */
  undo(key: string): void {
    const window = this.#windows.get(key);
    if (window && window.count > 0) window.count -= 1;
  }

  /** Counts one event for `key`; answers the window's count after it. */
  hit(key: string, periodMs: number): { count: number; retryAfterSeconds: number } {
    const now = this.#clock();
    let window = this.#windows.get(key);
    if (!window || now - window.start >= periodMs) {
      if (this.#windows.size >= MAX_TRACKED) {
        for (const [other, value] of this.#windows) if (now - value.start >= periodMs) this.#windows.delete(other);
      }
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
    }
    window.count += 1;
    return this.peek(key, periodMs);
  }
}
