import { parseEnvelope, type EventEnvelope, type ParsedEnvelope } from '../envelope.js';

/**
 * An event as a stream message: `envelope` holds the JSON; `id` and `type` repeat what is in it, so that a person
 * reading the stream (redis-cli XRANGE) sees what each message is.
 */
export function encodeEvent(event: EventEnvelope): Record<string, string> {
  return { id: event.id, type: event.type, envelope: JSON.stringify(event) };
}

/** The envelope of a stream message, or why it is not one (the consumer dead-letters it). */
export function decodeEvent(fields: Record<string, string>): ParsedEnvelope {
  const raw = fields.envelope;
  if (typeof raw !== 'string') return { ok: false, error: 'the message has no "envelope" field' };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    return { ok: false, error: `the envelope is not JSON (${(error as Error).message})` };
  }
  return parseEnvelope(value);
}
