import type { SqlExecutor, Transactions } from '../sql.js';

/** A transaction handle plus a way to run something once it has committed (a live update, a relay nudge). */
export interface HookedTx<Tx> {
  tx: Tx;
  afterCommit(hook: () => void | Promise<void>): void;
}

/**
 * Wraps `transactions` so that handlers can register after-commit hooks: they run, in order, only when the
 * transaction committed; a failing hook is reported to `onHookError` and does not undo anything.
 */
export function withAfterCommit<Tx>(transactions: Transactions<Tx>, onHookError: (error: unknown) => void): Transactions<HookedTx<Tx>> {
  return {
    run: async (work) => {
      const hooks: (() => void | Promise<void>)[] = [];
      const result = await transactions.run((tx) => work({ tx, afterCommit: (hook) => hooks.push(hook) }));
      for (const hook of hooks) {
        try {
          await hook();
        } catch (error) {
          onHookError(error);
        }
      }
      return result;
    },
    sql: (hooked): SqlExecutor => transactions.sql(hooked.tx),
  };
}
