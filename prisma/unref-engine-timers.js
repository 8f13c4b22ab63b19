/**
 * Preloaded (node --require) into `prisma migrate deploy` for PostgreSQL by prisma/database.ts migrateDatabase.
 *
 * Prisma 6.19's WASM schema engine guards its PostgreSQL advisory lock with a 10 s timeout and never cancels
 * the timer, so every command lingers ~10 s after its work is done. This unrefs timers created from WASM code:
 * they no longer keep the process alive on their own, but still fire while the process is busy (an open pg
 * socket or pending query keeps it alive). migrateDatabase also checks prisma's output for its success line.
 */
'use strict';
const originalSetTimeout = global.setTimeout;
global.setTimeout = function setTimeoutUnrefFromWasm(...args) {
  const timer = originalSetTimeout.apply(this, args);
  if (typeof timer?.unref === 'function' && /wasm:\/\//.test(new Error().stack ?? '')) timer.unref();
  return timer;
};
