/**
 * The public face of shared/db: what functions and the rest of shared use
 * (nothing outside shared/db imports its other files, tests and dev tools
 * aside). Deliberately not re-exported:
 * - connect.ts: the driver loads when the pool first opens, not at boot;
 * - migrate.ts: migrations, for the dev gateway, `deno task migrate` and tests;
 * - embedded.ts: PGlite, dev only — it must never enter a function's graph
 *   (tests/deploy/module_graph_test.ts);
 * - pool.ts's setters (setDbForTests, setLocalDatabase): test and dev wiring.
 */
export { closeDb, type Db, db, type Fragment, type Sql, type Tx } from "./pool.ts";
export { deadlineCap, type TxOptions, withTx } from "./transaction.ts";
export {
  databaseUnavailable,
  DB_RETRY_AFTER_SECONDS,
  isConnectionLoss,
  translateDbError,
} from "./errors.ts";
export { isLockTimeout, type LockRetryOptions, retryOnLockTimeout } from "./lock_retry.ts";
