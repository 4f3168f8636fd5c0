import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { exportSpansTo, InMemorySpanExporter, SpanKind, type ReadableSpan } from '@commerce/kit';
import { startIssuer, startStubSubgraph, startTestRouter, type Issuer, type StubSubgraph, type TestRouter } from './support.js';

/** The router's spans of operations that arrive over the WebSocket (in-memory exporter; tracing is on in this file only). */
const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';
const TICKS_SDL = `${LINK}
type Query { ping: String }
type Subscription { ticks(count: Int!): Tick! }
type Tick @key(fields: "n") { n: Int! }`;
const SQUARES_SDL = `${LINK}
type Tick @key(fields: "n") { n: Int! square: Int! }`;

type Outcome = { events: unknown[]; error?: { extensions?: { code?: string } }[] };

function run(client: Client, query: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { events: [] };
    client.subscribe(
      { query },
      {
        next: (event) => void outcome.events.push(event),
        error: (error) => resolve({ ...outcome, error: error as Outcome['error'] }),
        complete: () => resolve(outcome),
      },
    );
  });
}

describe('router tracing over the WebSocket', () => {
  const exporter = new InMemorySpanExporter();
  let issuer: Issuer;
  let ticks: StubSubgraph;
  let squares: StubSubgraph;
  let router: TestRouter;
  let client: Client;

  const spans = (name: string) => exporter.getFinishedSpans().filter((span) => span.name === name);
  const byOperation = (name: string, operation: string) =>
    spans(name).filter((span) => span.attributes['graphql.operation.name'] === operation);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  before(async () => {
    exportSpansTo(exporter);
    issuer = await startIssuer();
    ticks = await startStubSubgraph('ticks', TICKS_SDL, {
      Query: { ping: () => 'pong' },
      Subscription: {
        ticks: {
          subscribe: async function* (_: unknown, { count }: { count: number }) {
            for (let n = 1; n <= count; n += 1) yield { ticks: { n } };
          },
        },
      },
    });
    squares = await startStubSubgraph('squares', SQUARES_SDL, {
      Tick: { __resolveReference: (tick: { n: number }) => ({ n: tick.n, square: tick.n * tick.n }) },
    });
    router = await startTestRouter([ticks, squares], issuer, { limits: { maxAliases: 1 } });
    client = createClient({ url: router.router.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
  });

  after(async () => {
    await client?.dispose();
    await router?.stop();
    await ticks?.stop();
    await squares?.stop();
    await issuer?.stop();
  });

  test('graphql.subscribe: a server span with the operation, planning inside, its traceparent sent to the subgraph', async () => {
    ticks.subscribed.length = 0;
    const outcome = await run(client, 'subscription Ticks { ticks(count: 2) { n square } }');
    assert.deepEqual(outcome.events, [{ data: { ticks: { n: 1, square: 1 } } }, { data: { ticks: { n: 2, square: 4 } } }]);

    const [subscribe, ...more] = byOperation('graphql.subscribe', 'Ticks');
    assert.ok(subscribe, JSON.stringify(exporter.getFinishedSpans().map((span) => span.name)));
    assert.equal(more.length, 0);
    assert.equal(subscribe.kind, SpanKind.SERVER);
    assert.equal(subscribe.attributes['graphql.operation.type'], 'subscription');
    assert.equal(subscribe.status.code, 0, 'not an error');
    assert.equal(subscribe.resource.attributes['service.name'], 'router');
    const { traceId, spanId } = subscribe.spanContext();
    assert.ok(
      spans('graphql.plan').some((span) => parentOf(span) === spanId),
      'the plan is a child of the subscribe span',
    );

    // The subgraph's subscription carries the trace: its parent is the subscribe span.
    const traceparent = ticks.subscribed.at(-1)?.extensions?.traceparent;
    assert.equal(typeof traceparent, 'string');
    assert.deepEqual((traceparent as string).split('-').slice(1, 3), [traceId, spanId]);

    // Each event's entity fetch runs outside the subscriber's span (its socket outlives the subscription).
    const fetches = spans('fetch squares');
    assert.equal(fetches.length, 2);
    assert.ok(fetches.every((span) => span.spanContext().traceId !== traceId));
  });

  test('a refused subscription: the span ends with an error status, nothing is subscribed upstream', async () => {
    ticks.subscribed.length = 0;
    const outcome = await run(client, 'subscription Aliased { ticks(count: 1) { a: n b: n } }');
    assert.equal(outcome.error?.[0]?.extensions?.code, 'MAX_ALIASES_LIMIT');
    const [span] = byOperation('graphql.subscribe', 'Aliased');
    assert.ok(span);
    assert.equal(span.status.code, 2); // SpanStatusCode.ERROR
    assert.equal(ticks.subscribed.length, 0);
  });

  test("graphql-sse: the subscription continues the client's traceparent", async () => {
    const traceId = 'ab'.repeat(16);
    const response = await fetch(`${router.router.url.replace(/\/graphql$/, '')}/graphql/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', traceparent: `00-${traceId}-${'cd'.repeat(8)}-01` },
      body: JSON.stringify({ query: 'subscription OverSse { ticks(count: 1) { n } }' }),
    });
    assert.equal(response.status, 200);
    const text = await response.text(); // the stream completes after the one tick
    assert.match(text, /event: next/);
    const [span] = byOperation('graphql.subscribe', 'OverSse');
    assert.ok(span, JSON.stringify(exporter.getFinishedSpans().map((finished) => finished.name)));
    assert.equal(span.spanContext().traceId, traceId);
    assert.equal(parentOf(span), 'cd'.repeat(8));
  });

  test('a query over the WebSocket: the span is its request span, the subgraph fetch inside it', async () => {
    const outcome = await run(client, 'query Ping { ping }');
    assert.deepEqual(outcome.events, [{ data: { ping: 'pong' } }]);
    const [request] = spans('graphql Ping');
    assert.ok(request, JSON.stringify(exporter.getFinishedSpans().map((span) => span.name)));
    assert.equal(request.attributes['graphql.operation.type'], 'query');
    const fetch = spans('fetch ticks').find((span) => span.spanContext().traceId === request.spanContext().traceId);
    assert.ok(fetch, 'the subgraph fetch is in the request trace');
    assert.equal(spans('graphql.subscribe').filter((span) => span.attributes['graphql.operation.name'] === 'Ping').length, 0);
  });
});
