// CPU time a script's isolates used in the last second, whichever isolate ran it (a runaway's
// isolate is replaced, its successor charged to the same meter). A script over its
// maxCpuMsPerSecond takes no new calls until the second has moved on: one script burning CPU on
// the requests it matches cannot take the server's cores from everything else.

/** The window is kept as ten slots of a tenth of a second. */
const SLOT_MS = 100;
const SLOTS = 10;

export class CpuMeter {
  readonly #slots = new Float64Array(SLOTS);
  #slot = 0;
  #slotStart = 0;

  /** Adds `ms` of CPU time used now. */
  charge(ms: number, now = performance.now()): void {
    this.#advance(now);
    this.#slots[this.#slot]! += ms;
  }

  /** CPU milliseconds used in the last second. */
  lastSecond(now = performance.now()): number {
    this.#advance(now);
    let sum = 0;
    for (const ms of this.#slots) sum += ms;
    return sum;
  }

  #advance(now: number): void {
    const passed = Math.floor((now - this.#slotStart) / SLOT_MS);
    if (passed <= 0) return;
    for (let i = 1; i <= Math.min(passed, SLOTS); i++) this.#slots[(this.#slot + i) % SLOTS] = 0;
    this.#slot = (this.#slot + passed) % SLOTS;
    this.#slotStart += passed * SLOT_MS;
  }
}
