// Errors about connections rather than requests, logged without letting a client fill the log.

/**
 * Errors Node or Koa raise about a connection (a malformed request, a client gone): one line per
 * kind per interval at most, the rest counted in the next line, so no client can fill the log.
 */
export function connectionErrorLog(log: (fields: Record<string, unknown>, message: string) => void, intervalMs = 10_000): (err: unknown) => void {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (err) => {
    const code = String((err as { code?: unknown }).code ?? (err as Error).name ?? 'error');
    const now = Date.now();
    const seen = last.get(code);
    if (seen && now - seen.at < intervalMs) {
      seen.suppressed++;
      return;
    }
    if (last.size > 100) last.clear();
    last.set(code, { at: now, suppressed: 0 });
    log({ err, ...(seen?.suppressed ? { suppressed: seen.suppressed } : {}) }, 'a connection failed');
  };
}
