import { createServer, type RequestListener, type Server } from 'node:http';
import { listen } from './subgraph-server.js';

/** An HTTP server that listens while the service starts, then hands its port over to the service's app. */
export interface StartingServer {
  readonly httpServer: Server;
  /** `http://host:port` */
  readonly url: string;
  /** From now on `app` answers every request (the start-up answers stop). */
  serve(app: RequestListener): void;
  close(): Promise<void>;
}

/**
 * Listens at once, before the database is reachable: /health/live answers 200 (the process is fine, do not restart
 * it), /health/ready 503 (send no traffic yet), every other request 503 with a GraphQL error SERVICE_UNAVAILABLE.
 */
export async function listenWhileStarting(port: number, host: string, reason = 'the service is starting'): Promise<StartingServer> {
  const starting: RequestListener = (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health/live') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (path === '/health/ready') {
      return void res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'starting', reason }));
    }
    const body = { errors: [{ message: `Service unavailable: ${reason}`, extensions: { code: 'SERVICE_UNAVAILABLE' } }] };
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify(body));
  };
  const httpServer = createServer(starting);
  const url = await listen(httpServer, port, host);
  return {
    httpServer,
    url,
    serve: (app) => {
      httpServer.removeListener('request', starting);
      httpServer.on('request', app);
    },
    close: () => new Promise((resolve) => httpServer.close(() => resolve())),
  };
}
