import { RedisStreamStore } from './redis-stream-store.js';
import { StreamsTransport, type StreamsTransportOptions } from './streams-transport.js';

export interface RedisStreamsTransportOptions extends StreamsTransportOptions {
  /** redis:// or rediss:// */
  url: string;
  /** Connecting and each command fail after this. Default 2000 ms. */
  timeoutMs?: number;
}

/**
 * The production event bus: Redis Streams. A stream per producing service or event family
 * (`<prefix><stream>`), a consumer group per consuming service, XACK after the handler, retries by XCLAIM after a
 * backoff, `<prefix><stream>:dead` after `maxAttempts`, XAUTOCLAIM of what dead consumers left pending.
 */
export class RedisStreamsTransport extends StreamsTransport {
  readonly kind = 'redis-streams' as const;

  constructor(options: RedisStreamsTransportOptions) {
    super(new RedisStreamStore({ url: options.url, logger: options.logger, timeoutMs: options.timeoutMs }), options);
  }
}
