import { subgraph as catalog } from '@commerce/catalog';
import { subgraph as identity } from '@commerce/identity';
import { subgraph as inventory } from '@commerce/inventory';
import { subgraph as notifications } from '@commerce/notifications';
import { subgraph as orders } from '@commerce/orders';
import { subgraph as payments } from '@commerce/payments';
import { subgraph as reviews } from '@commerce/reviews';
import type { SubgraphDefinition } from '@commerce/kit';

/** Every subgraph of the platform, in start order (identity first: the router needs its JWKS). */
export const SUBGRAPHS: readonly SubgraphDefinition[] = [identity, catalog, inventory, reviews, orders, payments, notifications];
