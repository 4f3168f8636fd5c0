import type { RequestContext } from '@commerce/kit';
import type { PaymentsDb } from '../data/client.js';
import type { PaymentsLoaders } from '../data/loaders.js';
import type { PaymentService } from '../domain/payment-service.js';

export interface PaymentsContext extends RequestContext {
  db: PaymentsDb;
  loaders: PaymentsLoaders;
  payments: PaymentService;
}
