import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
} from 'graphql';
import { createLogger, demoData, DEMO_PASSWORD } from '@commerce/kit';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { SUPERGRAPH_PATH } from '../src/embedded.js';
import { startTestPlatform, testMode, type GraphQLResponse, type TestPlatform } from '../src/testing.js';

/**
 * Every String and ID input of every operation of the composed schema (field arguments and input fields, at the
 * root and on nested fields), sent through the router with hostile and unusual text. Nothing may fail with
 * INTERNAL_SERVER_ERROR or log an error; unstorable text is refused with BAD_USER_INPUT or a userError and writes
 * nothing; valid text (emoji, right-to-left) is stored as sent.
 */
const schema = buildSchema(readFileSync(SUPERGRAPH_PATH, 'utf8'), { assumeValidSDL: true });
const data = demoData();

/** Just under the router's 1 MB body limit once the query and JSON around it are added, and just over it. */
const UNDER_LIMIT = 1024 * 1024 - 4096;
const OVER_LIMIT = 1024 * 1024 + 1;
const UNSTORABLE = {
  nul: 'a\u0000b',
  'lone high surrogate': 'a\ud83db',
  'lone low surrogate': 'a\ude00b',
  'reversed pair': '\ude00\ud83d',
};
const VALID = { emoji: 'Zelt 🏕️ 👍🏽 ✅', 'right-to-left': 'خيمة للتخييم עברית', 'just under 1 MB': 'a'.repeat(UNDER_LIMIT) };

type Operation = 'query' | 'mutation' | 'subscription';

interface Step {
  field: GraphQLField<unknown, unknown>;
  /** Arguments of this step as GraphQL source (filled), the fuzzed one excepted. */
  args: string;
}

interface Case {
  name: string;
  operation: Operation;
  document: string;
  /** Where the refusal points: argument name, then input fields. */
  path: string[];
  leafType: 'String' | 'ID';
}

/** A valid-looking literal for a required input of `type` (the fuzz only needs the request to be well-formed). */
function filler(type: GraphQLInputType, name: string): string {
  if (isNonNullType(type)) return filler(type.ofType, name);
  if (isListType(type)) return `[${filler(type.ofType, name)}]`;
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter((field) => isNonNullType(field.type) && field.defaultValue === undefined);
    return `{ ${fields.map((field) => `${field.name}: ${filler(field.type, field.name)}`).join(', ')} }`;
  }
  if (isEnumType(type)) return type.getValues()[0]!.name;
  switch (type.name) {
    case 'ID':
      return JSON.stringify(/product/i.test(name) || name === 'id' ? data.products[0]!.id : randomUUID());
    case 'Int':
      return '1';
    case 'Float':
      return '1.5';
    case 'Boolean':
      return 'false';
    default:
      return JSON.stringify('x');
  }
}

const requiredArgs = (args: readonly GraphQLArgument[]) =>
  args
    .filter((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined)
    .map((arg) => `${arg.name}: ${filler(arg.type, arg.name)}`);

/** Every String/ID position inside an argument: its path, the literal with `$v` there, and the leaf type. */
function stringPositions(
  type: GraphQLInputType,
  path: string[],
  seen: Set<string>,
): { path: string[]; literal: string; leaf: 'String' | 'ID' }[] {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner))
    return stringPositions(inner.ofType, [...path, '0'], seen).map((found) => ({ ...found, literal: `[${found.literal}]` }));
  if (isInputObjectType(inner)) {
    if (seen.has(inner.name)) return [];
    const fields = Object.values(inner.getFields());
    return fields.flatMap((field) =>
      stringPositions(field.type, [...path, field.name], new Set([...seen, inner.name])).map((found) => {
        const others = fields
          .filter((other) => other !== field && isNonNullType(other.type) && other.defaultValue === undefined)
          .map((other) => `${other.name}: ${filler(other.type, other.name)}`);
        return { ...found, literal: `{ ${[...others, `${field.name}: ${found.literal}`].join(', ')} }` };
      }),
    );
  }
  const named = getNamedType(inner);
  return named.name === 'String' || named.name === 'ID' ? [{ path, literal: '$v', leaf: named.name }] : [];
}

function selection(type: GraphQLOutputType): string {
  const named: GraphQLNamedType = getNamedType(type);
  if (!('getFields' in named) && !('getTypes' in named)) return '';
  const userErrors = isObjectType(named) && named.getFields().userErrors ? ' userErrors { code field message }' : '';
  return ` { __typename${userErrors} }`;
}

function render(
  operation: Operation,
  steps: Step[],
  last: { field: GraphQLField<unknown, unknown>; args: string[] },
  leaf: string,
): string {
  const lastCall = `${last.field.name}(${last.args.join(', ')})${selection(last.field.type)}`;
  const body = steps.reduceRight((inner, step) => `${step.field.name}${step.args ? `(${step.args})` : ''} { ${inner} }`, lastCall);
  return `${operation} Fuzz($v: ${leaf}!) { ${body} }`;
}

/** Root fields of Query and Mutation, and every nested field with arguments reachable from Query (shortest path). */
function cases(): Case[] {
  const all: Case[] = [];
  const add = (operation: Operation, steps: Step[], field: GraphQLField<unknown, unknown>) => {
    for (const arg of field.args) {
      for (const position of stringPositions(arg.type, [arg.name], new Set())) {
        const others = field.args.filter((other) => other !== arg && isNonNullType(other.type) && other.defaultValue === undefined);
        const args = [...others.map((other) => `${other.name}: ${filler(other.type, other.name)}`), `${arg.name}: ${position.literal}`];
        all.push({
          name: `${[...steps.map((step) => step.field.name), field.name].join('.')}(${position.path.join('.')})`,
          operation,
          document: render(operation, steps, { field, args }, position.leaf),
          path: position.path,
          leafType: position.leaf,
        });
      }
    }
  };
  for (const field of Object.values(schema.getMutationType()!.getFields())) add('mutation', [], field);
  for (const field of Object.values(schema.getSubscriptionType()!.getFields())) add('subscription', [], field);
  const visited = new Set<string>();
  let frontier: { type: GraphQLNamedType; steps: Step[] }[] = [{ type: schema.getQueryType()!, steps: [] }];
  for (let depth = 0; depth < 5 && frontier.length; depth += 1) {
    const next: typeof frontier = [];
    for (const { type, steps } of frontier) {
      if (!isObjectType(type)) continue;
      for (const field of Object.values(type.getFields())) {
        const key = `${type.name}.${field.name}`;
        if (visited.has(key)) continue;
        visited.add(key);
        add('query', steps, field);
        const child = getNamedType(field.type);
        if (isObjectType(child)) next.push({ type: child, steps: [...steps, { field, args: requiredArgs(field.args).join(', ') }] });
      }
    }
    frontier = next;
  }
  return all;
}

type Body = GraphQLResponse<Record<string, unknown>>['body'];

/** The userErrors anywhere in the answer. */
function userErrorsIn(value: unknown): { code: string; field: string[] | null }[] {
  if (Array.isArray(value)) return value.flatMap(userErrorsIn);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) =>
    key === 'userErrors' && Array.isArray(item) ? (item as { code: string; field: string[] | null }[]) : userErrorsIn(item),
  );
}

describe(`string inputs of every operation (${testMode()})`, () => {
  let platform: TestPlatform;
  let admin: string;
  const logged: { level: string; service: string; msg: string }[] = [];
  const all = cases();
  const generated = all.filter((entry) => entry.operation !== 'subscription');
  const subscriptions = all.filter((entry) => entry.operation === 'subscription');

  before(async () => {
    platform = await startTestPlatform({
      logger: (service) =>
        createLogger(service, 'error', { write: (line: string) => void logged.push(JSON.parse(line) as (typeof logged)[number]) }),
    });
    admin = await platform.login('admin@demo.shop');
  });
  after(() => platform?.close());

  /** Rows per table of every subgraph's database (the event tables, which background consumers write, left out). */
  const rowCounts = async () => {
    const counts: Record<string, number> = {};
    for (const [subgraph, database] of Object.entries(platform.databases)) {
      const tables = await database.query<{ name: string }>(
        "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'",
      );
      for (const { name } of tables) {
        if (/^(inbox|outbox)_events$|^_prisma/.test(name)) continue;
        counts[`${subgraph}.${name}`] = (await database.query<{ n: number }>(`select count(*)::int as n from "${name}"`))[0]!.n;
      }
    }
    return counts;
  };

  it('finds the string inputs of the schema', (t) => {
    const names = generated.map((entry) => entry.name);
    for (const expected of [
      'products(search)',
      'products(filter.categorySlug)',
      'signUp(input.name)',
      'signUp(input.email)',
      'logIn(input.email)',
      'addReview(input.body)',
      'order(id)',
    ]) {
      assert.ok(names.includes(expected), `${expected} in ${names.join(' ')}`);
    }
    assert.ok(
      names.some((name) => /^me\.orders\(after\)$/.test(name)),
      'nested field arguments too',
    );
    assert.ok(generated.length > 40, `${generated.length} cases`);
    t.diagnostic(`${generated.length} string inputs over HTTP, ${subscriptions.length} in subscriptions`);
  });

  it('refuses NUL characters and unpaired surrogates with BAD_USER_INPUT or a userError, writing nothing', async () => {
    const before = await rowCounts();
    const failures: string[] = [];
    for (const entry of generated) {
      for (const [label, value] of Object.entries(UNSTORABLE)) {
        const { body } = await platform.graphql(entry.document, { v: value }, { token: admin });
        const errors = body.errors ?? [];
        const refusal = errors.find((error) => error.extensions?.code === 'BAD_USER_INPUT');
        const userError = userErrorsIn(body.data).find((candidate) => candidate.code === 'INVALID_INPUT');
        if (errors.some((error) => error.extensions?.code === 'INTERNAL_SERVER_ERROR'))
          failures.push(`${entry.name} ${label}: INTERNAL_SERVER_ERROR`);
        else if (refusal) {
          if (JSON.stringify(refusal.extensions?.field) !== JSON.stringify(entry.path)) {
            failures.push(`${entry.name} ${label}: field ${JSON.stringify(refusal.extensions?.field)}`);
          }
        } else if (userError) {
          if (JSON.stringify(userError.field) !== JSON.stringify(entry.path))
            failures.push(`${entry.name} ${label}: userError field ${JSON.stringify(userError.field)}`);
        } else failures.push(`${entry.name} ${label}: not refused: ${JSON.stringify(body).slice(0, 300)}`);
      }
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(await rowCounts(), before, 'nothing written');
    assert.deepEqual(logged, [], 'no error logged');
  });

  it('refuses them in subscription arguments too (over WebSocket)', async () => {
    assert.deepEqual(subscriptions.map((entry) => entry.name).sort(), ['orderUpdated(orderId)', 'stockChanged(productId)']);
    const failures: string[] = [];
    for (const entry of subscriptions) {
      for (const [label, value] of Object.entries(UNSTORABLE)) {
        const client = createClient({
          url: platform.routerUrl.replace(/^http/, 'ws'),
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${admin}` },
          retryAttempts: 0,
        });
        const first = await new Promise<Body>((resolve) => {
          client.subscribe(
            { query: entry.document, variables: { v: value } },
            {
              next: (event) => resolve(event as Body),
              error: (error) => resolve({ errors: Array.isArray(error) ? (error as Body['errors']) : [{ message: String(error) }] }),
              complete: () => resolve({}),
            },
          );
        });
        await client.dispose();
        const refusal = first.errors?.find((error) => error.extensions?.code === 'BAD_USER_INPUT');
        if (!refusal || JSON.stringify(refusal.extensions?.field) !== JSON.stringify(entry.path)) {
          failures.push(`${entry.name} ${label}: ${JSON.stringify(first).slice(0, 300)}`);
        }
      }
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(logged, [], 'no error logged');
  });

  it('answers emoji, right-to-left text and strings up to the body limit without an internal error', async () => {
    const failures: string[] = [];
    for (const entry of generated) {
      for (const [label, value] of Object.entries({ ...VALID, 'over 1 MB': 'a'.repeat(OVER_LIMIT) })) {
        const { status, body } = await platform.graphql(entry.document, { v: value }, { token: admin });
        const codes = (body.errors ?? []).map((error) => error.extensions?.code);
        if (label === 'over 1 MB') {
          if (status !== 413 || codes[0] !== 'BAD_REQUEST') failures.push(`${entry.name} ${label}: ${status} ${codes.join()}`);
        } else if (status >= 500 || codes.includes('INTERNAL_SERVER_ERROR')) {
          failures.push(`${entry.name} ${label}: ${status} ${JSON.stringify(body.errors).slice(0, 300)}`);
        }
      }
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(logged, [], 'no error logged');
  });

  it('refuses a NUL in a search, a review, a sign-up and a log-in that are otherwise valid, writing nothing', async () => {
    const customer = await platform.login('customer5@demo.shop');
    const before = await rowCounts();
    const search = await platform.graphql('query($q: String) { products(search: $q) { edges { node { id } } } }', { q: 'tent\u0000' });
    assert.equal(search.body.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.deepEqual(search.body.errors?.[0]?.extensions?.field, ['search']);
    const mutations: [string, Record<string, unknown>, string | undefined, string[]][] = [
      [
        'mutation($input: AddReviewInput!) { addReview(input: $input) { review { id } userErrors { code field } } }',
        { productId: data.products[2]!.id, rating: 4, body: 'Great\u0000 tent' },
        customer,
        ['input', 'body'],
      ],
      [
        'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken userErrors { code field } } }',
        { email: `nul-${randomUUID().slice(0, 8)}@demo.shop`, name: 'Nul\u0000 Name', password: DEMO_PASSWORD },
        undefined,
        ['input', 'name'],
      ],
      [
        'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken userErrors { code field } } }',
        { email: `nul-${randomUUID().slice(0, 8)}\u0000@demo.shop`, name: 'Nul Email', password: DEMO_PASSWORD },
        undefined,
        ['input', 'email'],
      ],
      [
        'mutation($input: LogInInput!) { logIn(input: $input) { accessToken userErrors { code field } } }',
        { email: 'customer5@demo.shop\u0000', password: DEMO_PASSWORD },
        undefined,
        ['input', 'email'],
      ],
    ];
    for (const [query, input, token, field] of mutations) {
      const { body } = await platform.graphql(query, { input }, { token });
      assert.equal(body.errors, undefined, JSON.stringify(body.errors));
      assert.deepEqual(userErrorsIn(body.data), [{ code: 'INVALID_INPUT', field }], query);
    }
    assert.deepEqual(await rowCounts(), before, 'nothing written');
    assert.deepEqual(logged, [], 'no error logged');
  });

  it('stores emoji and right-to-left text as sent', async () => {
    const name = `${VALID.emoji} ${VALID['right-to-left']}`;
    const email = `rtl-${randomUUID().slice(0, 8)}@demo.shop`;
    const signUp = await platform.graphql<{ signUp: { accessToken: string | null; user: { name: string } | null; userErrors: unknown[] } }>(
      'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { name } userErrors { code field } } }',
      { input: { email, name, password: DEMO_PASSWORD } },
    );
    assert.deepEqual(signUp.body.data!.signUp.userErrors, []);
    assert.equal(signUp.body.data!.signUp.user!.name, name);
    const token = signUp.body.data!.signUp.accessToken!;
    const me = await platform.graphql<{ me: { name: string } }>('{ me { name } }', {}, { token });
    assert.equal(me.body.data!.me.name, name);

    const product = data.products[1]!;
    const review = await platform.graphql<{ addReview: { review: { body: string } | null; userErrors: unknown[] } }>(
      'mutation($input: AddReviewInput!) { addReview(input: $input) { review { body } userErrors { code field } } }',
      { input: { productId: product.id, rating: 5, body: name } },
      { token },
    );
    assert.deepEqual(review.body.data!.addReview.userErrors, []);
    assert.equal(review.body.data!.addReview.review!.body, name);

    const search = await platform.graphql<{ products: { edges: unknown[] } }>(
      'query($q: String) { products(search: $q, first: 5) { edges { node { id } } } }',
      { q: VALID['right-to-left'] },
    );
    assert.equal(search.body.errors, undefined, JSON.stringify(search.body.errors));
    assert.deepEqual(logged, [], 'no error logged');
  });
});
