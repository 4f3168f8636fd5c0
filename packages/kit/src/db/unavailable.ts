const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'EAI_AGAIN',
]);
const SQLSTATES = /^(08...|57P0[123]|53300)$/;
/** Prisma's driver adapters (DriverAdapterError) name the failure in `cause.kind`, and in the message. */
const ADAPTER_KINDS = new Set(['ConnectionClosed', 'DatabaseNotReachable', 'SocketTimeout', 'TooManyConnections']);
const MESSAGES =
  /Connection terminated|Can't reach database server|Server has closed the connection|not queryable|the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)|terminating connection due to administrator command|Code: `(08\w{3}|57P0[123]|53300)`/i;

/**
 * True when `error` (or an error it wraps: GraphQL's originalError, `cause`) says the database is not reachable:
 * down, restarting, recovering, out of connections, or the connection dropped. What a client then sees is
 * SERVICE_UNAVAILABLE (try again), not an internal error.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== null && typeof current === 'object'; depth += 1) {
    const { code, kind, message, meta } = current as {
      code?: unknown;
      kind?: unknown;
      message?: unknown;
      meta?: { code?: unknown; originalCode?: unknown };
    };
    if (typeof kind === 'string' && ADAPTER_KINDS.has(kind)) return true;
    if (typeof message === 'string' && ADAPTER_KINDS.has(message)) return true;
    // Prisma puts the driver's SQLSTATE in `meta` under its own P-code
    for (const each of [code, meta?.code, meta?.originalCode]) {
      if (typeof each === 'string' && (PRISMA_CODES.has(each) || SOCKET_CODES.has(each) || SQLSTATES.test(each))) return true;
    }
    if (typeof message === 'string' && MESSAGES.test(message)) return true;
    if (current instanceof AggregateError && current.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
    const next = current as { originalError?: unknown; cause?: unknown };
    current = next.originalError ?? next.cause;
  }
  return false;
}
