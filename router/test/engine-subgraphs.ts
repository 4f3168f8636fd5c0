/**
 * Small subgraphs for the engine's federation edge-case suite: each exists to exercise one federation feature
 * (see the comments), composed with @apollo/composition, served in process.
 */
import { composeServices } from '@apollo/composition';
import { ApolloGateway, LocalGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { type DocumentNode, type GraphQLSchema, graphql, parse } from 'graphql';
import type { SubgraphFetcher, SubgraphRequest, SubgraphResponse } from '../src/engine/index.js';

const LINK = (imports: string[]) =>
  `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: [${imports.map((name) => `"${name}"`).join(', ')}])`;

type Row = Record<string, unknown>;
// Resolver maps are untyped by nature (graphql-tools' IResolvers): each resolver states its own argument types.
type Definition = { typeDefs: DocumentNode; resolvers: GraphQLResolverMap<unknown> };

const USERS: Row[] = [
  { id: 'u1', name: 'Ada', username: '@ada', email: 'ada@example.com', legacyReviewCount: 10 },
  { id: 'u2', name: 'Grace', username: '@grace', email: 'grace@example.com', legacyReviewCount: 20 },
  { id: 'u3', name: 'Linus', username: '@linus', email: 'linus@example.com', legacyReviewCount: 30 },
];

const PRODUCTS: Row[] = [
  { upc: 'p1', sku: 'S1', variation: { id: 'v1' }, name: 'Table', price: 900, weight: 40, category: 'FURNITURE' },
  { upc: 'p2', sku: 'S2', variation: { id: 'v2' }, name: 'Couch', price: 1200, weight: 80, category: 'FURNITURE' },
  { upc: 'p3', sku: 'S3', variation: { id: 'v1' }, name: 'Chair', price: 50, weight: 6, category: 'SECRET' },
  // Its price fails in the products subgraph (an error inside an entity list).
  { upc: 'p4', sku: 'S4', variation: { id: 'v4' }, name: 'Lamp', price: null, weight: 2, category: 'LIGHTING' },
];

const REVIEWS: Row[] = [
  { id: 'r1', body: 'Solid.', authorId: 'u1', upc: 'p1', stars: 5 },
  { id: 'r2', body: 'Comfy.', authorId: 'u2', upc: 'p2', stars: 4 },
  { id: 'r3', body: 'Wobbly.', authorId: 'u1', upc: 'p3', stars: 2 },
  { id: 'r4', body: 'Gone.', authorId: 'u3', upc: 'p-missing', stars: 1 },
  { id: 'r5', body: 'Again.', authorId: 'u2', upc: 'p1', stars: 3 },
  { id: 'r6', body: 'Bright.', authorId: 'u-missing', upc: 'p4', stars: 4 },
  { id: 'r7', body: 'Dim.', authorId: 'u3', upc: 'p4', stars: 2 },
];

const MEDIA: Row[] = [
  { __typename: 'Book', id: 'm1', title: 'Dune', pages: 600 },
  { __typename: 'Movie', id: 'm2', title: 'Alien', minutes: 117 },
  { __typename: 'Book', id: 'm3', title: 'Emma', pages: 400 },
];

interface Dataset {
  users: Row[];
  products: Row[];
  reviews: Row[];
  media: Row[];
}

/**
 * The rows above, plus `scale` generated products (each with 3 reviews by generated users) for benchmarks:
 * every generated row is valid (no errors, no missing entities).
 */
function dataset(scale: number): Dataset {
  const users = [...USERS];
  const products = [...PRODUCTS];
  const reviews = [...REVIEWS];
  for (let index = 0; index < scale; index++) {
    users.push({
      id: `gu${index}`,
      name: `User ${index}`,
      username: `@user${index}`,
      email: `user${index}@example.com`,
      legacyReviewCount: 0,
    });
    products.push({
      upc: `gp${index}`,
      sku: `GS${index}`,
      variation: { id: `gv${index % 7}` },
      name: `Product ${index}`,
      price: 100 + index,
      weight: 1 + (index % 9),
      category: 'FURNITURE',
    });
  }
  for (let index = 0; index < scale * 3; index++) {
    reviews.push({
      id: `gr${index}`,
      body: `Review number ${index} of a generated product.`,
      authorId: `gu${(index * 7) % scale}`,
      upc: `gp${index % scale}`,
      stars: 1 + (index % 5),
    });
  }
  return { users, products, reviews, media: [...MEDIA] };
}

const byKey = <T extends Row>(rows: T[], key: string, value: unknown): T | undefined => rows.find((row) => row[key] === value);

function accounts(data: Dataset): Definition {
  return {
    typeDefs: parse(`${LINK(['@key', '@shareable', '@inaccessible'])}
      type Query {
        me: User
        user(id: ID!): User
        "Missing ids answer null."
        users(ids: [ID!]!): [User]
      }
      type User @key(fields: "id") {
        id: ID!
        name: String!
        username: String @shareable
        "Hidden from clients; the supergraph can still use it."
        email: String @inaccessible
        reviewCount: Int
      }`),
    resolvers: {
      Query: {
        me: () => data.users[0],
        user: (_: unknown, { id }: { id: string }) => byKey(data.users, 'id', id) ?? null,
        users: (_: unknown, { ids }: { ids: string[] }) => ids.map((id) => byKey(data.users, 'id', id) ?? null),
      },
      User: {
        __resolveReference: (ref: { id: string }) => byKey(data.users, 'id', ref.id) ?? null,
        reviewCount: (user: Row) => user.legacyReviewCount,
      },
    },
  };
}

function products(data: Dataset): Definition {
  return {
    typeDefs: parse(`${LINK(['@key', '@shareable', '@inaccessible'])}
      enum Category { FURNITURE LIGHTING SECRET @inaccessible }
      enum WeightUnit { KILOGRAM POUND }
      type Query {
        topProducts(first: Int = 5): [Product]
        product(upc: String!): Product
      }
      type Variation @shareable { id: ID! }
      type Product @key(fields: "upc") @key(fields: "sku variation { id }") {
        upc: String!
        sku: String!
        variation: Variation!
        name: String
        price: Int
        weight(unit: WeightUnit = KILOGRAM): Float
        category: Category
      }`),
    resolvers: {
      Query: {
        topProducts: (_: unknown, { first }: { first: number }) => data.products.slice(0, first),
        product: (_: unknown, { upc }: { upc: string }) => byKey(data.products, 'upc', upc) ?? null,
      },
      Product: {
        __resolveReference: (ref: { upc?: string; sku?: string; variation?: { id: string } }) =>
          (ref.upc !== undefined
            ? byKey(data.products, 'upc', ref.upc)
            : data.products.find((row) => row.sku === ref.sku && (row.variation as Row).id === ref.variation?.id)) ?? null,
        price: (product: Row) => {
          if (product.price === null) throw new Error(`No price for ${String(product.upc)}`);
          return product.price;
        },
        weight: (product: Row, { unit }: { unit: string }) => (unit === 'POUND' ? Number(product.weight) * 2.2 : product.weight),
      },
    },
  };
}

function inventory(_data: Dataset): Definition {
  return {
    typeDefs: parse(`${LINK(['@key', '@external', '@requires'])}
      enum WeightUnit { KILOGRAM POUND }
      type Product @key(fields: "upc") {
        upc: String!
        price: Int @external
        weight(unit: WeightUnit = KILOGRAM): Float @external
        inStock: Boolean
        "Requires two external fields (one with an argument left to its default)."
        shippingEstimate: Int @requires(fields: "price weight")
        "Requires a field with an explicit argument: the weight in pounds."
        shippingInPounds(zone: Int!): Float @requires(fields: "weight(unit: POUND)")
      }`),
    resolvers: {
      Product: {
        __resolveReference: (ref: Row) => ({ ...ref }),
        inStock: (product: Row) => product.upc !== 'p2',
        shippingEstimate: (product: Row) => {
          if (product.price === undefined || product.weight === undefined) throw new Error('requires not received');
          return product.price === null ? null : Number(product.price) > 1000 ? 0 : Number(product.weight) / 2;
        },
        shippingInPounds: (product: Row, { zone }: { zone: number }) => {
          if (product.weight === undefined) throw new Error('requires not received');
          return Number(product.weight) * zone;
        },
      },
    },
  };
}

function reviews(data: Dataset): Definition {
  return {
    typeDefs: parse(`${LINK(['@key', '@external', '@provides', '@shareable', '@override'])}
      type Query {
        reviews: [Review]
        review(id: ID!): Review
      }
      type Mutation {
        "Answers the review it would add (nothing is stored: tests stay independent)."
        addReview(upc: String!, body: String!): Review
      }
      type Subscription {
        "Events are simulated by the tests (the engine runs a subscription's entity fetches per event)."
        reviewAdded(upc: String): Review
      }
      type Review @key(fields: "id") {
        id: ID!
        body: String!
        stars: Int!
        "Provides the username: no fetch to accounts for it."
        author: User @provides(fields: "username")
        product: Product
        strictProduct: Product!
        "Non-null author: an author accounts cannot resolve nulls the review (User.name is non-null)."
        strictAuthor: User!
      }
      type User @key(fields: "id") {
        id: ID!
        username: String @external
        reviews: [Review]
        "Moved here from accounts."
        reviewCount: Int @override(from: "accounts")
      }
      type Product @key(fields: "upc") {
        upc: String!
        reviews: [Review]
      }`),
    resolvers: {
      Query: {
        reviews: () => data.reviews,
        review: (_: unknown, { id }: { id: string }) => byKey(data.reviews, 'id', id) ?? null,
      },
      Subscription: {
        reviewAdded: {
          subscribe: async function* () {
            // Never yields: the tests hand events to the engine directly.
          },
        },
      },
      Mutation: {
        addReview: (_: unknown, { upc, body }: { upc: string; body: string }) => ({ id: 'r-new', body, stars: 5, authorId: 'u1', upc }),
      },
      Review: {
        __resolveReference: (ref: { id: string }) => byKey(data.reviews, 'id', ref.id) ?? null,
        author: (review: Row) => ({ id: review.authorId, username: byKey(data.users, 'id', review.authorId)?.username ?? null }),
        product: (review: Row) => ({ upc: review.upc }),
        strictProduct: (review: Row) => ({ upc: review.upc }),
        strictAuthor: (review: Row) => ({ id: review.authorId }),
      },
      User: {
        __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
        reviews: (user: Row) => data.reviews.filter((review) => review.authorId === user.id),
        reviewCount: (user: Row) => data.reviews.filter((review) => review.authorId === user.id).length,
      },
      Product: {
        __resolveReference: (ref: { upc: string }) => ({ upc: ref.upc }),
        reviews: (product: Row) => data.reviews.filter((review) => review.upc === product.upc),
      },
    },
  };
}

function media(data: Dataset): Definition {
  return {
    typeDefs: parse(`${LINK(['@key', '@shareable'])}
      type Query {
        media: [Media]
        search(text: String!): [SearchResult]
      }
      "An entity interface: implemented here, extended by ratings through @interfaceObject."
      interface Media @key(fields: "id") {
        id: ID!
        title: String
      }
      type Book implements Media @key(fields: "id") { id: ID! title: String pages: Int }
      type Movie implements Media @key(fields: "id") { id: ID! title: String minutes: Int }
      "A union across subgraphs: its members' fields live elsewhere."
      union SearchResult = Book | Product | User
      type Product @key(fields: "upc", resolvable: false) { upc: String! }
      type User @key(fields: "id", resolvable: false) { id: ID! }`),
    resolvers: {
      Query: {
        media: () => data.media,
        search: () => [byKey(data.media, 'id', 'm3'), { __typename: 'Product', upc: 'p2' }, { __typename: 'User', id: 'u3' }],
      },
      Media: {
        __resolveReference: (ref: { id: string }) => byKey(data.media, 'id', ref.id) ?? null,
        __resolveType: (row: Row) => row.__typename,
      },
      Book: { __resolveReference: (ref: { id: string }) => byKey(data.media, 'id', ref.id) ?? null },
      Movie: { __resolveReference: (ref: { id: string }) => byKey(data.media, 'id', ref.id) ?? null },
      SearchResult: { __resolveType: (row: Row) => row.__typename },
    },
  };
}

function ratings(_data: Dataset): Definition {
  return {
    typeDefs: parse(`${LINK(['@key', '@interfaceObject'])}
      type Query { topRated: [Media] }
      type Media @key(fields: "id") @interfaceObject {
        id: ID!
        rating: Int
      }`),
    resolvers: {
      Query: { topRated: () => [{ id: 'm2' }, { id: 'm1' }] },
      Media: {
        __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
        rating: (row: Row) => ({ m1: 5, m2: 4, m3: 3 })[String(row.id)] ?? null,
      },
    },
  };
}

function catalog(_data: Dataset): Definition {
  return {
    typeDefs: parse(`${LINK(['@key', '@shareable'])}
      type Variation @shareable { id: ID! }
      "Only the compound, nested key: reached from the other subgraphs through products."
      type Product @key(fields: "sku variation { id }") {
        sku: String!
        variation: Variation!
        color: String
      }`),
    resolvers: {
      Product: {
        __resolveReference: (ref: { sku: string; variation: { id: string } }) => ({
          ...ref,
          color: `${ref.sku}/${ref.variation.id}`,
        }),
      },
    },
  };
}

const DEFINITIONS: Record<string, (data: Dataset) => Definition> = { accounts, products, inventory, reviews, media, ratings, catalog };

/** The edge-case subgraphs' schemas and their supergraph; `scale` adds generated rows (benchmarks). */
export function buildEdgeCases(options: { scale?: number } = {}): { schemas: Record<string, GraphQLSchema>; supergraphSdl: string } {
  const data = dataset(options.scale ?? 0);
  const schemas: Record<string, GraphQLSchema> = {};
  const services = Object.entries(DEFINITIONS).map(([name, define]) => {
    const definition = define(data);
    schemas[name] = buildSubgraphSchema(definition);
    return { name, url: `http://${name}.invalid/graphql`, typeDefs: definition.typeDefs };
  });
  const result = composeServices(services);
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join('\n'));
  return { schemas, supergraphSdl: result.supergraphSdl };
}

/** Answers subgraph requests in process (through JSON, as over the wire) and counts them per subgraph. */
export class InProcessFetcher implements SubgraphFetcher {
  readonly requests: { subgraph: string; request: SubgraphRequest }[] = [];
  constructor(private readonly schemas: Record<string, GraphQLSchema>) {}

  async fetch(subgraph: string, request: SubgraphRequest): Promise<SubgraphResponse> {
    const schema = this.schemas[subgraph];
    if (!schema) throw new Error(`unknown subgraph ${subgraph}`);
    this.requests.push({ subgraph, request: JSON.parse(JSON.stringify(request)) });
    const result = await graphql({
      schema,
      source: request.query,
      variableValues: request.variables,
      operationName: request.operationName,
    });
    return JSON.parse(JSON.stringify(result));
  }
}

/** @apollo/gateway's executor over the same supergraph and subgraphs (in process): the differential test's oracle. */
export async function startGatewayOracle(
  supergraphSdl: string,
  schemas: Record<string, GraphQLSchema>,
): Promise<{ execute(query: string, variables?: Record<string, unknown>): Promise<unknown>; stop(): Promise<void> }> {
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name }) => {
      const schema = schemas[name];
      if (!schema) throw new Error(`unknown subgraph ${name}`);
      return new LocalGraphQLDataSource(schema);
    },
  });
  const server = new ApolloServer({ gateway, includeStacktraceInErrorResponses: false });
  await server.start();
  return {
    async execute(query, variables) {
      const response = await server.executeOperation({ query, variables });
      if (response.body.kind !== 'single') throw new Error('incremental answer');
      return JSON.parse(JSON.stringify(response.body.singleResult));
    },
    stop: () => server.stop(),
  };
}

/**
 * @context / @fromContext (federation 2.8): a product's price is in its store's currency, and the same product is
 * sold by two stores. A supergraph of its own, since @apollo/gateway's executor ignores `contextRewrites`.
 */
export function buildContextCase(): { schemas: Record<string, GraphQLSchema>; supergraphSdl: string } {
  const link = (imports: string[]) =>
    `extend schema @link(url: "https://specs.apollo.dev/federation/v2.8", import: [${imports.map((name) => `"${name}"`).join(', ')}])`;
  const stores = [
    { id: 's1', currency: 'EUR', products: [{ upc: 'p1' }, { upc: 'p2' }] },
    { id: 's2', currency: 'USD', products: [{ upc: 'p1' }] },
  ];
  const definitions: Record<string, Definition> = {
    stores: {
      typeDefs: parse(`${link(['@key', '@shareable'])}
        type Query { stores: [Store] }
        type Store @key(fields: "id") { id: ID! currency: String! @shareable products: [Product] @shareable }
        type Product @key(fields: "upc") { upc: String! }`),
      resolvers: { Query: { stores: () => stores } },
    },
    prices: {
      typeDefs: parse(`${link(['@key', '@context', '@fromContext', '@shareable'])}
        type Store @key(fields: "id") @context(name: "store") { id: ID! currency: String! @shareable products: [Product] @shareable }
        type Product @key(fields: "upc") {
          upc: String!
          price(currency: String @fromContext(field: "$store { currency }")): String
        }`),
      resolvers: {
        Store: { __resolveReference: (ref: { id: string }) => stores.find((store) => store.id === ref.id) ?? null },
        Product: {
          __resolveReference: (ref: { upc: string }) => ({ upc: ref.upc }),
          price: (product: Row, { currency }: { currency: string | null }) =>
            `${product.upc === 'p1' ? 10 : 20} ${currency ?? 'NO CURRENCY'}`,
        },
      },
    },
  };
  const schemas: Record<string, GraphQLSchema> = {};
  const services = Object.entries(definitions).map(([name, definition]) => {
    schemas[name] = buildSubgraphSchema(definition);
    return { name, url: `http://${name}.invalid/graphql`, typeDefs: definition.typeDefs };
  });
  const result = composeServices(services);
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join('\n'));
  return { schemas, supergraphSdl: result.supergraphSdl };
}
