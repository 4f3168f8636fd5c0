import type { RequestContext } from '@commerce/kit';
import type { OrdersDb } from '../data/client.js';
import type { OrdersLoaders } from '../data/loaders.js';
import type { OrderUpdates } from '../data/order-updates.js';
import type { Keyring } from '../domain/encryption.js';
import type { CheckoutSaga } from '../saga/checkout-saga.js';

export interface OrdersContext extends RequestContext {
  db: OrdersDb;
  loaders: OrdersLoaders;
  keyring: Keyring;
  saga: CheckoutSaga;
  updates: OrderUpdates;
}
