import { Field, ObjectType, type ClassType } from 'type-graphql';
import { badUserInput } from '../errors.js';
import { PageInfo } from './common-types.js';

/** Opaque cursors (base64url of a JSON tuple) and Relay connection assembly shared by every subgraph. */
export const MAX_PAGE_SIZE = 100;

export function encodeCursor(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string, arity: number): (string | number)[] {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(values) &&
      values.length === arity &&
      values.every((value) => typeof value === 'string' || typeof value === 'number')
    ) {
      return values as (string | number)[];
    }
  } catch {
    // fall through to the error below
  }
  throw badUserInput('The cursor is not valid', ['after']);
}

export function checkPageSize(first: number): number {
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badUserInput(`first must be between 0 and ${MAX_PAGE_SIZE}`, ['first']);
  }
  return first;
}

export interface Page<Node> {
  edges: { cursor: string; node: Node }[];
  pageInfo: PageInfo;
}

/** Turns `first + 1` fetched rows into a page: the extra row only tells that there is a next page. */
export function pageFromRows<Row, Node>(
  rows: Row[],
  first: number,
  hasPrevious: boolean,
  cursorOf: (row: Row) => string,
  toNode: (row: Row) => Node,
): Page<Node> {
  const visible = rows.slice(0, first);
  const edges = visible.map((row) => ({ cursor: cursorOf(row), node: toNode(row) }));
  return {
    edges,
    pageInfo: Object.assign(new PageInfo(), {
      hasNextPage: rows.length > first,
      hasPreviousPage: hasPrevious,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    }),
  };
}

/** Relay connection and edge classes for a node type: `class ProductConnection extends Connection(Product) {}`. */
export function Connection<Node extends object>(NodeClass: ClassType<Node>) {
  @ObjectType(`${NodeClass.name}Edge`)
  class Edge {
    @Field()
    cursor!: string;

    @Field(() => NodeClass)
    node!: Node;
  }

  @ObjectType()
  abstract class ConnectionBase {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;
  }
  return ConnectionBase;
}
