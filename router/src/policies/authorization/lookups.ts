import { principalHeaders, type Logger, defined } from '@commerce/kit';
import { ROUTER_PRINCIPAL } from '../../router-principal.js';
import type { EntityLookups } from './policies.js';

const PRODUCT_VENDORS = `query ProductVendors($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { id vendor { id } } }
}`;
const ORDER_BUYERS = `query OrderBuyers($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Order { id buyer { id } } }
}`;
/** Fails closed after this long; generous because an embedded subgraph under load answers slowly. */
const TIMEOUT_MS = 5000;
/** Who sells a product changes rarely, who bought an order never: answers are reused for this long. */
const CACHE_TTL_MS = 30_000;
const CACHE_SIZE = 10_000;

/**
 * Entity lookups for per-entity policies, answered by the subgraph that owns the data (one `_entities`
 * request per batch, answers cached for CACHE_TTL_MS, concurrent lookups of an id share one request). A
 * failed lookup denies (fails closed) and is logged.
 */
export function subgraphLookups(urlOf: (subgraph: string) => string | undefined, logger: Logger, routerSecret?: string): EntityLookups {
  const productVendors = cachedLookup({
    subgraph: 'catalog',
    typename: 'Product',
    query: PRODUCT_VENDORS,
    pick: (entity) => (entity as { vendor?: { id: string } | null }).vendor?.id ?? null,
    urlOf,
    logger,
  });
  const orderBuyers = cachedLookup({
    subgraph: 'orders',
    typename: 'Order',
    query: ORDER_BUYERS,
    pick: (entity) => (entity as { buyer?: { id: string } | null }).buyer?.id ?? null,
    headers: () => (routerSecret ? principalHeaders(ROUTER_PRINCIPAL, routerSecret) : {}),
    urlOf,
    logger,
  });
  return { productVendors, orderBuyers };
}

interface LookupOptions {
  subgraph: string;
  typename: string;
  query: string;
  /** The looked-up value from one `_entities` answer. */
  pick(entity: object): string | null;
  headers?(): Record<string, string>;
  urlOf(subgraph: string): string | undefined;
  logger: Logger;
}

/** Answers by id; an id without an entry was not answered (the fetch failed): it denies. */
type Answers = Map<string, string | null>;

/**
 * Ids are fetched in one batch per call, answers cached for CACHE_TTL_MS. Single flight: an id that another
 * call is already fetching is awaited, not fetched again, so many concurrent decisions about one entity
 * (say, every `orderUpdated` subscriber of one order) cost the subgraph one request. A failed fetch answers
 * nothing to every caller waiting on it and is not cached: the next call fetches again.
 */
function cachedLookup(options: LookupOptions): (ids: readonly string[]) => Promise<Answers> {
  const known = new Map<string, { value: string | null; until: number }>();
  const inFlight = new Map<string, Promise<Answers>>();
  return async (ids) => {
    const values: Answers = new Map();
    const now = Date.now();
    const awaited = new Map<string, Promise<Answers>>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const hit = known.get(id);
      const pending = inFlight.get(id);
      if (hit && hit.until > now) values.set(id, hit.value);
      else if (pending) awaited.set(id, pending);
      else missing.push(id);
    }
    const url = missing.length > 0 ? options.urlOf(options.subgraph) : undefined;
    if (url) {
      const batch = fetchAnswers(options, url, missing, known);
      for (const id of missing) {
        inFlight.set(id, batch);
        awaited.set(id, batch);
      }
      // Registered before anyone awaits the batch, so the ids leave `inFlight` before a waiter resumes.
      void batch.then(() => {
        for (const id of missing) if (inFlight.get(id) === batch) inFlight.delete(id);
      });
    }
    await Promise.all(
      [...awaited].map(async ([id, answers]) => {
        const value = (await answers).get(id);
        if (value !== undefined) values.set(id, value);
      }),
    );
    return values;
  };
}

/** One `_entities` request for `ids`; the answers are cached. Never rejects: a failure is logged and answers nothing. */
async function fetchAnswers(
  options: LookupOptions,
  url: string,
  ids: readonly string[],
  known: Map<string, { value: string | null; until: number }>,
): Promise<Answers> {
  const answers: Answers = new Map();
  const now = Date.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers?.() },
      body: JSON.stringify({
        query: options.query,
        variables: { representations: ids.map((id) => ({ __typename: options.typename, id })) },
      }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const body = (await response.json()) as { data?: { _entities?: (object | null)[] }; errors?: { path?: unknown[] }[] };
    // An entity whose resolution failed is null too, but it is not an unknown entity: it stays unanswered (denies).
    const failed = new Set((body.errors ?? []).map((error) => (error.path?.[0] === '_entities' ? error.path[1] : 'all')));
    if (failed.has('all') && !body.data?._entities) throw new Error(`${options.subgraph} answered errors only`);
    body.data?._entities?.forEach((entity, index) => {
      if (failed.has(index) || failed.has('all')) return;
      const value = entity ? options.pick(entity) : null;
      answers.set(defined(ids[index], 'the looked-up id'), value);
      if (known.size >= CACHE_SIZE) known.clear();
      known.set(defined(ids[index], 'the looked-up id'), { value, until: now + CACHE_TTL_MS });
    });
  } catch (error) {
    options.logger.warn({ err: error, subgraph: options.subgraph }, `authorization lookup of ${options.typename} failed; denying`);
  }
  return answers;
}
