import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import express, { Router, type Request, type Response } from 'express';
import { printSchema, type GraphQLSchema } from 'graphql';
import type { Logger, Principal } from '@commerce/kit';
import type { TokenCheck } from '../policies/authentication.js';
import { recordRejection } from '../metrics.js';

/** Where scripts/bundle-explorer.mjs puts the page and its assets (router/dist/explorer). */
export const EXPLORER_DIR = fileURLToPath(new URL('../../explorer/', import.meta.url));

/**
 * Only the router's own origin: the bundle has no inline script; GraphiQL's and Monaco's fonts and icons are
 * data: URLs inside the CSS; Monaco's workers are scripts under /explorer/assets. <style> elements need the
 * page's nonce: Radix UI's dialogs stamp it on theirs (react-remove-scroll, through get-nonce), and the bundle
 * patches Monaco's stylesheet helper to stamp it too (scripts/bundle-explorer.mjs). Style *attributes* are
 * allowed: Monaco renders its lines as HTML with style="top:…" and cannot position them otherwise
 * (microsoft/monaco-editor#271); a style attribute cannot run script, and img-src/font-src keep what it could
 * load to this origin. React and GraphiQL set the rest of their styles through the CSSOM, which CSP does not
 * restrict.
 */
export function explorerCsp(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "worker-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

export interface ExplorerOptions {
  /** The API schema the gateway serves now (changes with supergraph reloads); undefined before the first load. */
  apiSchema(): GraphQLSchema | undefined;
  /** `true`: /schema.graphql is open to anyone; `false`: only to whom `mayIntrospect` allows. */
  schemaSdlPublic: boolean;
  mayIntrospect(principal: Principal | undefined): boolean;
  verify(header: string): Promise<TokenCheck>;
  logger: Logger;
}

/**
 * The partners' schema explorer (`GET /explorer`, a self-hosted GraphiQL bundled at build time) and the API
 * schema as SDL (`GET /schema.graphql`).
 */
export function explorerRoutes(options: ExplorerOptions): Router {
  const router = Router();
  const page = existsSync(`${EXPLORER_DIR}index.html`) ? readFileSync(`${EXPLORER_DIR}index.html`, 'utf8') : undefined;
  if (!page) options.logger.warn({ dir: EXPLORER_DIR }, 'schema explorer not built (npm run build -w router); /explorer answers 503');

  router.get('/explorer', (_req, res) => {
    const nonce = randomBytes(16).toString('base64');
    res.set(SECURITY_HEADERS).set({ 'content-security-policy': explorerCsp(nonce), 'cache-control': 'no-store' });
    if (!page) return void res.status(503).type('text/plain').send('The schema explorer is not built: run npm run build -w router\n');
    res.type('html').send(page.replace('%NONCE%', nonce));
  });
  router.use(
    '/explorer/assets',
    (_req, res, next) => {
      res.set(SECURITY_HEADERS);
      next();
    },
    express.static(`${EXPLORER_DIR}assets`, { index: false, fallthrough: false, maxAge: 0 }), // revalidated by ETag
  );

  // The gateway derives the API schema with federation-internals' Supergraph.apiSchema(), as
  // scripts/codegen/api-schema.cjs does: no join__/link__ machinery, no @inaccessible elements, no
  // authorization directives. Printing the gateway's copy serves exactly what /graphql validates against.
  let printed: { schema: GraphQLSchema; sdl: string } | undefined;
  router.get('/schema.graphql', async (req, res) => {
    res.set({ 'x-content-type-options': 'nosniff', 'cache-control': options.schemaSdlPublic ? 'no-cache' : 'private, no-cache' });
    if (!options.schemaSdlPublic && !(await mayReadSchema(req, res, options))) return;
    const schema = options.apiSchema();
    if (!schema) return void res.status(503).type('text/plain').send('No supergraph loaded yet\n');
    if (printed?.schema !== schema) printed = { schema, sdl: `${printSchema(schema)}\n` };
    res.type('text/plain; charset=utf-8').send(printed.sdl);
  });
  return router;
}

/** Answers the refusal itself and returns false when the request may not read the schema. */
async function mayReadSchema(req: Request, res: Response, options: ExplorerOptions): Promise<boolean> {
  res.vary('authorization');
  let principal: Principal | undefined;
  const header = req.headers.authorization;
  if (header !== undefined) {
    const check = await options.verify(header);
    if (!check.ok) {
      if (check.status === 401) res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      res.status(check.status).json({ errors: [{ message: check.message, extensions: { code: check.code } }] });
      return false;
    }
    principal = check.token.principal;
  }
  if (options.mayIntrospect(principal)) return true;
  recordRejection('INTROSPECTION_DISABLED');
  options.logger.info({ userId: principal?.userId }, 'schema SDL refused');
  if (!principal) res.set('WWW-Authenticate', 'Bearer');
  res.status(principal ? 403 : 401).json({
    errors: [{ message: 'Reading the schema needs a token with the schema:read scope', extensions: { code: 'INTROSPECTION_DISABLED' } }],
  });
  return false;
}
