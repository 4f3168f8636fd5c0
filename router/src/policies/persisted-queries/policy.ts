import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler, Response } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import { REPO_ROOT, type Logger, defined } from '@commerce/kit';
import type { RouterContext } from '../../context.js';
import { RedisApqStore } from './apq-store.js';
import { LogThrottle } from './log-throttle.js';
import { isIntrospectionOnly, ManifestFiles, redactedBody, type PersistedQueryList } from './manifest.js';
import { recordRejection } from '../../metrics.js';

/**
 * Persisted queries: automatic persisted queries (APQ) and a safelist of operations from
 * `apollo-persisted-query-manifest` files, with Apollo Router's semantics and error codes.
 *
 * A client sends an operation either free-form (`query`) or by id (`extensions.persistedQuery.sha256Hash`,
 * version 1, in a POST body or a GET query string so a CDN can cache it). An id is looked up in the
 * manifests first (`clientName`-specific entries, then general ones); the request then runs the manifest's
 * body and skips the safelist. An id that is not in a manifest goes to APQ when the client's mode allows it.
 *
 * The mode is chosen per client by the `apollographql-client-name` header (`modes.clients`), else
 * `modes.default`. The header is declared by the client, so a mode stricter than the default only keeps an
 * honest client on its rails; only a strict *default* keeps everyone out of free-form GraphQL.
 * - `off`: free-form operations run; ids resolve from the manifests, then from APQ.
 * - `log`: as `off`, and each operation whose body is not in the safelist (free-form, APQ-registered or
 *   found in APQ) is logged at warn with its literals redacted (Apollo Router's `log_unknown`), once per
 *   client and operation per `logIntervalSeconds`, with the count of repeats held back meanwhile.
 * - `safelist`: a free-form body runs only when it is in the safelist (normalized: definitions sorted by
 *   name, whitespace and comments ignored; field order matters), or selects only introspection fields (the
 *   introspection policy decides those). No APQ: Apollo Router refuses APQ with a safelist, and an APQ entry
 *   another client registered must not become a way around the list.
 * - `id-only`: every free-form operation is refused; only manifest ids run (Apollo Router's `require_id`).
 *
 * Refusals, answered here before Apollo Server parses anything, so no subgraph is ever called (codes and
 * statuses as Apollo Router's; all but ID_REQUIRED carry `cache-control: private, no-cache, must-revalidate`
 * so a CDN never keeps them):
 * - free-form when an id is required: 400 `PERSISTED_QUERY_ID_REQUIRED`;
 * - free-form body not in the safelist: 403 `PERSISTED_QUERY_NOT_IN_LIST` (Apollo Router: QUERY_NOT_IN_SAFELIST);
 * - an id in neither the manifests nor (where allowed) APQ, APQ off or not allowed: 404 `PERSISTED_QUERY_NOT_IN_LIST`;
 * - an id and a query together where APQ is off or not allowed: 400 `CANNOT_SEND_PQ_ID_AND_BODY`;
 * - an id and a query whose sha256 differs from it: 400 `PERSISTED_QUERY_HASH_MISMATCH`.
 * An unknown APQ hash is Apollo Server's own answer: HTTP 200 with `PERSISTED_QUERY_NOT_FOUND`, after which
 * the client resends the hash with its query (registration). In a batch (a JSON array body), one refused
 * entry refuses the whole batch, with one error per refused entry, as the batch limit does.
 *
 * APQ itself is Apollo Server's (`persistedQueries` option): in its in-memory LRU cache, or in Redis when
 * `redisUrl` is set (shared by every router instance; Redis down = misses, never failures).
 *
 * Manifests are loaded at start (a missing or invalid one stops the start) and reloaded when their
 * directory changes (`watch`) or on `reloadSignal` (SIGHUP in production); a manifest that fails to load
 * then is logged and the previous list keeps serving.
 */
export const PERSISTED_QUERY_MODES = ['off', 'log', 'safelist', 'id-only'] as const;
export type PersistedQueryMode = (typeof PERSISTED_QUERY_MODES)[number];

export interface PersistedQueryModes {
  /** Mode of every client not listed in `clients`. */
  default: PersistedQueryMode;
  /** Client name (the `apollographql-client-name` header) -> mode. */
  clients?: Record<string, PersistedQueryMode>;
}

export interface PersistedQueryOptions {
  /** Default `{ default: 'off' }`: free-form GraphQL keeps working (embedded mode, tests). */
  modes?: PersistedQueryModes;
  /** Manifest files whose operations form one list. Default: DEFAULT_MANIFESTS (the committed ones). */
  manifests?: string[];
  /** Reload the manifests when their directory changes. Default false. */
  watch?: boolean;
  /** Reload the manifests when the process receives this signal (main.ts: SIGHUP). Default none. */
  reloadSignal?: NodeJS.Signals;
  /** Automatic persisted queries (for the clients whose mode allows them). Default true. */
  apq?: boolean;
  /** Seconds an APQ entry lives after its registration; 0 = until evicted. Default 86400. */
  apqTtlSeconds?: number;
  /** `redis://` URL: the APQ store is in Redis. Default: in memory, per router instance. */
  redisUrl?: string;
  /** Prefix of the APQ keys in Redis (`<keyPrefix>apq:<sha256>`). Default `pq:`. */
  keyPrefix?: string;
  /** A Redis call slower than this is a miss. Default 500 ms. */
  redisTimeoutMs?: number;
  /** The header naming the client. Default `apollographql-client-name`. */
  clientNameHeader?: string;
  /** `log` mode logs one unknown operation (per client) at most once per this many seconds; 0: every time. Default 60. */
  logIntervalSeconds?: number;
}

/** The committed manifests, written by `npm run codegen` from clients/<name>/**\/*.graphql. */
export const DEFAULT_MANIFESTS: readonly string[] = ['web', 'mobile'].map((client) =>
  join(REPO_ROOT, 'schema', 'persisted-queries', `${client}.json`),
);

export const PERSISTED_QUERY_DEFAULTS = {
  modes: { default: 'off', clients: {} },
  watch: false,
  apq: true,
  apqTtlSeconds: 86_400,
  keyPrefix: 'pq:',
  redisTimeoutMs: 500,
  clientNameHeader: 'apollographql-client-name',
  logIntervalSeconds: 60,
} as const satisfies PersistedQueryOptions;

export const PERSISTED_QUERY_CODES = {
  idRequired: 'PERSISTED_QUERY_ID_REQUIRED',
  notInSafelist: 'PERSISTED_QUERY_NOT_IN_LIST', // Apollo Router says QUERY_NOT_IN_SAFELIST here; the issue's contract names this code
  notInList: 'PERSISTED_QUERY_NOT_IN_LIST',
  idAndBody: 'CANNOT_SEND_PQ_ID_AND_BODY',
  hashMismatch: 'PERSISTED_QUERY_HASH_MISMATCH',
} as const;

export interface PersistedQueries {
  /** Express middleware for `/graphql`: mount after the JSON body parser, before authentication. */
  middleware: RequestHandler;
  /** Apollo Server's `persistedQueries` option (APQ). */
  apq: ApolloServerOptions<RouterContext>['persistedQueries'];
  /** Starts and stops the manifest watch and the Redis client; logs unknown APQ operations in `log` mode. */
  plugin: ApolloServerPlugin<RouterContext>;
  /**
   * The same decision for an operation that does not come over HTTP (a subscription over WebSocket or
   * SSE): the query to run, or the refusal. Ids resolve from the manifests only (APQ is HTTP's).
   */
  resolve(request: { query?: unknown; extensions?: unknown }, client: string | undefined): ResolvedOperation;
}

export type ResolvedOperation = { ok: true; query: string } | { ok: false; code: string; message: string };

/** One GraphQL request as sent: a POST body (or batch entry), or a GET's query string. */
interface WireRequest {
  query?: unknown;
  operationName?: unknown;
  extensions?: unknown;
}

type Decision =
  | { kind: 'pass' }
  | { kind: 'resolved'; body: string }
  | { kind: 'refuse'; status: number; code: string; message: string; cacheable?: boolean };

const NO_CACHE = 'private, no-cache, must-revalidate';

export function persistedQueries(options: PersistedQueryOptions, logger: Logger): PersistedQueries {
  const log = logger.child({ policy: 'persisted-queries' });
  const config = { ...PERSISTED_QUERY_DEFAULTS, ...withoutUndefined(options) };
  const modes: PersistedQueryModes = config.modes;
  const unknownLogs = new LogThrottle(config.logIntervalSeconds * 1000);
  for (const [client, mode] of [['default', modes.default], ...Object.entries(modes.clients ?? {})] as const) {
    if (!PERSISTED_QUERY_MODES.includes(mode)) {
      throw new Error(`persistedQueries mode for ${client} must be one of ${PERSISTED_QUERY_MODES.join(', ')}, got "${String(mode)}"`);
    }
  }
  if (!Number.isInteger(config.apqTtlSeconds) || config.apqTtlSeconds < 0)
    throw new Error('persistedQueries.apqTtlSeconds must be a whole number >= 0');
  const files = new ManifestFiles(options.manifests ?? DEFAULT_MANIFESTS, log);
  const clientModes = new Map(Object.entries(modes.clients ?? {}));
  const modeOf = (client: string | undefined): PersistedQueryMode =>
    (client === undefined ? undefined : clientModes.get(client)) ?? modes.default;
  const apqAllowed = (mode: PersistedQueryMode) => config.apq && (mode === 'off' || mode === 'log');
  const anyLogMode = modes.default === 'log' || [...clientModes.values()].includes('log');
  const redis =
    config.apq && config.redisUrl
      ? new RedisApqStore({ url: config.redisUrl, keyPrefix: config.keyPrefix, timeoutMs: config.redisTimeoutMs }, log)
      : undefined;
  const clientHeader = config.clientNameHeader.toLowerCase(); // node lowercases incoming header names
  const clientOf = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) || undefined;

  /** What to do with one request, before Apollo Server sees it. */
  const decide = (request: WireRequest, client: string | undefined, list: PersistedQueryList): Decision => {
    const mode = modeOf(client);
    const persisted = isRecord(request.extensions) ? request.extensions.persistedQuery : undefined;
    const query = typeof request.query === 'string' && request.query !== '' ? request.query : undefined;
    // Truthy, as Apollo Server tests it: a falsy `persistedQuery` makes the request free-form there too.
    if (persisted) {
      // Apollo Server refuses these without a code (masked as an internal error): refused here, with one.
      if (!isRecord(persisted) || persisted.version !== 1) return refuse(400, 'BAD_REQUEST', 'Unsupported persisted query version');
      // Apollo Server would look a non-string hash up in APQ as its string form: refuse it here.
      if (typeof persisted.sha256Hash !== 'string') return refuse(400, 'BAD_REQUEST', 'persistedQuery.sha256Hash must be a string');
      const id = persisted.sha256Hash;
      if (query !== undefined) {
        // An APQ registration: the id and the query together.
        if (!apqAllowed(mode)) {
          return refuse(400, PERSISTED_QUERY_CODES.idAndBody, 'Sending a persisted query ID and a body in the same request is disallowed');
        }
        if (sha256(query) !== id) return refuse(400, PERSISTED_QUERY_CODES.hashMismatch, 'provided sha does not match query');
        return { kind: 'pass' };
      }
      const body = list.body(id, client);
      if (body !== undefined) return { kind: 'resolved', body };
      if (apqAllowed(mode)) return { kind: 'pass' }; // Apollo Server's APQ: a hit, or 200 PERSISTED_QUERY_NOT_FOUND
      if (!config.apq && list.size === 0) return { kind: 'pass' }; // nothing persisted at all: PERSISTED_QUERY_NOT_SUPPORTED
      return refuse(404, PERSISTED_QUERY_CODES.notInList, `Persisted query '${id}' not found in the persisted query list`);
    }
    if (query === undefined) return { kind: 'pass' }; // no operation: Apollo Server's 400
    if (mode === 'id-only') {
      return {
        ...refuse(
          400,
          PERSISTED_QUERY_CODES.idRequired,
          'This endpoint does not allow freeform GraphQL requests; operations must be sent by ID in the persisted queries GraphQL extension.',
        ),
        cacheable: true,
      };
    }
    if (mode === 'safelist' && !list.allows(query) && !isIntrospectionOnly(query)) {
      return refuse(403, PERSISTED_QUERY_CODES.notInSafelist, 'The operation body was not found in the persisted query safelist');
    }
    return { kind: 'pass' }; // `log` mode logs in the plugin, once APQ has resolved the body
  };

  const middleware: RequestHandler = (req, res, next) => {
    const client = clientOf(req.headers[clientHeader]);
    const list = files.current;
    if (req.method === 'GET') {
      const url = new URL(req.url, 'http://router.invalid');
      const params = url.searchParams;
      let extensions: unknown;
      try {
        extensions = params.has('extensions') ? JSON.parse(params.get('extensions') ?? '') : undefined;
      } catch {
        return next(); // Apollo Server answers a malformed `extensions` parameter
      }
      const decision = decide(
        { query: params.get('query') ?? undefined, operationName: params.get('operationName'), extensions },
        client,
        list,
      );
      if (decision.kind === 'refuse') return refuseRequest(res, [{ decision, operationName: params.get('operationName') }], client);
      if (decision.kind === 'resolved') {
        params.set('query', decision.body);
        const rest = withoutPersistedQuery(extensions);
        if (rest) params.set('extensions', JSON.stringify(rest));
        else params.delete('extensions');
        req.url = `${url.pathname}?${params.toString()}`;
      }
      return next();
    }
    const body: unknown = req.body;
    const entries = (Array.isArray(body) ? body : [body]).filter(isRecord);
    const decisions = entries.map((entry) => ({ entry, decision: decide(entry, client, list) }));
    const refused = decisions.filter((item) => item.decision.kind === 'refuse');
    if (refused.length) {
      return refuseRequest(
        res,
        refused.map(({ entry, decision }) => ({
          decision: decision as Extract<Decision, { kind: 'refuse' }>,
          operationName: entry.operationName,
        })),
        client,
      );
    }
    for (const { entry, decision } of decisions) {
      if (decision.kind !== 'resolved') continue;
      entry.query = decision.body;
      const rest = withoutPersistedQuery(entry.extensions);
      if (rest) entry.extensions = rest;
      else delete entry.extensions;
    }
    next();
  };

  const refuseRequest = (
    res: Response,
    refused: { decision: Extract<Decision, { kind: 'refuse' }>; operationName: unknown }[],
    client: string | undefined,
  ) => {
    const first = defined(refused[0], 'a refused operation').decision;
    log.info(
      { client, codes: refused.map((item) => item.decision.code), operationNames: refused.map((item) => item.operationName ?? null) },
      'operation refused: persisted queries',
    );
    for (const code of new Set(refused.map((item) => item.decision.code))) recordRejection(code);
    if (refused.some((item) => !item.decision.cacheable)) res.set('cache-control', NO_CACHE);
    const errors: GraphQLFormattedError[] = refused.map(({ decision }) => ({
      message: decision.message,
      extensions: { code: decision.code },
    }));
    res.status(first.status).json({ errors });
  };

  const plugin: ApolloServerPlugin<RouterContext> = {
    async serverWillStart() {
      const stopWatching = config.watch ? files.watch() : () => {};
      const onSignal = () => void files.reload(`signal ${config.reloadSignal}`);
      if (config.reloadSignal) process.on(config.reloadSignal, onSignal);
      await redis?.connect();
      log.info(
        { modes, manifests: files.paths, operations: files.current.size, apq: config.apq ? (redis ? 'redis' : 'memory') : 'off' },
        'persisted queries on',
      );
      return {
        async serverWillStop() {
          stopWatching();
          if (config.reloadSignal) process.off(config.reloadSignal, onSignal);
          await redis?.close();
        },
      };
    },
    async requestDidStart({ request }) {
      if (!anyLogMode) return;
      const client = clientOf(request.http?.headers.get(clientHeader));
      if (modeOf(client) !== 'log') return;
      return {
        // After APQ: the source is the body that will run, whichever way it came.
        async didResolveSource({ source, queryHash }) {
          if (files.current.allows(source)) return;
          const repeats = unknownLogs.take(`${client}:${queryHash}`);
          if (repeats === undefined) return; // logged within the interval already
          log.warn(
            { client, operationName: request.operationName, queryHash, repeats, body: redactedBody(source) },
            'unknown operation (not in the persisted query list)',
          );
        },
      };
    },
  };

  const resolve: PersistedQueries['resolve'] = (request, client) => {
    const decision = decide(request, client, files.current);
    if (decision.kind === 'refuse') return { ok: false, code: decision.code, message: decision.message };
    if (decision.kind === 'resolved') return { ok: true, query: decision.body };
    if (typeof request.query === 'string' && request.query !== '') return { ok: true, query: request.query };
    return {
      ok: false,
      code: PERSISTED_QUERY_CODES.notInList,
      message: 'Persisted query not found in the persisted query list (APQ is for HTTP requests)',
    };
  };

  return {
    middleware,
    resolve,
    apq: config.apq ? { ttl: config.apqTtlSeconds === 0 ? null : config.apqTtlSeconds, ...(redis ? { cache: redis } : {}) } : false,
    plugin,
  };
}

function refuse(status: number, code: string, message: string): Extract<Decision, { kind: 'refuse' }> {
  return { kind: 'refuse', status, code, message };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The extensions without `persistedQuery`, or undefined when nothing else is left. */
function withoutPersistedQuery(extensions: unknown): Record<string, unknown> | undefined {
  if (!isRecord(extensions)) return undefined;
  const { persistedQuery: _resolved, ...rest } = extensions;
  return Object.keys(rest).length ? rest : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
