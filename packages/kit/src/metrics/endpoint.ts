import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.js';

export interface MetricsEndpointOptions {
  app: Express;
  /** The registry (or one merged from several) GET /metrics serves. */
  registry: Registry;
  /**
   * METRICS_PORT: serve /metrics on this port only, on a server of its own (not on the public port).
   * Undefined: on the service's own port, as the embedded platform does. 0 picks a free port (tests).
   */
  port?: number;
  host: string;
  logger: Logger;
}

export interface MetricsEndpoint {
  /** Where the separate server listens (http://host:port), when there is one. */
  url?: string;
  close(): Promise<void>;
}

/** GET /metrics: on the service's own app, or (with a port) on a separate listener that serves nothing else. */
export async function serveMetrics(options: MetricsEndpointOptions): Promise<MetricsEndpoint> {
  const { registry } = options;
  const send = async (res: ServerResponse) => {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType }).end(body);
  };
  if (options.port === undefined) {
    options.app.get('/metrics', (_req, res, next) => void send(res).catch(next));
    return { close: async () => undefined };
  }
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) return void res.writeHead(404).end();
    send(res).catch((error: unknown) => {
      options.logger.error({ err: error }, 'metrics: collecting failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`;
  options.logger.info({ url: `${url}/metrics` }, 'metrics listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
