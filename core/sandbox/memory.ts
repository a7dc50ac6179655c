// The memory every script isolate of the process may hold, together: each isolate takes its heap
// limit (memoryLimitMb) from one budget when it is built and gives it back when it goes, so no
// number of scripts, saves or rebuilds holds more isolate heap than DCR_SANDBOX_MEMORY_MB. An
// isolate that does not fit is not built (the version is refused; a rebuild fails its call).

export class MemoryBudget {
  readonly limitMb: number;
  #heldMb = 0;

  constructor(limitMb: number) {
    this.limitMb = limitMb;
  }

  get heldMb(): number {
    return this.#heldMb;
  }

  /** Takes `mb`; false (nothing taken) when it would exceed the limit. */
  take(mb: number): boolean {
    if (this.#heldMb + mb > this.limitMb) return false;
    this.#heldMb += mb;
    return true;
  }

  give(mb: number): void {
    this.#heldMb = Math.max(0, this.#heldMb - mb);
  }
}
