import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSchema, graphql } from 'graphql';
import { refuseUnstorableStrings } from '../src/index.js';

const SDL = `
  scalar _Any
  type UserError { code: String! field: [String!] message: String! }
  type Payload { ok: Boolean userErrors: [UserError!]! }
  input Address { lines: [String!]! city: String }
  input Input { name: String! address: Address }
  type Query { search(text: String, first: Int): [String!]! entities(representations: [_Any!]!): [String] }
  type Mutation { save(input: Input!): Payload! }
`;

/** graphql-js answers with null-prototype objects. */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

function setUp() {
  const calls: unknown[] = [];
  const schema = buildSchema(SDL);
  const fields = { ...schema.getQueryType()!.getFields(), ...schema.getMutationType()!.getFields() };
  fields.search!.resolve = (_source, args) => {
    calls.push(args);
    return ['found'];
  };
  fields.entities!.resolve = (_source, args) => {
    calls.push(args);
    return ['entity'];
  };
  fields.save!.resolve = (_source, args) => {
    calls.push(args);
    return { ok: true, userErrors: [] };
  };
  refuseUnstorableStrings(schema);
  return { schema, calls };
}

describe('unstorable text in arguments', () => {
  it('refuses NUL and unpaired surrogates with BAD_USER_INPUT on queries, naming the argument, before the resolver', async () => {
    const { schema, calls } = setUp();
    for (const text of ['a\u0000b', 'a\ud83d', '\ude00b', '\ude00\ud83d']) {
      const result = await graphql({ schema, source: 'query($t: String) { search(text: $t) }', variableValues: { t: text } });
      assert.equal(result.errors?.[0]?.extensions.code, 'BAD_USER_INPUT', JSON.stringify(text));
      assert.deepEqual(plain(result.errors?.[0]?.extensions.field), ['text']);
    }
    const literal = await graphql({ schema, source: '{ search(text: "x\\u0000") }' });
    assert.equal(literal.errors?.[0]?.extensions.code, 'BAD_USER_INPUT');
    assert.deepEqual(calls, []);
  });

  it("answers a mutation with the userError INVALID_INPUT on the input field's path", async () => {
    const { schema, calls } = setUp();
    const result = await graphql({
      schema,
      source: 'mutation($i: Input!) { save(input: $i) { ok userErrors { code field } } }',
      variableValues: { i: { name: 'Ada', address: { lines: ['Main St 1', 'Flat\u00002'] } } },
    });
    assert.equal(result.errors, undefined);
    assert.deepEqual(plain(result.data), {
      save: { ok: null, userErrors: [{ code: 'INVALID_INPUT', field: ['input', 'address', 'lines', '1'] }] },
    });
    assert.deepEqual(calls, []);
  });

  it('lets emoji, right-to-left text and other scalars through', async () => {
    const { schema, calls } = setUp();
    const text = 'Zelt 🏕️ 👍🏽 خيمة עברית';
    const search = await graphql({ schema, source: 'query($t: String) { search(text: $t, first: 1) }', variableValues: { t: text } });
    assert.deepEqual(plain(search.data), { search: ['found'] });
    const saved = await graphql({
      schema,
      source: 'mutation($i: Input!) { save(input: $i) { ok } }',
      variableValues: { i: { name: text } },
    });
    assert.deepEqual(plain(saved.data), { save: { ok: true } });
    // entity keys are the router's (`_Any`), not a client's text: their resolver decides
    const entities = await graphql({
      schema,
      source: 'query($r: [_Any!]!) { entities(representations: $r) }',
      variableValues: { r: [{ id: 'a\u0000' }] },
    });
    assert.deepEqual(plain(entities.data), { entities: ['entity'] });
    assert.equal(calls.length, 3);
  });
});
