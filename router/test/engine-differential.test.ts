import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'graphql';
import { type Engine, prepare } from '../src/engine/index.js';
import { generateCorpus } from './engine-corpus.js';
import { EDGE_OPERATIONS } from './engine-operations.js';
import { buildEdgeCases, InProcessFetcher, startGatewayOracle } from './engine-subgraphs.js';

/** JSON with every object's keys sorted: the comparison ignores key order. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
  );
}

interface Answer {
  data?: unknown;
  errors?: { message: string; path?: unknown; extensions?: Record<string, unknown> }[];
  extensions?: { valueCompletion?: Answer['errors'] };
}

/**
 * Both answers in one comparable form. One documented difference: @apollo/gateway reports the errors of its own
 * value completion (a null in a non-null field, an invalid leaf value: code INVALID_GRAPHQL) only when no subgraph
 * error occurred, and then under `extensions.valueCompletion`; the engine always reports them in `errors`, as the
 * GraphQL spec requires (a null in a non-null position always comes with an error). So completion errors are
 * compared only when the gateway reported them, and both lists are compared as sets. Their messages name the field
 * differently (the gateway: `Parent.<response name>`, the engine: `Parent.<field name>`): compared by path and code.
 */
function comparable(answer: Answer, gatewayHadSubgraphErrors: boolean): unknown {
  const errors = [...(answer.errors ?? []), ...(answer.extensions?.valueCompletion ?? [])]
    .filter((error) => !(gatewayHadSubgraphErrors && error.extensions?.code === 'INVALID_GRAPHQL'))
    .map((error) => JSON.stringify(sorted(error.extensions?.code === 'INVALID_GRAPHQL' ? { ...error, message: '' } : error)))
    .sort();
  return { data: sorted(answer.data), errors };
}

describe('engine vs @apollo/gateway on the edge-case subgraphs', () => {
  let engine: Engine;
  let fetcherSchemas: ReturnType<typeof buildEdgeCases>['schemas'];
  let oracle: Awaited<ReturnType<typeof startGatewayOracle>>;

  before(async () => {
    const { schemas, supergraphSdl } = buildEdgeCases();
    fetcherSchemas = schemas;
    engine = prepare(supergraphSdl);
    oracle = await startGatewayOracle(supergraphSdl, schemas);
  });
  after(() => oracle.stop());

  test("documented difference: @requires with an argument next to the client's own selection of the field", async () => {
    // Apollo's planner merges the required weight(unit: POUND) into the client's weight (in kilograms), so the
    // gateway sends inventory 40 as the weight in pounds and answers 40; 40 kg is 88 lb. The engine plans the
    // client's field under an alias of its own (src/engine/requires-arguments.ts) and answers 88.
    const query = '{ product(upc: "p1") { weight shippingInPounds(zone: 1) } }';
    assert.deepEqual(await oracle.execute(query), { data: { product: { weight: 40, shippingInPounds: 40 } } });
    const actual = await engine.execute({ document: parse(query) }, new InProcessFetcher(fetcherSchemas));
    assert.deepEqual(actual, { data: { product: { weight: 40, shippingInPounds: 88 } } });
  });

  test('documented difference: an @interfaceObject subgraph answers after the concrete type is known', async () => {
    // ratings (the @interfaceObject) answers __typename "Media" for entities media already typed Book or Movie.
    // @apollo/gateway lets that overwrite the concrete type, then drops every fragment on Book and Movie (and the
    // fields fetched for them); the engine keeps the concrete type (src/engine/execute.ts, fetchEntities).
    const media = '{ media { id ... on Book { rating pages } ... on Movie { rating __typename } } }';
    assert.deepEqual(await oracle.execute(media), { data: { media: [{ id: 'm1' }, { id: 'm2' }, { id: 'm3' }] } });
    assert.deepEqual(await engine.execute({ document: parse(media) }, new InProcessFetcher(fetcherSchemas)), {
      data: {
        media: [
          { id: 'm1', rating: 5, pages: 600 },
          { id: 'm2', rating: 4, __typename: 'Movie' },
          { id: 'm3', rating: 3, pages: 400 },
        ],
      },
    });
    // The same from the interface object's own root field, in the shape the generated corpus found it.
    const topRated =
      '{ topRated { id id ... on Book { id @skip(if: true) title a5: pages __typename } ... on Movie { a6: id id minutes } } }';
    assert.deepEqual(await oracle.execute(topRated), { data: { topRated: [{ id: 'm2' }, { id: 'm1' }] } });
    assert.deepEqual(await engine.execute({ document: parse(topRated) }, new InProcessFetcher(fetcherSchemas)), {
      data: {
        topRated: [
          { id: 'm2', a6: 'm2', minutes: 117 },
          { id: 'm1', title: 'Dune', a5: 600, __typename: 'Book' },
        ],
      },
    });
  });

  test('identical answers on a generated corpus of operations', async () => {
    const count = Number(process.env.ENGINE_CORPUS_SIZE ?? 300);
    const corpus = generateCorpus(engine.apiSchema, {
      count,
      seed: Number(process.env.ENGINE_CORPUS_SEED ?? 12),
      argumentValues: {
        'Query.user.id': ['"u1"', '"u3"', '"nope"'],
        'Query.users.ids': ['["u1", "nope", "u2"]', '["u3"]', '[]'],
        'Query.product.upc': ['"p1"', '"p3"', '"p4"', '"p-missing"'],
        'Query.review.id': ['"r1"', '"r4"', '"r6"'],
        'Query.topProducts.first': ['2', '4'],
        'Query.search.text': ['"x"'],
        'Product.shippingInPounds.zone': ['1', '3'],
      },
      // The fields behind the documented differences above (the gateway answers them wrongly in many shapes).
      exclude: new Set(['Product.weight', 'Media.rating', 'Book.rating', 'Movie.rating', 'Query.topRated']),
    });
    assert.equal(corpus.length, count);
    const mismatches: string[] = [];
    for (const operation of corpus) {
      const expected = (await oracle.execute(operation.query, operation.variables)) as Answer;
      const actual = (await engine.execute(
        { document: parse(operation.query), variables: operation.variables },
        new InProcessFetcher(fetcherSchemas),
      )) as Answer;
      const gatewayHadSubgraphErrors = (expected.errors ?? []).some((error) => error.extensions?.serviceName !== undefined);
      const want = JSON.stringify(comparable(expected, gatewayHadSubgraphErrors));
      const got = JSON.stringify(comparable(actual, gatewayHadSubgraphErrors));
      if (want !== got) mismatches.push(`${operation.query} ${JSON.stringify(operation.variables)}\n  gateway: ${want}\n  engine:  ${got}`);
    }
    assert.deepEqual(mismatches.slice(0, 3), [], `${mismatches.length} of ${corpus.length} operations differ`);
  });

  for (const operation of EDGE_OPERATIONS) {
    test(`identical answers: ${operation.name}`, async () => {
      const expected = (await oracle.execute(operation.query, operation.variables)) as Answer;
      const actual = (await engine.execute(
        { document: parse(operation.query), variables: operation.variables },
        new InProcessFetcher(fetcherSchemas),
      )) as Answer;
      const gatewayHadSubgraphErrors = (expected.errors ?? []).some((error) => error.extensions?.serviceName !== undefined);
      assert.deepEqual(comparable(actual, gatewayHadSubgraphErrors), comparable(expected, gatewayHadSubgraphErrors));
      assert.ok(actual.data, 'the engine answers data');
    });
  }
});
