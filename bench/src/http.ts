import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * A lean HTTP/1.1 client for the benchmarks: keep-alive connections, pre-serialized bodies, and the
 * latency measured from just before the request is written to the last byte of the response. The response
 * is parsed by the caller afterwards, outside the measured time.
 */
export interface TimedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Milliseconds from sending the request to the end of the response. */
  latencyMs: number;
}

const REQUEST_TIMEOUT_MS = 30_000;

export class BenchClient {
  private readonly agent: Agent;
  private readonly target: URL;

  constructor(url: string, maxSockets = 16) {
    this.target = new URL(url);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(this.target.hostname)) {
      throw new Error(`benchmarks only call loopback addresses, not ${this.target.hostname}`);
    }
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  post(body: string, headers: Record<string, string> = {}): Promise<TimedResponse> {
    return new Promise((resolve, reject) => {
      const payload = Buffer.from(body);
      const started = performance.now();
      const req = request(
        {
          agent: this.agent,
          hostname: this.target.hostname,
          port: this.target.port,
          path: this.target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': payload.length, ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const latencyMs = performance.now() - started;
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), latencyMs });
          });
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () =>
        req.destroy(new Error(`no response from ${this.target.href} within ${REQUEST_TIMEOUT_MS} ms`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
