import { openDatabase, type Database, defined } from '@commerce/kit';
import { createClient } from 'redis';
import type { CheckoutOutcome } from './chaos-load.js';

/**
 * What must hold after the chaos run, whatever was killed: each check lists its violations (empty: it holds).
 */
export interface Check {
  name: string;
  violations: number;
  /** The first few violations, described. */
  examples: string[];
  /** Figures behind the check. */
  figures?: Record<string, number>;
}

export interface StockSnapshot {
  onHand: number;
  reserved: number;
}

export interface CheckInput {
  databaseUrls: Record<string, string>;
  redisUrl: string;
  /** Every event stream key starts with it. */
  streamPrefix: string;
  providerUrl: string;
  /** Every idempotency key of the run starts with it. */
  keyPrefix: string;
  outcomes: CheckoutOutcome[];
  /** Per product the run sold, before the load. */
  initialStock: Map<string, StockSnapshot>;
}

interface Charge {
  operation: string;
  idempotencyKey: string;
}

const MAX_EXAMPLES = 5;

function check(name: string, problems: string[], figures?: Record<string, number>, violations = problems.length): Check {
  return { name, violations, examples: problems.slice(0, MAX_EXAMPLES), ...(figures ? { figures } : {}) };
}

/** The platform at rest: what the saga, the outbox, the consumers and the provider leave behind. */
export async function quiescence(
  input: Pick<CheckInput, 'databaseUrls' | 'redisUrl' | 'streamPrefix' | 'keyPrefix'>,
  dbs: Record<string, Database>,
) {
  const [pending] = await defined(dbs.orders, 'the orders database').query<{ n: number }>(
    `SELECT count(*)::int AS n FROM orders WHERE status = 'PENDING' AND idempotency_key LIKE $1`,
    [`${input.keyPrefix}%`],
  );
  const [sagas] = await defined(dbs.orders, 'the orders database').query<{ n: number }>(
    `SELECT count(*)::int AS n FROM checkout_sagas WHERE step <> 'DONE'`,
  );
  let unpublished = 0;
  for (const db of Object.values(dbs)) {
    const [row] = await db
      .query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL')
      .catch(() => [{ n: 0 }]);
    unpublished += row?.n ?? 0;
  }
  const streams = await streamFigures(input.redisUrl, input.streamPrefix);
  return { pendingOrders: pending?.n ?? 0, unfinishedSagas: sagas?.n ?? 0, unpublished, ...streams };
}

/** Per consumer group of every event stream: pending (delivered, not acknowledged) and lag; dead letters per stream. */
export async function streamFigures(redisUrl: string, prefix: string) {
  const client = createClient({ url: redisUrl, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  await client.connect();
  try {
    let pending = 0;
    let lag = 0;
    let unknownLag = 0;
    let deadLetters = 0;
    const groups: string[] = [];
    const dead: string[] = [];
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, TYPE: 'stream', COUNT: 500 })) {
      for (const key of ([] as string[]).concat(keys as string | string[])) {
        if (key.endsWith(':dead')) {
          const length = Number(await client.xLen(key));
          deadLetters += length;
          if (length > 0) dead.push(`${key}: ${length}`);
          continue;
        }
        for (const info of await client.xInfoGroups(key)) {
          const groupLag = info.lag as unknown; // null when Redis cannot tell
          pending += Number(info.pending);
          if (groupLag === null || groupLag === undefined) unknownLag += 1;
          else lag += Number(groupLag);
          if (Number(info.pending) > 0 || Number(groupLag ?? 1) > 0)
            groups.push(`${key} ${String(info.name)}: pending ${Number(info.pending)}, lag ${String(groupLag)}`);
        }
      }
    }
    return { consumerPending: pending, consumerLag: lag, unknownLag, deadLetters, laggingGroups: groups, deadStreams: dead };
  } finally {
    await client.close().catch(() => client.destroy());
  }
}

export async function openAll(urls: Record<string, string>): Promise<Record<string, Database>> {
  const entries = await Promise.all(Object.entries(urls).map(async ([name, url]) => [name, await openDatabase(url)] as const));
  return Object.fromEntries(entries);
}

export async function runChecks(input: CheckInput, dbs: Record<string, Database>): Promise<Check[]> {
  const checks: Check[] = [];
  const orders = await defined(dbs.orders, 'the orders database').query<{
    id: string;
    user_id: string;
    status: string;
    failure_reason: string | null;
    idempotency_key: string;
  }>(`SELECT id::text AS id, user_id::text AS user_id, status, failure_reason, idempotency_key FROM orders WHERE idempotency_key LIKE $1`, [
    `${input.keyPrefix}%`,
  ]);
  const byId = new Map(orders.map((order) => [order.id, order]));
  const ids = orders.map((order) => order.id);

  // every order terminal, every saga finished
  const notTerminal = orders.filter((order) => !['CONFIRMED', 'FAILED', 'CANCELLED'].includes(order.status));
  const sagas = await defined(dbs.orders, 'the orders database').query<{ order_id: string; step: string }>(
    `SELECT order_id::text AS order_id, step FROM checkout_sagas WHERE order_id = ANY($1::uuid[]) AND step <> 'DONE'`,
    [ids],
  );
  checks.push(
    check(
      'every order terminal (CONFIRMED, FAILED or CANCELLED) and its saga DONE',
      [
        ...notTerminal.map((order) => `order ${order.id} is ${order.status}`),
        ...sagas.map((saga) => `saga of ${saga.order_id} in ${saga.step}`),
      ],
      { orders: orders.length },
    ),
  );

  // one order per idempotency key, and the key's checkout always answered with that order
  const keyProblems: string[] = [];
  const ordersOfKey = new Map<string, string[]>();
  for (const order of orders)
    ordersOfKey.set(`${order.user_id} ${order.idempotency_key}`, [
      ...(ordersOfKey.get(`${order.user_id} ${order.idempotency_key}`) ?? []),
      order.id,
    ]);
  for (const [key, list] of ordersOfKey) if (list.length > 1) keyProblems.push(`key ${key} has ${list.length} orders`);
  const keysInDb = new Map(orders.map((order) => [order.idempotency_key, order.id]));
  for (const outcome of input.outcomes) {
    const distinct = new Set(outcome.orderIds);
    if (distinct.size > 1) keyProblems.push(`key ${outcome.idempotencyKey} answered with ${distinct.size} orders`);
    const stored = keysInDb.get(outcome.idempotencyKey);
    if (distinct.size === 1 && stored !== outcome.orderIds[0])
      keyProblems.push(`key ${outcome.idempotencyKey}: answered ${outcome.orderIds[0]}, stored ${stored ?? 'none'}`);
  }
  checks.push(check('one order per idempotency key', keyProblems, { keys: input.outcomes.length }));

  // stock: what left the shelf is what was sold, nothing stays reserved
  const lines = await defined(dbs.orders, 'the orders database').query<{ product_id: string; quantity: number }>(
    `SELECT l.product_id::text AS product_id, sum(l.quantity)::int AS quantity FROM order_lines l JOIN orders o ON o.id = l.order_id
     WHERE o.status = 'CONFIRMED' AND o.idempotency_key LIKE $1 GROUP BY l.product_id`,
    [`${input.keyPrefix}%`],
  );
  const sold = new Map(lines.map((line) => [line.product_id, line.quantity]));
  const stock = await defined(dbs.inventory, 'the inventory database').query<{ product_id: string; on_hand: number; reserved: number }>(
    `SELECT product_id::text AS product_id, sum(on_hand)::int AS on_hand, sum(reserved)::int AS reserved FROM stock_levels
     WHERE product_id = ANY($1::uuid[]) GROUP BY product_id`,
    [[...input.initialStock.keys()]],
  );
  const stockProblems: string[] = [];
  const reservedProblems: string[] = [];
  let soldUnits = 0;
  for (const row of stock) {
    const initial = defined(input.initialStock.get(row.product_id), `initial stock of ${row.product_id}`);
    const confirmed = sold.get(row.product_id) ?? 0;
    soldUnits += confirmed;
    if (initial.onHand - row.on_hand !== confirmed) {
      stockProblems.push(
        `product ${row.product_id}: onHand ${initial.onHand} -> ${row.on_hand} (${initial.onHand - row.on_hand} left), confirmed ${confirmed}`,
      );
    }
    if (row.reserved !== initial.reserved)
      reservedProblems.push(`product ${row.product_id}: reserved ${initial.reserved} -> ${row.reserved}`);
  }
  for (const productId of sold.keys())
    if (!input.initialStock.has(productId)) stockProblems.push(`product ${productId} sold but not tracked`);
  const held = await defined(dbs.inventory, 'the inventory database').query<{ order_id: string; quantity: number }>(
    `SELECT order_id::text AS order_id, quantity FROM stock_reservations WHERE status = 'held' AND order_id = ANY($1::uuid[])`,
    [ids],
  );
  for (const reservation of held)
    reservedProblems.push(`order ${reservation.order_id}: ${reservation.quantity} still held (${byId.get(reservation.order_id)?.status})`);
  checks.push(
    check('per product: initial - final onHand = confirmed quantity', stockProblems, { products: stock.length, unitsSold: soldUnits }),
  );
  checks.push(check('reserved back to its initial value (0), no reservation held', reservedProblems));

  // the provider's ledger: exactly one capture per confirmed order, none for the others; authorizations of failed orders voided
  const intents = await defined(dbs.payments, 'the payments database').query<{ id: string; order_id: string; status: string }>(
    `SELECT id::text AS id, order_id::text AS order_id, status FROM payment_intents WHERE order_id = ANY($1::uuid[])`,
    [ids],
  );
  const ledger = (await (await fetch(`${input.providerUrl}/v1/ledger`)).json()) as { charges: Charge[] };
  const effects = new Map<string, Map<string, number>>();
  for (const charge of ledger.charges) {
    const intentId = charge.idempotencyKey.split(':')[0] ?? '';
    const counts = effects.get(intentId) ?? new Map<string, number>();
    counts.set(charge.operation, (counts.get(charge.operation) ?? 0) + 1);
    effects.set(intentId, counts);
  }
  const intentOfOrder = new Map(intents.map((intent) => [intent.order_id, intent]));
  const captureProblems: string[] = [];
  const voidProblems: string[] = [];
  let captures = 0;
  for (const order of orders) {
    const intent = intentOfOrder.get(order.id);
    const counts = intent ? effects.get(intent.id) : undefined;
    const captured = counts?.get('capture') ?? 0;
    captures += captured;
    if (order.status === 'CONFIRMED' && captured !== 1)
      captureProblems.push(`confirmed order ${order.id}: ${captured} captures (intent ${intent?.status ?? 'missing'})`);
    if (order.status !== 'CONFIRMED' && captured !== 0) captureProblems.push(`${order.status} order ${order.id}: ${captured} captures`);
    if (order.status !== 'CONFIRMED' && (counts?.get('authorize') ?? 0) > 0 && (counts?.get('void') ?? 0) !== 1) {
      voidProblems.push(`${order.status} order ${order.id} (${order.failure_reason}): authorized, ${counts?.get('void') ?? 0} voids`);
    }
  }
  checks.push(check('exactly one provider capture per confirmed order, none for the others', captureProblems, { captures }));
  checks.push(check("failed orders' authorizations voided at the provider", voidProblems));

  // the event bus at rest
  const quiet = await quiescence(input, dbs);
  checks.push(check('outbox empty (every event published)', quiet.unpublished ? [`${quiet.unpublished} events unpublished`] : []));
  checks.push(
    check(
      'consumer lag 0 (every event delivered and acknowledged)',
      quiet.laggingGroups,
      { pending: quiet.consumerPending, lag: quiet.consumerLag, unknownLag: quiet.unknownLag },
      quiet.consumerPending + quiet.consumerLag + quiet.unknownLag,
    ),
  );
  checks.push(check('dead letters 0', quiet.deadStreams, { deadLetters: quiet.deadLetters }, quiet.deadLetters));
  return checks;
}
