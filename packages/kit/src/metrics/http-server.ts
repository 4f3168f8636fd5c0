import type { RequestHandler } from 'express';
import { Histogram, type Registry } from 'prom-client';

/**
 * OpenTelemetry's `http.server.request.duration` (stable HTTP semantic conventions) in its Prometheus form:
 * `http_server_request_duration_seconds`, with `http_request_method`, `http_response_status_code` and
 * `http_route`, exported beside our own series. Bucket boundaries are the ones the convention advises.
 *
 * Bounded labels: a method outside the standard ones is `_OTHER` (as the convention says), a status code is
 * the number the server sent, and `http_route` is one of the service's own route templates; a path that
 * matches none, or a 404 (no route took it), has no `http_route` (the convention leaves it out rather than
 * using the raw path).
 */
export const HTTP_SERVER_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** Route templates: an exact path, or `prefix/*` for everything under it. */
export type RouteTemplates = readonly string[];

export function routeOf(path: string, routes: RouteTemplates): string | undefined {
  for (const route of routes) {
    if (route === path) return route;
    if (route.endsWith('/*') && path.startsWith(route.slice(0, -1))) return route;
  }
  return undefined;
}

/** The histogram in `registers`, and the middleware (mount it first) that times every HTTP request. */
export function httpServerMetrics(registers: Registry[], routes: RouteTemplates): RequestHandler {
  const histogram = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP server requests (OpenTelemetry http.server.request.duration)',
    labelNames: ['http_request_method', 'http_response_status_code', 'http_route'],
    buckets: HTTP_SERVER_DURATION_BUCKETS,
    registers,
  });
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const path = req.path; // read now: routers below rewrite req.url while they run
    res.once('close', () => {
      const labels: Record<string, string | number> = {
        http_request_method: METHODS.has(req.method) ? req.method : '_OTHER',
        http_response_status_code: res.statusCode,
      };
      const route = res.statusCode === 404 ? undefined : routeOf(path, routes);
      if (route !== undefined) labels.http_route = route;
      histogram.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}
