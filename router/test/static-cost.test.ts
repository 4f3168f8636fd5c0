import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSchema, parse } from 'graphql';
import { estimateCost } from '../src/policies/demand-control/static-cost.js';

const schema = buildSchema(`
  directive @cost(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR
  directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
  type Query {
    products(first: Int = 20, after: String): ProductConnection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
    product(id: ID!): Product
    featured: [Product!]! @listSize(assumedSize: 5)
    everything: [Product!]!
    search(q: String! @cost(weight: 20)): [Product!]! @listSize(assumedSize: 3)
  }
  type Mutation { addReview(rating: Int!): Review }
  type ProductConnection { edges: [ProductEdge!]! pageInfo: PageInfo! }
  type ProductEdge { cursor: String! node: Product! }
  type PageInfo { hasNextPage: Boolean! }
  type Product {
    id: ID! name: String! price: Money! expensive: String! @cost(weight: 7)
    reviews(first: Int = 10): [Review!]! @listSize(slicingArguments: ["first"])
  }
  type Money { amount: String! }
  type Review { rating: Int! author: User! }
  type User @cost(weight: 3) { name: String! }
`);

const cost = (query: string, variables?: Record<string, unknown>) =>
  estimateCost(schema, parse(query), { defaultListSize: 10 }, undefined, variables);

describe('static cost (IBM cost directives, Apollo Router rules)', () => {
  it('counts objects as 1 and scalars as 0', () => {
    assert.equal(cost('{ product(id: "1") { name id } }'), 1);
    assert.equal(cost('{ product(id: "1") { name price { amount } } }'), 2);
  });

  it('sizes connections by the slicing argument, through sizedFields, from literals, variables and defaults', () => {
    const page = 'query($n: Int) { products(first: $n) { edges { node { name price { amount } } } pageInfo { hasNextPage } } }';
    // connection 1 + n edges x (edge 1 + product 1 + money 1) + pageInfo 1
    assert.equal(cost('{ products(first: 5) { edges { node { name price { amount } } } pageInfo { hasNextPage } } }'), 17);
    assert.equal(cost(page, { n: 50 }), 152);
    assert.equal(cost('{ products { edges { node { id } } } }'), 1 + 20 * 2);
    assert.equal(cost('query($n: Int = 7) { products(first: $n) { edges { cursor } } }'), 1 + 7);
  });

  it('uses assumedSize, else the configured default list size', () => {
    assert.equal(cost('{ featured { id } }'), 5);
    assert.equal(cost('{ everything { id } }'), 10);
  });

  it('adds @cost weights of fields, types and arguments', () => {
    // 3 x (product 1 + expensive 7) + argument 20
    assert.equal(cost('{ search(q: "x") { expensive } }'), 44);
    // product 1 + 2 reviews x (review 1 + user weighted 3)
    assert.equal(cost('{ product(id: "1") { reviews(first: 2) { author { name } } } }'), 9);
  });

  it('charges 10 for a mutation, follows fragments and honours @skip/@include', () => {
    assert.equal(cost('mutation { addReview(rating: 5) { rating } }'), 11);
    assert.equal(cost('{ product(id: "1") { ...F } } fragment F on Product { price { amount } }'), 2);
    assert.equal(cost('{ product(id: "1") { ... on Product { price { amount } } } }'), 2);
    assert.equal(cost('query($s: Boolean!) { product(id: "1") { price @skip(if: $s) { amount } } }', { s: true }), 1);
    assert.equal(cost('{ product(id: "1") { price @include(if: false) { amount } } }'), 1);
  });
});

describe('static cost of the committed supergraph', () => {
  it('prices the 50-product page by its slicing arguments', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { REPO_ROOT } = await import('@commerce/kit');
    const supergraph = buildSchema(readFileSync(join(REPO_ROOT, 'schema', 'supergraph.graphql'), 'utf8'), { assumeValidSDL: true });
    const query = parse(`{ products(first: 50) { edges { node {
      id name price { amount } stock { available } inStock rating { average count }
      reviews(first: 3) { edges { node { rating body author { id name } } } } } } } }`);
    // connection 1 + 50 x (edge, product, price, stock, rating, review connection: 6 + 3 x (edge, review, user: 3))
    assert.equal(estimateCost(supergraph, query, { defaultListSize: 10 }), 1 + 50 * (6 + 3 * 3));
  });
});
