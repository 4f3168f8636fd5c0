import { randomUUID } from 'node:crypto';
import { currentTraceContext } from '@commerce/kit';

/** A JSON value: what an event payload may hold (it travels as JSON through the outbox and the transport). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** W3C trace context (https://www.w3.org/TR/trace-context/), carried from the producer to every consumer. */
export interface TraceContext {
  traceparent?: string;
  tracestate?: string;
}

/**
 * One domain event as it travels: written to the outbox, relayed to a stream, handed to consumers. `id` is what
 * consumers deduplicate by (the inbox), `version` orders the events of one aggregate, `schemaVersion` the
 * payload's shape for `type`.
 */
export interface EventEnvelope<P = unknown> {
  id: string;
  /** `<domain>.<event>`, e.g. `inventory.stock-reserved`. */
  type: string;
  aggregateType: string;
  aggregateId: string;
  /** The aggregate's version after this event (1 for the first). */
  version: number;
  /** ISO 8601 timestamp. */
  occurredAt: string;
  /** The vendor the event belongs to; null for events of no tenant (a customer's order spans several). */
  tenantId: string | null;
  traceContext: TraceContext;
  schemaVersion: number;
  payload: P;
}

export interface NewEvent<P> {
  type: string;
  aggregateType: string;
  aggregateId: string;
  version: number;
  payload: P;
  tenantId?: string | null;
  /** Defaults to 1. */
  schemaVersion?: number;
  /** Defaults to the current span's (OpenTelemetry); an invalid `traceparent` is dropped (W3C: start a new trace). */
  traceContext?: TraceContext;
  /** Defaults to now. */
  occurredAt?: Date;
  /** Defaults to a new random UUID; give one only to make an event's id deterministic. */
  id?: string;
}

export class InvalidEnvelopeError extends TypeError {
  override name = 'InvalidEnvelopeError';
}

/**
 * A new event, validated: a malformed one throws InvalidEnvelopeError (a bug in the producer). The payload must be
 * plain JSON data (objects, arrays, strings, finite numbers, booleans, null; undefined properties are dropped).
 */
export function newEvent<P>(event: NewEvent<P>): EventEnvelope<P> {
  const envelope = {
    id: event.id ?? randomUUID(),
    type: event.type,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
    version: event.version,
    occurredAt: (event.occurredAt ?? new Date()).toISOString(),
    tenantId: event.tenantId ?? null,
    traceContext: event.traceContext ?? currentTraceContext(),
    schemaVersion: event.schemaVersion ?? 1,
    payload: event.payload,
  };
  const checked = parseEnvelope(envelope);
  if (!checked.ok) throw new InvalidEnvelopeError(checked.error);
  // Through JSON once, so that the producer holds exactly what consumers will receive.
  const payload = JSON.parse(JSON.stringify(checked.envelope.payload)) as P; // the caller's P, checked to be JSON
  return { ...checked.envelope, payload };
}

export type ParsedEnvelope = { ok: true; envelope: EventEnvelope } | { ok: false; error: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EVENT_TYPE = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const MAX_NAME_LENGTH = 200;

/**
 * Checks a value read from the wire (or about to be written) and returns a clean envelope with only the known
 * fields, or the first problem found. Never throws: the consumer dead-letters what fails here.
 */
export function parseEnvelope(value: unknown): ParsedEnvelope {
  if (!isRecord(value)) return fail('the envelope is not an object');
  const { id, type, aggregateType, aggregateId, version, occurredAt, tenantId, traceContext, schemaVersion, payload } = value;
  if (typeof id !== 'string' || !UUID.test(id)) return fail('id must be a UUID');
  if (typeof type !== 'string' || type.length > MAX_NAME_LENGTH || !EVENT_TYPE.test(type)) {
    return fail('type must look like "<domain>.<event>" (lower case, digits and dashes)');
  }
  if (!isName(aggregateType)) return fail(`aggregateType must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`);
  if (!isName(aggregateId)) return fail(`aggregateId must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`);
  if (!isCount(version, 0)) return fail('version must be a whole number >= 0');
  if (typeof occurredAt !== 'string' || !ISO_TIMESTAMP.test(occurredAt) || Number.isNaN(Date.parse(occurredAt))) {
    return fail('occurredAt must be an ISO 8601 timestamp with a time zone');
  }
  if (tenantId !== null && !isName(tenantId)) return fail('tenantId must be null or a non-empty string');
  if (traceContext !== undefined && !isRecord(traceContext)) return fail('traceContext must be an object');
  if (!isCount(schemaVersion, 1)) return fail('schemaVersion must be a whole number >= 1');
  if (payload === undefined || !isJson(payload)) return fail('payload must be plain JSON data');
  return {
    ok: true,
    envelope: {
      id: id.toLowerCase(),
      type,
      aggregateType,
      aggregateId,
      version,
      occurredAt,
      tenantId,
      traceContext: cleanTraceContext(traceContext ?? {}),
      schemaVersion,
      payload,
    },
  };
}

/** The W3C fields that parse; tracestate only travels with a valid traceparent. */
function cleanTraceContext(context: Record<string, unknown>): TraceContext {
  const { traceparent, tracestate } = context;
  if (typeof traceparent !== 'string' || !TRACEPARENT.test(traceparent) || traceparent.startsWith('ff')) return {};
  return typeof tracestate === 'string' && tracestate.length > 0 && tracestate.length <= 512
    ? { traceparent, tracestate }
    : { traceparent };
}

function fail(error: string): ParsedEnvelope {
  return { ok: false, error };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_LENGTH;
}

function isCount(value: unknown, min: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
}

function isJson(value: unknown, depth = 0): value is JsonValue {
  if (depth > 64) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((item) => isJson(item, depth + 1));
  if (isRecord(value)) {
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) return false; // a Date, a Map...: not what comes back
    return Object.values(value).every((item) => item === undefined || isJson(item, depth + 1)); // JSON drops undefined
  }
  return false;
}
