import { performance } from 'node:perf_hooks';
import type { Database } from '@commerce/kit';
import { BenchClient } from './http.js';
import { defined } from '@commerce/kit';

/**
 * The chaos benchmark's shoppers: `concurrency` checkouts in flight, each from adding to the cart until its order is
 * seen CONFIRMED, FAILED or CANCELLED in the orders database. Every step a client sees fail (connection refused or
 * reset, a timeout, an HTTP error, a GraphQL error without data) is counted by kind and retried after a pause, as a
 * well-behaved client does: the checkout with the same idempotency key, so that a retry never makes a second order.
 */
export const CARDS = ['pm_card_ok', 'pm_card_declined', 'pm_card_flaky'] as const;
export type Card = (typeof CARDS)[number];

export interface PlannedCheckout {
  index: number;
  idempotencyKey: string;
  productId: string;
  quantity: number;
  card: Card;
}

export interface CheckoutOutcome extends PlannedCheckout {
  customer: number;
  /** Every order id the checkout answered with (more than one distinct id is a violation). */
  orderIds: string[];
  /** Terminal status seen, or undefined when the checkout never got an order, or the order did not settle in time. */
  status?: string;
  failureReason?: string | null;
  /** Client-visible failures of this checkout's requests, by kind. */
  errors: string[];
  /** Business refusals (userErrors) of addToCart or checkout, by code. */
  userErrors: string[];
  /** From adding to the cart to the terminal status seen. */
  latencyMs: number;
  gaveUp?: string;
}

export interface Customer {
  index: number;
  token: string;
}

const ADD_TO_CART = 'mutation ChaosAddToCart($input: AddToCartInput!) { addToCart(input: $input) { userErrors { code message } } }';
const CHECKOUT =
  'mutation ChaosCheckout($input: CheckoutInput!) { checkout(input: $input) { order { id status } userErrors { code message } } }';
const SIGN_UP = 'mutation ChaosSignUp($input: SignUpInput!) { signUp(input: $input) { accessToken userErrors { code message } } }';
const ADDRESS = { name: 'Chaos Buyer', line1: '1 Chaos Street', city: 'Utrecht', postalCode: '3511 AA', country: 'NL' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface GraphQLBody {
  data?: Record<string, { userErrors?: { code: string }[] } & Record<string, unknown>> | null;
  errors?: { message: string; extensions?: { code?: unknown } }[];
}

type Attempt = { ok: true; body: GraphQLBody } | { ok: false; kind: string; message?: string };

export class Shopper {
  /** Client-visible failures by kind, over the whole run. */
  readonly errorKinds = new Map<string, number>();
  /** The first messages seen of each kind. */
  readonly errorSamples = new Map<string, string[]>();

  constructor(
    private readonly client: BenchClient,
    /** Gives up on one request (retrying it) after this long, in all. */
    private readonly stepTimeoutMs: number,
  ) {}

  private count(kind: string, into: string[], message?: string): void {
    into.push(kind);
    this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + 1);
    const samples = this.errorSamples.get(kind) ?? [];
    if (message && samples.length < 2 && !samples.includes(message)) this.errorSamples.set(kind, [...samples, message.slice(0, 300)]);
  }

  private async post(query: string, variables: Record<string, unknown>, token?: string): Promise<Attempt> {
    try {
      const response = await this.client.post(JSON.stringify({ query, variables }), token ? { authorization: `Bearer ${token}` } : {});
      let body: GraphQLBody;
      try {
        body = JSON.parse(response.text) as GraphQLBody;
      } catch {
        return { ok: false, kind: `http ${response.status} (not JSON)` };
      }
      if (!body.data || Object.values(body.data).some((value) => value === null)) {
        const code = body.errors?.[0]?.extensions?.code;
        return {
          ok: false,
          kind: `http ${response.status} ${typeof code === 'string' ? code : 'error without a code'}`,
          message: body.errors?.[0]?.message,
        };
      }
      return { ok: true, body };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return {
        ok: false,
        kind: `network ${code ?? ((error as Error).message.includes('no response') ? 'timeout' : (error as Error).message.slice(0, 60))}`,
      };
    }
  }

  /** Sends until it gets data (counting and pausing between failures), or `stepTimeoutMs` has passed. */
  private async send(
    query: string,
    variables: Record<string, unknown>,
    token: string | undefined,
    errors: string[],
  ): Promise<GraphQLBody | undefined> {
    const until = performance.now() + this.stepTimeoutMs;
    for (let attempt = 1; ; attempt += 1) {
      const result = await this.post(query, variables, token);
      if (result.ok) return result.body;
      this.count(result.kind, errors, result.message);
      if (performance.now() > until) return undefined;
      await sleep(Math.min(2000, 100 * 2 ** Math.min(attempt, 5)));
    }
  }

  async signUp(run: string, index: number): Promise<Customer> {
    const errors: string[] = [];
    const body = await this.send(
      SIGN_UP,
      { input: { email: `chaos-${run}-${index}@example.com`, password: 'chaos engineering password', name: `Chaos Buyer ${index}` } },
      undefined,
      errors,
    );
    const token = (body?.data?.signUp as { accessToken?: string } | undefined)?.accessToken;
    if (!token) throw new Error(`signUp failed: ${errors.join(', ') || JSON.stringify(body).slice(0, 300)}`);
    return { index, token };
  }

  async checkout(customer: Customer, plan: PlannedCheckout, watcher: OrderWatcher, settleTimeoutMs: number): Promise<CheckoutOutcome> {
    const started = performance.now();
    const outcome: CheckoutOutcome = { ...plan, customer: customer.index, orderIds: [], errors: [], userErrors: [], latencyMs: Number.NaN };
    const added = await this.send(
      ADD_TO_CART,
      { input: { productId: plan.productId, quantity: plan.quantity } },
      customer.token,
      outcome.errors,
    );
    if (!added) return { ...outcome, gaveUp: 'addToCart' };
    outcome.userErrors.push(
      ...(defined(added.data?.addToCart, 'the addToCart payload').userErrors ?? []).map((error) => `addToCart ${error.code}`),
    );
    const input = { input: { idempotencyKey: plan.idempotencyKey, paymentMethod: plan.card, shippingAddress: ADDRESS } };
    const checkedOut = await this.send(CHECKOUT, input, customer.token, outcome.errors);
    if (!checkedOut) return { ...outcome, gaveUp: 'checkout' };
    const payload = defined(checkedOut.data, 'checkout data').checkout as { order: { id: string } | null; userErrors: { code: string }[] };
    outcome.userErrors.push(...payload.userErrors.map((error) => `checkout ${error.code}`));
    if (!payload.order) return outcome;
    outcome.orderIds.push(payload.order.id);
    // a repeat of the same checkout (as after a lost answer) must answer with the same order
    if (plan.index % 10 === 0) {
      const again = await this.send(CHECKOUT, input, customer.token, outcome.errors);
      const order = (again?.data?.checkout as { order: { id: string } | null } | undefined)?.order;
      if (order) outcome.orderIds.push(order.id);
    }
    const settled = await watcher.watch(payload.order.id, settleTimeoutMs);
    outcome.latencyMs = performance.now() - started;
    if (settled) {
      outcome.status = settled.status;
      outcome.failureReason = settled.failureReason;
    }
    return outcome;
  }
}

/**
 * Watches the orders database for orders leaving PENDING: one query per tick for every order waited on. A failed
 * query (PostgreSQL restarting) is tried again at the next tick.
 */
export class OrderWatcher {
  private readonly watchers = new Map<
    string,
    { resolve: (row: { status: string; failureReason: string | null } | undefined) => void; until: number }
  >();
  private loop: Promise<void> | undefined;
  private stopped = false;
  failedPolls = 0;

  constructor(
    private readonly orders: () => Database,
    private readonly intervalMs: number,
  ) {}

  watch(orderId: string, timeoutMs: number): Promise<{ status: string; failureReason: string | null } | undefined> {
    return new Promise((resolve) => {
      this.watchers.set(orderId, { resolve, until: performance.now() + timeoutMs });
      this.loop ??= this.run().finally(() => (this.loop = undefined));
    });
  }

  stop(): void {
    this.stopped = true;
    for (const watcher of this.watchers.values()) watcher.resolve(undefined);
    this.watchers.clear();
  }

  private async run(): Promise<void> {
    while (this.watchers.size > 0 && !this.stopped) {
      try {
        const rows = await this.orders().query<{ id: string; status: string; failure_reason: string | null }>(
          `SELECT id::text AS id, status, failure_reason FROM orders WHERE id = ANY($1::uuid[]) AND status <> 'PENDING'`,
          [[...this.watchers.keys()]],
        );
        for (const row of rows) {
          const watcher = this.watchers.get(row.id);
          if (!watcher) continue;
          this.watchers.delete(row.id);
          watcher.resolve({ status: row.status, failureReason: row.failure_reason });
        }
      } catch {
        this.failedPolls += 1;
      }
      const now = performance.now();
      for (const [id, watcher] of this.watchers) {
        if (now <= watcher.until) continue;
        this.watchers.delete(id);
        watcher.resolve(undefined);
      }
      if (this.watchers.size > 0) await sleep(this.intervalMs);
    }
  }
}
