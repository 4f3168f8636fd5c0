/** Operations over the edge-case supergraph, shared by the engine's edge-case, differential and benchmark runs. */
export interface EdgeOperation {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
}

export const DEEP_QUERY = `query Deep($first: Int = 5) {
  topProducts(first: $first) {
    upc name price weight inStock shippingEstimate color
    reviews {
      id body stars
      author { id name username reviewCount reviews { id product { upc name price inStock } } }
      product { upc name }
    }
  }
}`;

export const EDGE_OPERATIONS: EdgeOperation[] = [
  { name: 'root field and entity across two subgraphs', query: '{ me { id name username reviews { body } } }' },
  { name: '@requires on two external fields', query: '{ topProducts { upc name shippingEstimate inStock } }' },
  { name: '@requires on a field with an argument', query: '{ topProducts { upc shippingInPounds(zone: 2) } }' },
  { name: 'compound, nested and multiple @key', query: '{ topProducts { upc color variation { id } } }' },
  { name: '@provides answers without an entity fetch', query: '{ reviews { id author { username } } }' },
  { name: '@external field fetched from its owner', query: '{ reviews { id author { name username } } }' },
  { name: '@override moves the field', query: '{ me { reviewCount } users(ids: ["u2", "u3"]) { reviewCount } }' },
  { name: '@shareable value type from any subgraph', query: '{ product(upc: "p3") { variation { id } color } }' },
  {
    name: 'entity interface and @interfaceObject',
    query: '{ media { __typename id title rating ... on Book { pages } ... on Movie { minutes } } }',
  },
  { name: '@interfaceObject root field', query: '{ topRated { __typename id title rating ... on Movie { minutes } } }' },
  {
    name: 'union across subgraphs',
    query:
      '{ search(text: "x") { __typename ... on Product { pname: name price } ... on User { name username } ... on Book { title rating } } }',
  },
  { name: 'list with null entities', query: '{ users(ids: ["u2", "nope", "u1"]) { id name reviews { body } } }' },
  { name: 'entity that no subgraph resolves', query: '{ reviews { id product { upc name } } }' },
  { name: 'subgraph errors inside entity lists', query: '{ reviews { id product { upc name price } } }' },
  { name: 'non-null field nulls its nearest nullable parent', query: '{ reviews { id strictAuthor { name } } }' },
  { name: 'non-null field null inside a nullable field', query: '{ reviews { id author { name } } }' },
  { name: '@inaccessible enum value', query: '{ product(upc: "p3") { upc category } }' },
  {
    name: 'aliases, named fragments and __typename everywhere',
    query: `query Named { root: __typename me { t: __typename ...UserParts } p: product(upc: "p1") { __typename ...on Product { n: name } } }
      fragment UserParts on User { n: name reviews { __typename ... on Review { body product { __typename upc } } } }`,
  },
  {
    name: '@skip and @include with variables',
    query: `query Conditional($withPrice: Boolean!, $noName: Boolean = false) {
      topProducts(first: 2) { upc price @include(if: $withPrice) name @skip(if: $noName) shippingEstimate @include(if: $withPrice) }
    }`,
    variables: { withPrice: false },
  },
  {
    name: '@skip and @include with the other values',
    query: `query Conditional($withPrice: Boolean!, $noName: Boolean = false) {
      topProducts(first: 2) { upc price @include(if: $withPrice) name @skip(if: $noName) shippingEstimate @include(if: $withPrice) }
    }`,
    variables: { withPrice: true, noName: true },
  },
  {
    name: 'variables, only those used reach each subgraph',
    query:
      'query Vars($upc: String!, $first: Int, $zone: Int!) { product(upc: $upc) { name shippingInPounds(zone: $zone) reviews { body } } topProducts(first: $first) { upc } }',
    variables: { upc: 'p2', first: 1, zone: 3 },
  },
  {
    name: 'mutation fields in order, then their entities',
    query:
      'mutation { a: addReview(upc: "p1", body: "x") { id product { name } } b: addReview(upc: "p4", body: "y") { id product { price } } }',
  },
  { name: 'introspection next to data', query: '{ __type(name: "Category") { name enumValues { name } } me { name } }' },
  { name: 'deep query', query: DEEP_QUERY },
];
