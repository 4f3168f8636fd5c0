import type { IncomingHttpHeaders } from 'node:http';
import { PRINCIPAL_HEADER, PRINCIPAL_SIGNATURE_HEADER, PrincipalHeaderError, readPrincipal, type Principal } from '../principal.js';

/**
 * The principal of a WebSocket connection, from the same signed headers the router sends over HTTP, found in
 * the connection_init payload (under `headers`, or at its top level) and/or on the upgrade request. Every
 * place that carries one must verify and they must agree (else PrincipalHeaderError); none is anonymous.
 */
export function connectionPrincipal(
  initPayload: Record<string, unknown> | undefined,
  upgradeHeaders: IncomingHttpHeaders,
  secret: string,
  now = Date.now(),
): Principal | undefined {
  const nested = initPayload?.headers;
  const sources = [isRecord(nested) ? nested : undefined, initPayload, upgradeHeaders];
  let found: Principal | undefined;
  for (const source of sources) {
    if (!source) continue;
    const principal = readPrincipal(principalFields(source), secret, now);
    if (!principal) continue;
    if (found && JSON.stringify(found) !== JSON.stringify(principal)) throw new PrincipalHeaderError('conflicting principals');
    found ??= principal;
  }
  return found;
}

/** The two principal headers of a source, by case-insensitive name (a connection_init payload may spell them either way). */
function principalFields(source: Record<string, unknown>): Record<string, string | undefined> {
  const fields: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(source)) {
    const name = key.toLowerCase();
    if (name !== PRINCIPAL_HEADER && name !== PRINCIPAL_SIGNATURE_HEADER) continue;
    if (typeof value !== 'string') throw new PrincipalHeaderError('malformed principal');
    fields[name] = value;
  }
  return fields;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
