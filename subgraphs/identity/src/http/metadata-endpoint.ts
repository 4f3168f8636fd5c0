import type { IncomingMessage } from 'node:http';
import { PARTNER_SCOPES } from '../domain/partners.js';

/** RFC 8414 authorization server metadata: what a partner's OAuth library needs to find the endpoints. */
export const METADATA_PATH = '/.well-known/oauth-authorization-server';

/**
 * The URLs are on the host the partner asked: the router's (it forwards `x-forwarded-host`/`-proto`), or identity's
 * own when asked directly. A forged host only changes the answer to whoever forged it; it is never cached.
 */
export function authorizationServerMetadata(req: IncomingMessage): Record<string, unknown> {
  const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
  const host = first(req.headers['x-forwarded-host']) ?? first(req.headers.host) ?? 'localhost';
  const proto = first(req.headers['x-forwarded-proto']) === 'https' ? 'https' : 'http';
  const issuer = `${proto}://${host}`;
  return {
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    revocation_endpoint: `${issuer}/oauth/revoke`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: [...PARTNER_SCOPES],
    response_types_supported: [],
  };
}
