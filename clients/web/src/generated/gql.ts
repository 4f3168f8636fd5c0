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
    "mutation AddReview($input: AddReviewInput!) {\n  addReview(input: $input) {\n    review {\n      id\n      rating\n      body\n      createdAt\n      author {\n        id\n        name\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.AddReviewDocument,
    "mutation AddToCart($input: AddToCartInput!) {\n  addToCart(input: $input) {\n    cart {\n      itemCount\n      subtotal {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.AddToCartDocument,
    "mutation AdjustStock($input: AdjustStockInput!) {\n  adjustStock(input: $input) {\n    stock {\n      onHand\n      reserved\n      available\n      warehouse {\n        id\n        code\n      }\n    }\n    product {\n      id\n      inStock\n      stock {\n        available\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.AdjustStockDocument,
    "mutation CancelOrder($orderId: ID!) {\n  cancelOrder(orderId: $orderId) {\n    order {\n      id\n      status\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.CancelOrderDocument,
    "query Categories {\n  categories {\n    id\n    name\n    slug\n  }\n}": typeof types.CategoriesDocument,
    "mutation ChangeProductPrice($input: ChangeProductPriceInput!) {\n  changeProductPrice(input: $input) {\n    product {\n      id\n      price {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.ChangeProductPriceDocument,
    "mutation Checkout($input: CheckoutInput!) {\n  checkout(input: $input) {\n    order {\n      id\n      status\n      total {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.CheckoutDocument,
    "mutation LogIn($input: LogInInput!) {\n  logIn(input: $input) {\n    accessToken\n    expiresIn\n    refreshToken\n    user {\n      id\n      name\n      role\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.LogInDocument,
    "query Me {\n  me {\n    id\n    name\n    email\n    role\n    vendor {\n      id\n      name\n    }\n  }\n}": typeof types.MeDocument,
    "query MyOrders($first: Int, $after: String) {\n  me {\n    id\n    orders(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          status\n          failureReason\n          createdAt\n          total {\n            amount\n            currencyCode\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": typeof types.MyOrdersDocument,
    "subscription OrderUpdated($orderId: ID!) {\n  orderUpdated(orderId: $orderId) {\n    id\n    status\n    failureReason\n    total {\n      amount\n      currencyCode\n    }\n    lines {\n      quantity\n      product {\n        id\n        name\n      }\n    }\n  }\n}": typeof types.OrderUpdatedDocument,
    "fragment ProductCard on Product {\n  id\n  name\n  price {\n    amount\n    currencyCode\n  }\n  inStock\n  stock {\n    available\n  }\n  rating {\n    average\n    count\n  }\n  category {\n    id\n    name\n    slug\n  }\n}": typeof types.ProductCardFragmentDoc,
    "query ProductDetail($id: ID!, $reviewsFirst: Int = 5, $reviewsAfter: String) {\n  product(id: $id) {\n    ...ProductCard\n    description\n    createdAt\n    vendor {\n      id\n      name\n      slug\n    }\n    reviews(first: $reviewsFirst, after: $reviewsAfter) {\n      edges {\n        cursor\n        node {\n          id\n          rating\n          body\n          createdAt\n          author {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": typeof types.ProductDetailDocument,
    "query ProductList($first: Int = 20, $after: String, $search: String, $filter: ProductFilter) {\n  products(first: $first, after: $after, search: $search, filter: $filter) {\n    edges {\n      cursor\n      node {\n        ...ProductCard\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.ProductListDocument,
    "mutation RefreshSession($refreshToken: String!) {\n  refreshSession(refreshToken: $refreshToken) {\n    accessToken\n    expiresIn\n    refreshToken\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.RefreshSessionDocument,
    "mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    accessToken\n    expiresIn\n    refreshToken\n    user {\n      id\n      name\n      role\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": typeof types.SignUpDocument,
    "query VendorStock($productId: ID!) {\n  product(id: $productId) {\n    id\n    name\n    inStock\n    stock {\n      available\n      reserved\n      onHand\n      warehouses {\n        onHand\n        reserved\n        available\n        warehouse {\n          id\n          code\n          name\n          city\n        }\n      }\n    }\n  }\n  warehouses {\n    id\n    code\n    name\n    city\n  }\n}": typeof types.VendorStockDocument,
};
const documents: Documents = {
    "mutation AddReview($input: AddReviewInput!) {\n  addReview(input: $input) {\n    review {\n      id\n      rating\n      body\n      createdAt\n      author {\n        id\n        name\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.AddReviewDocument,
    "mutation AddToCart($input: AddToCartInput!) {\n  addToCart(input: $input) {\n    cart {\n      itemCount\n      subtotal {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.AddToCartDocument,
    "mutation AdjustStock($input: AdjustStockInput!) {\n  adjustStock(input: $input) {\n    stock {\n      onHand\n      reserved\n      available\n      warehouse {\n        id\n        code\n      }\n    }\n    product {\n      id\n      inStock\n      stock {\n        available\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.AdjustStockDocument,
    "mutation CancelOrder($orderId: ID!) {\n  cancelOrder(orderId: $orderId) {\n    order {\n      id\n      status\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.CancelOrderDocument,
    "query Categories {\n  categories {\n    id\n    name\n    slug\n  }\n}": types.CategoriesDocument,
    "mutation ChangeProductPrice($input: ChangeProductPriceInput!) {\n  changeProductPrice(input: $input) {\n    product {\n      id\n      price {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.ChangeProductPriceDocument,
    "mutation Checkout($input: CheckoutInput!) {\n  checkout(input: $input) {\n    order {\n      id\n      status\n      total {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.CheckoutDocument,
    "mutation LogIn($input: LogInInput!) {\n  logIn(input: $input) {\n    accessToken\n    expiresIn\n    refreshToken\n    user {\n      id\n      name\n      role\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.LogInDocument,
    "query Me {\n  me {\n    id\n    name\n    email\n    role\n    vendor {\n      id\n      name\n    }\n  }\n}": types.MeDocument,
    "query MyOrders($first: Int, $after: String) {\n  me {\n    id\n    orders(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          status\n          failureReason\n          createdAt\n          total {\n            amount\n            currencyCode\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": types.MyOrdersDocument,
    "subscription OrderUpdated($orderId: ID!) {\n  orderUpdated(orderId: $orderId) {\n    id\n    status\n    failureReason\n    total {\n      amount\n      currencyCode\n    }\n    lines {\n      quantity\n      product {\n        id\n        name\n      }\n    }\n  }\n}": types.OrderUpdatedDocument,
    "fragment ProductCard on Product {\n  id\n  name\n  price {\n    amount\n    currencyCode\n  }\n  inStock\n  stock {\n    available\n  }\n  rating {\n    average\n    count\n  }\n  category {\n    id\n    name\n    slug\n  }\n}": types.ProductCardFragmentDoc,
    "query ProductDetail($id: ID!, $reviewsFirst: Int = 5, $reviewsAfter: String) {\n  product(id: $id) {\n    ...ProductCard\n    description\n    createdAt\n    vendor {\n      id\n      name\n      slug\n    }\n    reviews(first: $reviewsFirst, after: $reviewsAfter) {\n      edges {\n        cursor\n        node {\n          id\n          rating\n          body\n          createdAt\n          author {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": types.ProductDetailDocument,
    "query ProductList($first: Int = 20, $after: String, $search: String, $filter: ProductFilter) {\n  products(first: $first, after: $after, search: $search, filter: $filter) {\n    edges {\n      cursor\n      node {\n        ...ProductCard\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.ProductListDocument,
    "mutation RefreshSession($refreshToken: String!) {\n  refreshSession(refreshToken: $refreshToken) {\n    accessToken\n    expiresIn\n    refreshToken\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.RefreshSessionDocument,
    "mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    accessToken\n    expiresIn\n    refreshToken\n    user {\n      id\n      name\n      role\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}": types.SignUpDocument,
    "query VendorStock($productId: ID!) {\n  product(id: $productId) {\n    id\n    name\n    inStock\n    stock {\n      available\n      reserved\n      onHand\n      warehouses {\n        onHand\n        reserved\n        available\n        warehouse {\n          id\n          code\n          name\n          city\n        }\n      }\n    }\n  }\n  warehouses {\n    id\n    code\n    name\n    city\n  }\n}": types.VendorStockDocument,
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
export function graphql(source: "mutation AddReview($input: AddReviewInput!) {\n  addReview(input: $input) {\n    review {\n      id\n      rating\n      body\n      createdAt\n      author {\n        id\n        name\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): (typeof documents)["mutation AddReview($input: AddReviewInput!) {\n  addReview(input: $input) {\n    review {\n      id\n      rating\n      body\n      createdAt\n      author {\n        id\n        name\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AddToCart($input: AddToCartInput!) {\n  addToCart(input: $input) {\n    cart {\n      itemCount\n      subtotal {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): (typeof documents)["mutation AddToCart($input: AddToCartInput!) {\n  addToCart(input: $input) {\n    cart {\n      itemCount\n      subtotal {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation AdjustStock($input: AdjustStockInput!) {\n  adjustStock(input: $input) {\n    stock {\n      onHand\n      reserved\n      available\n      warehouse {\n        id\n        code\n      }\n    }\n    product {\n      id\n      inStock\n      stock {\n        available\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): (typeof documents)["mutation AdjustStock($input: AdjustStockInput!) {\n  adjustStock(input: $input) {\n    stock {\n      onHand\n      reserved\n      available\n      warehouse {\n        id\n        code\n      }\n    }\n    product {\n      id\n      inStock\n      stock {\n        available\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CancelOrder($orderId: ID!) {\n  cancelOrder(orderId: $orderId) {\n    order {\n      id\n      status\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): (typeof documents)["mutation CancelOrder($orderId: ID!) {\n  cancelOrder(orderId: $orderId) {\n    order {\n      id\n      status\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Categories {\n  categories {\n    id\n    name\n    slug\n  }\n}"): (typeof documents)["query Categories {\n  categories {\n    id\n    name\n    slug\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation ChangeProductPrice($input: ChangeProductPriceInput!) {\n  changeProductPrice(input: $input) {\n    product {\n      id\n      price {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): (typeof documents)["mutation ChangeProductPrice($input: ChangeProductPriceInput!) {\n  changeProductPrice(input: $input) {\n    product {\n      id\n      price {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Checkout($input: CheckoutInput!) {\n  checkout(input: $input) {\n    order {\n      id\n      status\n      total {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): (typeof documents)["mutation Checkout($input: CheckoutInput!) {\n  checkout(input: $input) {\n    order {\n      id\n      status\n      total {\n        amount\n        currencyCode\n      }\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation LogIn($input: LogInInput!) {\n  logIn(input: $input) {\n    accessToken\n    expiresIn\n    refreshToken\n    user {\n      id\n      name\n      role\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): (typeof documents)["mutation LogIn($input: LogInInput!) {\n  logIn(input: $input) {\n    accessToken\n    expiresIn\n    refreshToken\n    user {\n      id\n      name\n      role\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    id\n    name\n    email\n    role\n    vendor {\n      id\n      name\n    }\n  }\n}"): (typeof documents)["query Me {\n  me {\n    id\n    name\n    email\n    role\n    vendor {\n      id\n      name\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query MyOrders($first: Int, $after: String) {\n  me {\n    id\n    orders(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          status\n          failureReason\n          createdAt\n          total {\n            amount\n            currencyCode\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"): (typeof documents)["query MyOrders($first: Int, $after: String) {\n  me {\n    id\n    orders(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          id\n          status\n          failureReason\n          createdAt\n          total {\n            amount\n            currencyCode\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription OrderUpdated($orderId: ID!) {\n  orderUpdated(orderId: $orderId) {\n    id\n    status\n    failureReason\n    total {\n      amount\n      currencyCode\n    }\n    lines {\n      quantity\n      product {\n        id\n        name\n      }\n    }\n  }\n}"): (typeof documents)["subscription OrderUpdated($orderId: ID!) {\n  orderUpdated(orderId: $orderId) {\n    id\n    status\n    failureReason\n    total {\n      amount\n      currencyCode\n    }\n    lines {\n      quantity\n      product {\n        id\n        name\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment ProductCard on Product {\n  id\n  name\n  price {\n    amount\n    currencyCode\n  }\n  inStock\n  stock {\n    available\n  }\n  rating {\n    average\n    count\n  }\n  category {\n    id\n    name\n    slug\n  }\n}"): (typeof documents)["fragment ProductCard on Product {\n  id\n  name\n  price {\n    amount\n    currencyCode\n  }\n  inStock\n  stock {\n    available\n  }\n  rating {\n    average\n    count\n  }\n  category {\n    id\n    name\n    slug\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ProductDetail($id: ID!, $reviewsFirst: Int = 5, $reviewsAfter: String) {\n  product(id: $id) {\n    ...ProductCard\n    description\n    createdAt\n    vendor {\n      id\n      name\n      slug\n    }\n    reviews(first: $reviewsFirst, after: $reviewsAfter) {\n      edges {\n        cursor\n        node {\n          id\n          rating\n          body\n          createdAt\n          author {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"): (typeof documents)["query ProductDetail($id: ID!, $reviewsFirst: Int = 5, $reviewsAfter: String) {\n  product(id: $id) {\n    ...ProductCard\n    description\n    createdAt\n    vendor {\n      id\n      name\n      slug\n    }\n    reviews(first: $reviewsFirst, after: $reviewsAfter) {\n      edges {\n        cursor\n        node {\n          id\n          rating\n          body\n          createdAt\n          author {\n            id\n            name\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ProductList($first: Int = 20, $after: String, $search: String, $filter: ProductFilter) {\n  products(first: $first, after: $after, search: $search, filter: $filter) {\n    edges {\n      cursor\n      node {\n        ...ProductCard\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query ProductList($first: Int = 20, $after: String, $search: String, $filter: ProductFilter) {\n  products(first: $first, after: $after, search: $search, filter: $filter) {\n    edges {\n      cursor\n      node {\n        ...ProductCard\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation RefreshSession($refreshToken: String!) {\n  refreshSession(refreshToken: $refreshToken) {\n    accessToken\n    expiresIn\n    refreshToken\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): (typeof documents)["mutation RefreshSession($refreshToken: String!) {\n  refreshSession(refreshToken: $refreshToken) {\n    accessToken\n    expiresIn\n    refreshToken\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    accessToken\n    expiresIn\n    refreshToken\n    user {\n      id\n      name\n      role\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"): (typeof documents)["mutation SignUp($input: SignUpInput!) {\n  signUp(input: $input) {\n    accessToken\n    expiresIn\n    refreshToken\n    user {\n      id\n      name\n      role\n    }\n    userErrors {\n      code\n      field\n      message\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query VendorStock($productId: ID!) {\n  product(id: $productId) {\n    id\n    name\n    inStock\n    stock {\n      available\n      reserved\n      onHand\n      warehouses {\n        onHand\n        reserved\n        available\n        warehouse {\n          id\n          code\n          name\n          city\n        }\n      }\n    }\n  }\n  warehouses {\n    id\n    code\n    name\n    city\n  }\n}"): (typeof documents)["query VendorStock($productId: ID!) {\n  product(id: $productId) {\n    id\n    name\n    inStock\n    stock {\n      available\n      reserved\n      onHand\n      warehouses {\n        onHand\n        reserved\n        available\n        warehouse {\n          id\n          code\n          name\n          city\n        }\n      }\n    }\n  }\n  warehouses {\n    id\n    code\n    name\n    city\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;