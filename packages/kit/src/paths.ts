import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/kit/dist/src/paths.js once built). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

export function prismaDir(service: string): string {
  return join(process.env.PRISMA_DIR ?? join(REPO_ROOT, 'prisma'), service);
}

export function migrationsDir(service: string): string {
  return join(prismaDir(service), 'migrations');
}

export function schemaPath(service: string): string {
  return join(prismaDir(service), 'schema.prisma');
}

/** Default ports of the standalone services; the embedded platform uses the same ones. */
export const DEFAULT_PORTS = {
  router: 4000,
  identity: 4001,
  catalog: 4002,
  inventory: 4003,
  reviews: 4004,
  orders: 4005,
  payments: 4006,
  notifications: 4007,
} as const;
export const SUBGRAPH_NAMES = ['identity', 'catalog', 'inventory', 'reviews', 'orders', 'payments', 'notifications'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];
