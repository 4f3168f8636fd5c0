import type { Principal } from '@commerce/kit';

/**
 * The router itself, signed with the router secret: when it asks a subgraph for data only admins may read (an
 * order's buyer) and on its WebSocket connections to subgraphs, which carry the subscriptions of all its clients
 * (the router decides per client; the subgraph knows the request came from the router).
 */
export const ROUTER_PRINCIPAL: Principal = { userId: '00000000-0000-0000-0000-000000000000', role: 'admin', scopes: [] };
