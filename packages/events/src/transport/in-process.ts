import { MemoryStreamStore } from './memory-stream-store.js';
import { StreamsTransport, type StreamsTransportOptions } from './streams-transport.js';

/**
 * The event bus inside one process (the embedded mode), with the semantics of the Redis Streams transport:
 * consumer groups, acknowledgements, retries with backoff, dead letters, reclaims. Every subgraph of the process
 * must share one instance. Nothing survives a restart: the outbox keeps what was not published yet, but events
 * published and not yet handled are lost with the process (the inbox still prevents double effects).
 */
export class InProcessTransport extends StreamsTransport {
  readonly kind = 'in-process' as const;

  constructor(options: StreamsTransportOptions) {
    super(new MemoryStreamStore(), options);
  }
}
