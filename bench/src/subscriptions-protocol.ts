/**
 * The messages between the subscriptions benchmark (the router process: embedded platform + router) and its
 * child process (the subscribers and the stock-change trigger), over Node's IPC channel. Every request
 * carries an id; the child answers each with a reply of the same id.
 *
 * Times are epoch milliseconds with sub-millisecond precision (`performance.timeOrigin + performance.now()`),
 * so both processes read the same clock; the parent still measures the offset between the two (`clock`).
 */

/** What one subscriber subscribes to; subscriber i uses spec `i % specs.length`. */
export interface SubscriberSpec {
  query: string;
  variables: Record<string, unknown>;
  productId: string;
  /** What `product.name` must be in every event. */
  productName: string;
}

export type ParentMessage =
  | { type: 'clock'; id: number }
  | {
      type: 'open';
      id: number;
      /** ws://127.0.0.1:port/graphql */
      url: string;
      count: number;
      specs: SubscriberSpec[];
      /** Connections being opened at once. */
      concurrency: number;
      timeoutMs: number;
    }
  | {
      type: 'trigger';
      id: number;
      /** http://127.0.0.1:port/graphql, where adjustStock is sent. */
      url: string;
      token: string;
      productId: string;
      warehouseId: string;
      delta: number;
      /** False for a control event: nobody follows this product, nothing must arrive. */
      expectDeliveries: boolean;
      timeoutMs: number;
    }
  | { type: 'memory'; id: number }
  | { type: 'close'; id: number; timeoutMs: number };

export interface MemorySample {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}

export type ChildMessage =
  | { type: 'clock'; id: number; now: number }
  | { type: 'opened'; id: number; ms: number; connected: number; problems: string[] }
  | {
      type: 'triggered';
      id: number;
      /** Just before adjustStock was written to the socket. */
      sentAt: number;
      /** When its HTTP response had fully arrived. */
      respondedAt: number;
      /** `product.stock.available` in the mutation's response: what every event must carry. */
      available: number;
      /** When each subscriber of the product got the event (child clock), in subscriber order. */
      receipts: number[];
      /** The child's CPU time (ms, user + system) from sending the mutation to the last delivery. */
      childCpuMs: number;
      problems: string[];
    }
  | { type: 'memory'; id: number; usage: MemorySample; connections: number }
  | { type: 'closed'; id: number; ms: number; problems: string[] }
  | { type: 'failed'; id: number; message: string };

/** The current time in epoch milliseconds, with the precision of performance.now(). */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
