/**
 * The child process of the subscriptions benchmark (forked by subscriptions.ts, never run by hand): it holds
 * the graphql-ws subscribers and sends the adjustStock mutations that trigger events, so the router process
 * is measured without the clients' memory, and the trigger and the deliveries share one clock. It only talks
 * to loopback addresses and exits when its parent goes away.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { BenchClient } from './http.js';
import { epochNow, type ChildMessage, type ParentMessage, type SubscriberSpec } from './subscriptions-protocol.js';
import { defined } from '@commerce/kit';

interface StockChangedData {
  stockChanged?: { available?: unknown; at?: unknown; product?: { name?: unknown; rating?: { average?: unknown } | null } | null } | null;
}

interface EventResult {
  data?: StockChangedData | null;
  errors?: readonly { message: string; extensions?: { code?: unknown } }[];
}

interface Subscriber {
  index: number;
  spec: SubscriberSpec;
  client: Client;
}

/** The event being delivered: at most one at a time (the parent spaces them). */
interface Current {
  productId: string;
  /** Subscriber index -> slot in `receipts`, for the subscribers of this product. */
  slots: Map<number, number>;
  receipts: number[];
  availables: (number | undefined)[];
  received: number;
  problems: string[];
  /** Resolved when every subscriber of the product has its event. */
  complete: () => void;
}

const ADJUST =
  'mutation BenchAdjustStock($input: AdjustStockInput!) { adjustStock(input: $input) { product { stock { available } } userErrors { code message } } }';
const MAX_PROBLEMS = 20;

let subscribers: Subscriber[] = [];
let current: Current | undefined;
/** Events that arrived outside any trigger, or for a product not being triggered. */
let strays: string[] = [];
let closing = false;
const httpClients = new Map<string, BenchClient>();

function send(message: ChildMessage): void {
  process.send?.(message);
}

function note(problems: string[], problem: string): void {
  if (problems.length < MAX_PROBLEMS) problems.push(problem);
}

function loopback(url: string): string {
  const { hostname } = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(hostname)) throw new Error(`benchmarks only call loopback addresses, not ${hostname}`);
  return url;
}

function onEvent(subscriber: Subscriber, result: EventResult): void {
  const at = epochNow();
  const event = current;
  if (!event || event.productId !== subscriber.spec.productId) {
    note(strays, `subscriber ${subscriber.index} got an event outside any stock change: ${JSON.stringify(result).slice(0, 200)}`);
    return;
  }
  const slot = event.slots.get(subscriber.index);
  if (slot === undefined) return;
  if (!Number.isNaN(event.receipts[slot] ?? Number.NaN)) {
    note(event.problems, `subscriber ${subscriber.index} got the same change twice`);
    return;
  }
  event.receipts[slot] = at;
  event.received += 1;
  const changed = result.data?.stockChanged;
  if (result.errors?.length) note(event.problems, `subscriber ${subscriber.index}: errors ${JSON.stringify(result.errors).slice(0, 300)}`);
  if (changed?.product?.name !== subscriber.spec.productName) {
    note(
      event.problems,
      `subscriber ${subscriber.index}: product.name is ${JSON.stringify(changed?.product?.name)}, expected ${JSON.stringify(subscriber.spec.productName)}`,
    );
  }
  if (!changed?.product?.rating || typeof changed.product.rating.average !== 'number') {
    note(event.problems, `subscriber ${subscriber.index}: product.rating.average is missing`);
  }
  if (typeof changed?.at !== 'string') note(event.problems, `subscriber ${subscriber.index}: at is missing`);
  event.availables[slot] = typeof changed?.available === 'number' ? changed.available : undefined;
  if (event.received === event.receipts.length) event.complete();
}

async function open(message: Extract<ParentMessage, { type: 'open' }>): Promise<ChildMessage> {
  const started = epochNow();
  const url = loopback(message.url);
  const problems: string[] = [];
  const deadline = started + message.timeoutMs;
  let connected = 0;
  let next = 0;
  closing = false;
  strays = [];
  const openOne = (index: number) =>
    new Promise<void>((resolve) => {
      const spec = defined(message.specs[index % message.specs.length], 'a subscription spec');
      let settled = false;
      const settle = (problem?: string) => {
        if (settled) return;
        settled = true;
        if (problem) note(problems, `subscriber ${index}: ${problem}`);
        else connected += 1;
        resolve();
      };
      const client = createClient({
        url,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        onNonLazyError: (error) => settle(`cannot connect: ${describe(error)}`),
        on: {
          connected: () => settle(),
          closed: (event) => {
            if (!closing) note(strays, `subscriber ${index}: the connection closed (${describe(event)})`);
            settle('closed before it was acknowledged');
          },
        },
      });
      const subscriber: Subscriber = { index, spec, client };
      subscribers.push(subscriber);
      client.subscribe<StockChangedData>(
        { query: spec.query, variables: spec.variables },
        {
          next: (result) => onEvent(subscriber, result as EventResult),
          error: (error) => note(strays, `subscriber ${index}: subscription error ${describe(error)}`),
          complete: () => {
            if (!closing) note(strays, `subscriber ${index}: the subscription completed`);
          },
        },
      );
    });
  await Promise.all(
    Array.from({ length: Math.max(1, message.concurrency) }, async () => {
      for (let index = next++; index < message.count; index = next++) {
        if (epochNow() > deadline) {
          note(problems, `only ${connected} of ${message.count} connected within ${message.timeoutMs} ms`);
          return;
        }
        await openOne(index);
      }
    }),
  );
  return { type: 'opened', id: message.id, ms: epochNow() - started, connected, problems };
}

async function trigger(message: Extract<ParentMessage, { type: 'trigger' }>): Promise<ChildMessage> {
  const problems: string[] = [];
  const followers = subscribers.filter((subscriber) => subscriber.spec.productId === message.productId);
  let complete = () => {};
  const delivered = new Promise<void>((resolve) => {
    complete = resolve;
  });
  const event: Current = {
    productId: message.productId,
    slots: new Map(followers.map((subscriber, slot) => [subscriber.index, slot])),
    receipts: followers.map(() => Number.NaN),
    availables: followers.map(() => undefined),
    received: 0,
    problems,
    complete,
  };
  if (message.expectDeliveries && followers.length === 0) return failed(message.id, `nobody follows product ${message.productId}`);
  if (!message.expectDeliveries && followers.length > 0)
    return failed(message.id, `product ${message.productId} of a control event has followers`);
  current = event;
  let client = httpClients.get(message.url);
  if (!client) {
    client = new BenchClient(loopback(message.url), 2);
    httpClients.set(message.url, client);
  }
  const cpuBefore = process.cpuUsage();
  const body = JSON.stringify({
    query: ADJUST,
    variables: { input: { productId: message.productId, warehouseId: message.warehouseId, delta: message.delta, reason: 'benchmark' } },
  });
  const sentAt = epochNow();
  const response = await client.post(body, { authorization: `Bearer ${message.token}` });
  const respondedAt = sentAt + response.latencyMs;
  let available = Number.NaN;
  try {
    const parsed = JSON.parse(response.text) as {
      data?: { adjustStock?: { product?: { stock?: { available?: number } }; userErrors?: unknown[] } };
      errors?: unknown[];
    };
    const payload = parsed.data?.adjustStock;
    if (
      response.status !== 200 ||
      parsed.errors?.length ||
      payload?.userErrors?.length ||
      typeof payload?.product?.stock?.available !== 'number'
    ) {
      current = undefined;
      return failed(message.id, `adjustStock failed: HTTP ${response.status} ${response.text.slice(0, 300)}`);
    }
    available = payload.product.stock.available;
  } catch {
    current = undefined;
    return failed(message.id, `adjustStock answered with something that is not JSON: ${response.text.slice(0, 300)}`);
  }

  if (message.expectDeliveries) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), message.timeoutMs);
    });
    if (event.received < followers.length && (await Promise.race([delivered, timedOut])) === 'timeout') {
      note(
        problems,
        `${followers.length - event.received} of ${followers.length} subscribers did not get the change within ${message.timeoutMs} ms`,
      );
    }
    clearTimeout(timer);
  }
  const cpu = process.cpuUsage(cpuBefore);
  current = undefined;
  const wrong = event.availables.filter((value, slot) => !Number.isNaN(event.receipts[slot] ?? Number.NaN) && value !== available).length;
  if (wrong) note(problems, `${wrong} subscribers got an available that is not the mutation's ${available}`);
  problems.push(...strays.splice(0));
  return {
    type: 'triggered',
    id: message.id,
    sentAt,
    respondedAt,
    available,
    receipts: event.receipts,
    childCpuMs: (cpu.user + cpu.system) / 1000,
    problems,
  };
}

async function closeAll(message: Extract<ParentMessage, { type: 'close' }>): Promise<ChildMessage> {
  const started = epochNow();
  closing = true;
  const problems: string[] = [];
  const all = subscribers;
  subscribers = [];
  let timer: NodeJS.Timeout | undefined;
  const disposed = Promise.allSettled(all.map((subscriber) => subscriber.client.dispose()));
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), message.timeoutMs);
  });
  if ((await Promise.race([disposed, timedOut])) === 'timeout')
    note(problems, `not every connection closed within ${message.timeoutMs} ms`);
  clearTimeout(timer);
  return { type: 'closed', id: message.id, ms: epochNow() - started, problems };
}

async function memory(id: number): Promise<ChildMessage> {
  for (let round = 0; round < 3; round += 1) {
    globalThis.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
  return { type: 'memory', id, usage: { heapUsed, rss, external, arrayBuffers }, connections: subscribers.length };
}

function failed(id: number, message: string): ChildMessage {
  return { type: 'failed', id, message };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const close = error as { code: unknown; reason?: unknown };
    return `close code ${String(close.code)}${close.reason ? ` ${String(close.reason)}` : ''}`;
  }
  return JSON.stringify(error)?.slice(0, 200) ?? String(error);
}

async function handle(message: ParentMessage): Promise<ChildMessage> {
  switch (message.type) {
    case 'clock':
      return { type: 'clock', id: message.id, now: epochNow() };
    case 'open':
      return open(message);
    case 'trigger':
      return trigger(message);
    case 'memory':
      return memory(message.id);
    case 'close':
      return closeAll(message);
  }
}

if (!process.send) {
  process.stderr.write('subscribers.js is the child process of `npm run bench -- subscriptions`; it is not run by hand\n');
  process.exit(1);
}
process.on('message', (message: ParentMessage) => {
  handle(message).then(send, (error: unknown) => send(failed(message.id, error instanceof Error ? error.message : String(error))));
});
// The parent owns the run: when it goes away (done, interrupted, crashed), so does this process.
process.on('disconnect', () => {
  for (const subscriber of subscribers) void subscriber.client.dispose();
  for (const client of httpClients.values()) client.close();
  setTimeout(() => process.exit(0), 200).unref();
});
process.on('SIGINT', () => {}); // the parent decides when to stop (it closes the IPC channel)
