import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/**
 * Which proxies in front of the router are trusted to tell the client's address in `X-Forwarded-For`,
 * with the semantics of express's `trust proxy`: `false` (the default) uses the socket's peer address and
 * ignores the header; a number trusts that many hops from the router (1: one ingress or load balancer);
 * a list trusts the proxies whose address matches (IPs, CIDRs, or `loopback`, `linklocal`, `uniquelocal`).
 * `true` (trust every hop) is not offered: any client could then choose its own rate-limit key.
 */
export type TrustProxy = false | number | readonly string[];

const MAX_HOPS = 32;

/** Parses the `TRUST_PROXY` setting: `false`/`off` (or unset), a hop count, or a comma-separated list. */
export function parseTrustProxy(raw: string | undefined): TrustProxy {
  const value = raw?.trim() ?? '';
  if (value === '' || value === 'false' || value === 'off' || value === '0') return false;
  if (value === 'true') {
    throw new Error(
      'TRUST_PROXY=true would let any client choose its address; give the number of proxies in front (e.g. 1) or their addresses',
    );
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_HOPS) throw new Error(`TRUST_PROXY must be at most ${MAX_HOPS} hops, got ${hops}`);
    return hops;
  }
  const list = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  try {
    proxyaddr.compile(list); // throws on an address or range it cannot read
  } catch (error) {
    throw new Error(
      `TRUST_PROXY must be false, a number of hops, or IPs/CIDRs/loopback/linklocal/uniquelocal separated by commas: ${(error as Error).message}`,
    );
  }
  return list;
}

/** The function giving a request's client address under `trust`: the same for HTTP, WebSocket upgrades and SSE. */
export function clientAddressResolver(trust: TrustProxy = false): (request: IncomingMessage) => string {
  const trusted =
    trust === false
      ? () => false
      : typeof trust === 'number'
        ? (_address: string, hop: number) => hop < trust
        : proxyaddr.compile([...trust]);
  return (request) => {
    // proxy-addr reads the socket address; a socket already closed has none.
    if (!request.socket?.remoteAddress) return 'unknown';
    return proxyaddr(request, trusted);
  };
}
