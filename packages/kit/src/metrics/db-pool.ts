import { Gauge, type Registry } from 'prom-client';
import type { Database, PoolStats } from '../db/database.js';

/**
 * The PostgreSQL connection pool's gauges, read from the pool itself (no query). PGlite is one in-process
 * connection with no pool: nothing is registered for it.
 */
export function registerDbPoolMetrics(registry: Registry, db: Pick<Database, 'poolStats'>): void {
  const { poolStats } = db;
  if (!poolStats) return;
  const gauge = (name: string, help: string, read: (stats: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(poolStats()));
      },
    });
  gauge('db_pool_clients', 'Open connections of the pool (idle and in use)', (stats) => stats.total);
  gauge('db_pool_idle_clients', 'Open connections not in use', (stats) => stats.idle);
  gauge('db_pool_waiting_requests', 'Queries waiting for a connection (the pool is exhausted while > 0)', (stats) => stats.waiting);
  gauge('db_pool_max_clients', 'The size limit of the pool (DATABASE_POOL_SIZE)', (stats) => stats.max);
}
