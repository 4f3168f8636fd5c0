import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SubgraphFetcher } from '../src/engine/index.js';
import { graphqlFetcher } from '../src/fetch/graphql.js';
import type { SubgraphRequest, SubgraphResponse, SubgraphTransport } from '../src/fetch/layer.js';
import { fetchError } from './fetch-support.js';

// The fetch layer as an executor's GraphQL transport: (subgraph, { query, variables }) -> parsed answer.
function recording(answer: SubgraphResponse): { transport: SubgraphTransport; sent: [string, SubgraphRequest][] } {
  const sent: [string, SubgraphRequest][] = [];
  return {
    sent,
    transport: {
      fetch: async (subgraph, request) => {
        sent.push([subgraph, request]);
        return answer;
      },
    },
  };
}

test('a query goes out as a shareable query with the scope of its client request; the answer comes back parsed', async () => {
  const { transport, sent } = recording({ status: 200, contentType: 'application/json; charset=utf-8', body: '{"data":{"ok":true}}' });
  // The engine's transport (router/src/engine): one such fetcher per client request.
  const fetcher: SubgraphFetcher = graphqlFetcher(transport, { headers: { 'x-principal': 'signed' }, shareKey: 'u1', deadline: 1234 });
  assert.deepEqual(await fetcher.fetch('catalog', { query: '{ ok }', variables: { a: 1 } }), { data: { ok: true } });
  assert.deepEqual(sent, [
    [
      'catalog',
      {
        body: '{"query":"{ ok }","variables":{"a":1}}',
        headers: { 'x-principal': 'signed' },
        operation: 'query',
        shareKey: 'u1',
        deadline: 1234,
      },
    ],
  ]);
});

test('a mutation is marked as one (never retried, never shared)', async () => {
  const { transport, sent } = recording({ status: 200, contentType: 'application/json', body: '{"data":{"pay":"ok"}}' });
  await graphqlFetcher(transport, { shareKey: 'u1' }).fetch('payments', { query: '  mutation Pay__payments__0 { pay }' });
  assert.equal(sent[0]?.[1].operation, 'mutation');
});

test('an answer that is not GraphQL JSON: SUBREQUEST_MALFORMED_RESPONSE', async () => {
  for (const answer of [
    { status: 200, contentType: 'text/html', body: '<html>proxy error</html>' },
    { status: 200, contentType: 'application/json', body: '{"data": ' },
    { status: 200, contentType: 'application/json', body: '[1, 2]' },
    { status: 200, contentType: 'application/json', body: '{"hello": "world"}' },
  ]) {
    const error = await fetchError(
      graphqlFetcher(recording(answer).transport, { shareKey: 'anonymous' }).fetch('catalog', { query: '{ ok }' }),
    );
    assert.deepEqual(error.failure, {
      code: 'SUBREQUEST_MALFORMED_RESPONSE',
      reason: 'the answer is not a GraphQL JSON response',
      mayHaveReached: true,
    });
    // What an executor copies onto the fields the fetch would have filled.
    assert.equal(error.message, "HTTP fetch failed from 'catalog': the answer is not a GraphQL JSON response");
    assert.deepEqual(error.extensions, {
      code: 'SUBREQUEST_MALFORMED_RESPONSE',
      service: 'catalog',
      reason: 'the answer is not a GraphQL JSON response',
    });
  }
});
