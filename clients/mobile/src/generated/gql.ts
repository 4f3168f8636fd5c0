/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "mutation AddReview($input: AddReviewInput!) {\n  addReview(input: $input) {\n    review {\n      id\n      rating\n      body\n      createdAt\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.AddReviewDocument,
    "mutation AddToCart($input: AddToCartInput!) {\n  addToCart(input: $input) {\n    cart {\n      itemCount\n      subtotal {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.AddToCartDocument,
    "query Categories {\n  categories {\n    id\n    name\n    slug\n  }\n}": typeof types.CategoriesDocument,
    "mutation Checkout($input: CheckoutInput!) {\n  checkout(input: $input) {\n    order {\n      id\n      status\n      total {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.CheckoutDocument,
    "mutation LogIn($input: LogInInput!) {\n  logIn(input: $input) {\n    accessToken\n    expiresIn\n    refreshToken\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.LogInDocument,
    "query Me {\n  me {\n    id\n    name\n    email\n    role\n  }\n}": typeof types.MeDocument,
    "query MyOrders($first: Int, $after: String) {\n  me {\n    id\n    orders(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          status\n          failureReason\n          createdAt\n          total {\n            amount\n            currencyCode\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": typeof types.MyOrdersDocument,
    "query MyReviews($first: Int = 10, $after: String) {\n  me {\n    id\n    reviews(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          rating\n          body\n          createdAt\n          product {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": typeof types.MyReviewsDocument,
    "subscription OrderUpdated($orderId: ID!) {\n  orderUpdated(orderId: $orderId) {\n    id\n    status\n    failureReason\n    total {\n      amount\n      currencyCode\n    }\n    lines {\n      quantity\n      product {\n        id\n        name\n      }\n    }\n  }\n}": typeof types.OrderUpdatedDocument,
    "query ProductFeed($first: Int = 10, $after: String, $categorySlug: String) {\n  products(first: $first, after: $after, filter: {categorySlug: $categorySlug}) {\n    edges {\n      cursor\n      node {\n        ...ProductTile\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.ProductFeedDocument,
    "query ProductScreen($id: ID!) {\n  product(id: $id) {\n    ...ProductTile\n    description\n    stock {\n      available\n    }\n    vendor {\n      id\n      name\n    }\n    reviews(first: 3) {\n      edges {\n        node {\n          id\n          rating\n          body\n          createdAt\n          author {\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": typeof types.ProductScreenDocument,
    "fragment ProductTile on Product {\n  id\n  name\n  price {\n    amount\n    currencyCode\n  }\n  inStock\n  rating {\n    average\n    count\n  }\n}": typeof types.ProductTileFragmentDoc,
    "mutation RefreshSession($refreshToken: String!) {\n  refreshSession(refreshToken: $refreshToken) {\n    accessToken\n    expiresIn\n    refreshToken\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.RefreshSessionDocument,
    "query SearchProducts($search: String!, $first: Int = 10, $after: String) {\n  products(search: $search, first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        ...ProductTile\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.SearchProductsDocument,
};
const documents: Documents = {
    "mutation AddReview($input: AddReviewInput!) {\n  addReview(input: $input) {\n    review {\n      id\n      rating\n      body\n      createdAt\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.AddReviewDocument,
    "mutation AddToCart($input: AddToCartInput!) {\n  addToCart(input: $input) {\n    cart {\n      itemCount\n      subtotal {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.AddToCartDocument,
    "query Categories {\n  categories {\n    id\n    name\n    slug\n  }\n}": types.CategoriesDocument,
    "mutation Checkout($input: CheckoutInput!) {\n  checkout(input: $input) {\n    order {\n      id\n      status\n      total {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.CheckoutDocument,
    "mutation LogIn($input: LogInInput!) {\n  logIn(input: $input) {\n    accessToken\n    expiresIn\n    refreshToken\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.LogInDocument,
    "query Me {\n  me {\n    id\n    name\n    email\n    role\n  }\n}": types.MeDocument,
    "query MyOrders($first: Int, $after: String) {\n  me {\n    id\n    orders(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          status\n          failureReason\n          createdAt\n          total {\n            amount\n            currencyCode\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": types.MyOrdersDocument,
    "query MyReviews($first: Int = 10, $after: String) {\n  me {\n    id\n    reviews(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          rating\n          body\n          createdAt\n          product {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": types.MyReviewsDocument,
    "subscription OrderUpdated($orderId: ID!) {\n  orderUpdated(orderId: $orderId) {\n    id\n    status\n    failureReason\n    total {\n      amount\n      currencyCode\n    }\n    lines {\n      quantity\n      product {\n        id\n        name\n      }\n    }\n  }\n}": types.OrderUpdatedDocument,
    "query ProductFeed($first: Int = 10, $after: String, $categorySlug: String) {\n  products(first: $first, after: $after, filter: {categorySlug: $categorySlug}) {\n    edges {\n      cursor\n      node {\n        ...ProductTile\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.ProductFeedDocument,
    "query ProductScreen($id: ID!) {\n  product(id: $id) {\n    ...ProductTile\n    description\n    stock {\n      available\n    }\n    vendor {\n      id\n      name\n    }\n    reviews(first: 3) {\n      edges {\n        node {\n          id\n          rating\n          body\n          createdAt\n          author {\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": types.ProductScreenDocument,
    "fragment ProductTile on Product {\n  id\n  name\n  price {\n    amount\n    currencyCode\n  }\n  inStock\n  rating {\n    average\n    count\n  }\n}": types.ProductTileFragmentDoc,
    "mutation RefreshSession($refreshToken: String!) {\n  refreshSession(refreshToken: $refreshToken) {\n    accessToken\n    expiresIn\n    refreshToken\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.RefreshSessionDocument,
    "query SearchProducts($search: String!, $first: Int = 10, $after: String) {\n  products(search: $search, first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        ...ProductTile\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.SearchProductsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddReview($input: AddReviewInput!) {\n  addReview(input: $input) {\n    review {\n      id\n      rating\n      body\n      createdAt\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): (typeof documents)["mutation AddReview($input: AddReviewInput!) {\n  addReview(input: $input) {\n    review {\n      id\n      rating\n      body\n      createdAt\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddToCart($input: AddToCartInput!) {\n  addToCart(input: $input) {\n    cart {\n      itemCount\n      subtotal {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): (typeof documents)["mutation AddToCart($input: AddToCartInput!) {\n  addToCart(input: $input) {\n    cart {\n      itemCount\n      subtotal {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Categories {\n  categories {\n    id\n    name\n    slug\n  }\n}"): (typeof documents)["query Categories {\n  categories {\n    id\n    name\n    slug\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Checkout($input: CheckoutInput!) {\n  checkout(input: $input) {\n    order {\n      id\n      status\n      total {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): (typeof documents)["mutation Checkout($input: CheckoutInput!) {\n  checkout(input: $input) {\n    order {\n      id\n      status\n      total {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation LogIn($input: LogInInput!) {\n  logIn(input: $input) {\n    accessToken\n    expiresIn\n    refreshToken\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): (typeof documents)["mutation LogIn($input: LogInInput!) {\n  logIn(input: $input) {\n    accessToken\n    expiresIn\n    refreshToken\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    id\n    name\n    email\n    role\n  }\n}"): (typeof documents)["query Me {\n  me {\n    id\n    name\n    email\n    role\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query MyOrders($first: Int, $after: String) {\n  me {\n    id\n    orders(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          status\n          failureReason\n          createdAt\n          total {\n            amount\n            currencyCode\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"): (typeof documents)["query MyOrders($first: Int, $after: String) {\n  me {\n    id\n    orders(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          status\n          failureReason\n          createdAt\n          total {\n            amount\n            currencyCode\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query MyReviews($first: Int = 10, $after: String) {\n  me {\n    id\n    reviews(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          rating\n          body\n          createdAt\n          product {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"): (typeof documents)["query MyReviews($first: Int = 10, $after: String) {\n  me {\n    id\n    reviews(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          rating\n          body\n          createdAt\n          product {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription OrderUpdated($orderId: ID!) {\n  orderUpdated(orderId: $orderId) {\n    id\n    status\n    failureReason\n    total {\n      amount\n      currencyCode\n    }\n    lines {\n      quantity\n      product {\n        id\n        name\n      }\n    }\n  }\n}"): (typeof documents)["subscription OrderUpdated($orderId: ID!) {\n  orderUpdated(orderId: $orderId) {\n    id\n    status\n    failureReason\n    total {\n      amount\n      currencyCode\n    }\n    lines {\n      quantity\n      product {\n        id\n        name\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ProductFeed($first: Int = 10, $after: String, $categorySlug: String) {\n  products(first: $first, after: $after, filter: {categorySlug: $categorySlug}) {\n    edges {\n      cursor\n      node {\n        ...ProductTile\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query ProductFeed($first: Int = 10, $after: String, $categorySlug: String) {\n  products(first: $first, after: $after, filter: {categorySlug: $categorySlug}) {\n    edges {\n      cursor\n      node {\n        ...ProductTile\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ProductScreen($id: ID!) {\n  product(id: $id) {\n    ...ProductTile\n    description\n    stock {\n      available\n    }\n    vendor {\n      id\n      name\n    }\n    reviews(first: 3) {\n      edges {\n        node {\n          id\n          rating\n          body\n          createdAt\n          author {\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"): (typeof documents)["query ProductScreen($id: ID!) {\n  product(id: $id) {\n    ...ProductTile\n    description\n    stock {\n      available\n    }\n    vendor {\n      id\n      name\n    }\n    reviews(first: 3) {\n      edges {\n        node {\n          id\n          rating\n          body\n          createdAt\n          author {\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment ProductTile on Product {\n  id\n  name\n  price {\n    amount\n    currencyCode\n  }\n  inStock\n  rating {\n    average\n    count\n  }\n}"): (typeof documents)["fragment ProductTile on Product {\n  id\n  name\n  price {\n    amount\n    currencyCode\n  }\n  inStock\n  rating {\n    average\n    count\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RefreshSession($refreshToken: String!) {\n  refreshSession(refreshToken: $refreshToken) {\n    accessToken\n    expiresIn\n    refreshToken\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): (typeof documents)["mutation RefreshSession($refreshToken: String!) {\n  refreshSession(refreshToken: $refreshToken) {\n    accessToken\n    expiresIn\n    refreshToken\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query SearchProducts($search: String!, $first: Int = 10, $after: String) {\n  products(search: $search, first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        ...ProductTile\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query SearchProducts($search: String!, $first: Int = 10, $after: String) {\n  products(search: $search, first: $first, after: $after) {\n    edges {\n      cursor\n      node {\n        ...ProductTile\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;