import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '@commerce/kit';
import { ProviderError, type AuthorizationRequest, type AuthorizeRequest } from '../domain/provider.js';
import { FakePaymentBackend, type FakeCharge, type FakeOperation, type FakeRequestLog } from './fake.js';

/**
 * The fake payment provider as a remote service: a small HTTP server in front of one FakePaymentBackend, so that
 * its ledger (authorizations, charges, idempotency keys) lives outside the payments process and survives its
 * restarts, as a real provider's does. The wire format, spoken by HttpPaymentProvider:
 *
 * - `POST /v1/<authorize|capture|void|refund>`, header `Idempotency-Key`, JSON body with the request's other fields:
 *   200 `{ reference }`, or an error status with `{ error: { code, message, transient } }` (503 for transient ones);
 * - `GET /v1/ledger`: `{ charges, requests }`, every effect applied and every request received (for tests and the
 *   chaos bench, which counts captures per payment);
 * - `GET /health`: 200.
 */
export const FAKE_PROVIDER_OPERATIONS: readonly FakeOperation[] = ['authorize', 'capture', 'void', 'refund'];

export interface FakeLedger {
  charges: FakeCharge[];
  requests: FakeRequestLog[];
}

const MAX_BODY_BYTES = 64 * 1024;
/** Final refusals by code; anything else final is a 400. */
const STATUS_OF: Record<string, number> = {
  CARD_DECLINED: 402,
  AUTHORIZATION_NOT_FOUND: 404,
  IDEMPOTENCY_KEY_REUSED: 409,
  INVALID_STATE: 409,
};

export interface RunningFakeProvider {
  url: string;
  backend: FakePaymentBackend;
  close(): Promise<void>;
}

export async function startFakeProviderServer(options: {
  backend: FakePaymentBackend;
  port: number;
  host: string;
  logger: Logger;
}): Promise<RunningFakeProvider> {
  const { backend, logger } = options;
  const server: Server = createServer((req, res) => {
    route(backend, req, res).catch((error: unknown) => {
      logger.error({ err: error }, 'fake payment provider: request failed');
      if (!res.headersSent) send(res, 500, { error: { code: 'INTERNAL', message: 'internal error', transient: true } });
      else res.destroy();
    });
  });
  // A caller that gives up (a timeout, or its process killed) must not stop the provider from finishing the request.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    backend,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function route(backend: FakePaymentBackend, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://provider').pathname;
  if (req.method === 'GET' && path === '/health') return send(res, 200, { status: 'ok' });
  if (req.method === 'GET' && path === '/v1/ledger') {
    const ledger: FakeLedger = { charges: backend.charges, requests: backend.requests };
    return send(res, 200, ledger);
  }
  const operation = /^\/v1\/(authorize|capture|void|refund)$/.exec(path)?.[1] as FakeOperation | undefined;
  if (req.method !== 'POST' || !operation)
    return send(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${path}`, transient: false } });
  const body = await readJson(req);
  const idempotencyKey = req.headers['idempotency-key'];
  const request = body && typeof idempotencyKey === 'string' ? providerRequest(operation, body, idempotencyKey) : undefined;
  if (!request) {
    const message = "a JSON object body with the operation's string fields and an Idempotency-Key header are required";
    return send(res, 400, { error: { code: 'BAD_REQUEST', message, transient: false } });
  }
  try {
    const { reference } = await backend.handle(operation, request);
    send(res, 200, { reference });
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    send(res, error.transient ? 503 : (STATUS_OF[error.code] ?? 400), {
      error: { code: error.code, message: error.message, transient: error.transient },
    });
  }
}

/** The request the fake backend takes, or undefined when a field it needs is missing or not a string. */
function providerRequest(
  operation: FakeOperation,
  body: Record<string, unknown>,
  idempotencyKey: string,
): AuthorizeRequest | AuthorizationRequest | undefined {
  const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : undefined);
  const amount = text('amount');
  const currency = text('currency');
  if (amount === undefined || currency === undefined) return undefined;
  if (operation === 'authorize') {
    const paymentMethod = text('paymentMethod');
    return paymentMethod === undefined ? undefined : { idempotencyKey, amount, currency, paymentMethod };
  }
  const authorization = text('authorization');
  return authorization === undefined ? undefined : { idempotencyKey, amount, currency, authorization };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }).end(payload);
}
