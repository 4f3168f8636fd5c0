import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  checkoutMessage,
  InProcessTransport,
  provideEventTransport,
  RedisStreamsTransport,
  ServiceEvents,
  STREAMS,
  type ConsumerSettings,
  type EventEnvelope,
  type IdempotentSubscription,
  type StreamsTransport,
} from '@commerce/events';
import {
  applyMigrations,
  createLogger,
  type Database,
  deleteRedisKeys,
  migrationsDir,
  openScratchDatabase,
  type Principal,
  requireTestRedis,
  SharedResources,
  waitFor,
} from '@commerce/kit';
import {
  createNotificationsClient,
  draftsFor,
  failureMessage,
  MalformedEventError,
  outboxSenders,
  readNotifiableEvent,
  recipientsOf,
  recipientsVisibleTo,
  startNotificationConsumer,
  type NotificationsDb,
  type SendersFor,
} from '../src/index.js';

before(requireTestRedis); // fails at once, with one line, when Redis is not running

const MODE = process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'embedded';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Short times, so that retries and dead letters happen within a test. */
const SETTINGS: Partial<ConsumerSettings> = {
  maxAttempts: 3,
  retryBaseMs: 20,
  retryMaxMs: 100,
  claimIdleMs: 500,
  blockMs: 50,
  batchSize: 10,
};
const logger = () => createLogger('notifications-test', process.env.TEST_LOG_LEVEL ?? 'silent');

const id = () => randomUUID();
const EUR = (amount: string) => ({ amount, currencyCode: 'EUR' });
const staff = (vendorId: string): Principal => ({ userId: id(), role: 'vendor_staff', vendorId, scopes: [] });

describe('notification rules', () => {
  it('reads the followed events, ignores the others, and refuses payloads that break the contract', () => {
    const [orderId, userId, productId, vendorId] = [id(), id(), id(), id()];
    const placed = readNotifiableEvent(
      checkoutMessage('orders.order-placed', {
        orderId,
        userId: userId.toUpperCase(),
        total: EUR('10.00'),
        lines: [{ productId, vendorId, quantity: 1, unitPrice: EUR('10.00') }],
      }),
    );
    assert.equal(placed?.type, 'order-placed');
    assert.equal(placed && 'userId' in placed ? placed.userId : undefined, userId);
    assert.equal(readNotifiableEvent(checkoutMessage('inventory.stock-committed', { orderId })), null);
    assert.equal(readNotifiableEvent(checkoutMessage('payments.payment-voided', { orderId })), null);
    const broken: EventEnvelope[] = [
      checkoutMessage('orders.order-placed', { orderId, userId, total: EUR('10.00'), lines: [] }),
      checkoutMessage('orders.order-placed', {
        orderId,
        userId,
        total: EUR('ten'),
        lines: [{ productId, vendorId, quantity: 1, unitPrice: EUR('1') }],
      }),
      checkoutMessage('orders.order-confirmed', { orderId, userId, total: EUR('1.00'), vendorIds: [vendorId, 'not-a-uuid'] }),
      checkoutMessage('orders.order-failed', { orderId, userId, reason: 'payment <b>declined</b>' }),
      checkoutMessage('orders.order-cancelled', { orderId, userId: 'someone' }),
      checkoutMessage('inventory.product-sold-out', { productId: 'x' }),
    ];
    for (const event of broken) assert.throws(() => readNotifiableEvent(event), MalformedEventError, event.type);
  });

  it('tells each failure reason in words, and never shows the code alone', () => {
    for (const reason of [
      'OUT_OF_STOCK',
      'PAYMENT_DECLINED',
      'PAYMENT_FAILED',
      'STOCK_RESERVATION_TIMEOUT',
      'PAYMENT_TIMEOUT',
      'STOCK_RESERVATION_EXPIRED',
      'SOMETHING_NEW',
    ]) {
      assert.match(failureMessage(reason), /^[A-Z][a-z].+\.$/, reason);
      assert.doesNotMatch(failureMessage(reason), /_/, reason);
    }
    assert.equal(failureMessage('PAYMENT_TIMEOUT'), failureMessage('STOCK_RESERVATION_TIMEOUT'));
    assert.notEqual(failureMessage('OUT_OF_STOCK'), failureMessage('PAYMENT_DECLINED'));
  });

  it('addresses a sold-out product to its vendor, or to the admins when its vendor is unknown', () => {
    const event = readNotifiableEvent(checkoutMessage('inventory.product-sold-out', { productId: id() }))!;
    const vendorId = id();
    const [known] = draftsFor(event, vendorId);
    assert.equal(known!.recipient, `vendor:${vendorId}`);
    assert.ok(known!.email && !known!.sms);
    const [unknown] = draftsFor(event, null);
    assert.equal(unknown!.recipient, 'admins');
    assert.equal(unknown!.email, undefined);
  });

  it("lets users see their own notifications, vendor staff also their vendor's, admins also the admins'", () => {
    const customer: Principal = { userId: id(), role: 'customer', scopes: [] };
    const vendorId = id();
    const nora = staff(vendorId);
    const admin: Principal = { userId: id(), role: 'admin', scopes: [] };
    const partner: Principal = { userId: 'client:acme', role: 'partner', scopes: [] };
    assert.deepEqual(recipientsVisibleTo(customer, customer.userId), [`user:${customer.userId}`]);
    assert.deepEqual(recipientsVisibleTo(customer, nora.userId), []);
    assert.deepEqual(recipientsVisibleTo(nora, nora.userId), [`user:${nora.userId}`, `vendor:${vendorId}`]);
    assert.deepEqual(recipientsVisibleTo(admin, admin.userId), [`user:${admin.userId}`, 'admins']);
    assert.deepEqual(recipientsVisibleTo(admin, customer.userId), [`user:${customer.userId}`]);
    assert.deepEqual(recipientsVisibleTo(partner, partner.userId), []);
    assert.deepEqual(recipientsVisibleTo(undefined, customer.userId), []);
    assert.deepEqual(recipientsOf(admin), [`user:${admin.userId}`, 'admins']);
  });
});

interface Pair {
  name: string;
  transport(prefix: string): StreamsTransport;
  cleanUp(prefix: string): Promise<void>;
}

const pairs: Pair[] = [
  {
    name: 'in-process',
    transport: (prefix) => new InProcessTransport({ logger: logger(), prefix, consumer: SETTINGS }),
    cleanUp: async () => undefined,
  },
  {
    name: 'redis-streams',
    transport: (prefix) => new RedisStreamsTransport({ url: REDIS_URL, logger: logger(), prefix, consumer: SETTINGS }),
    cleanUp: async (prefix) => void (await deleteRedisKeys(REDIS_URL, prefix)),
  },
];

interface NotificationRow {
  recipient: string;
  kind: string;
  title: string;
  channels: string[];
  order_id: string | null;
  product_id: string | null;
}
interface MessageRow {
  channel: string;
  recipient: string;
  subject: string | null;
  body: string;
  sent_at: Date | null;
}

for (const pair of pairs) {
  describe(`notifications consumer (${MODE} + ${pair.name})`, () => {
    const prefix = `test:notifications:${Date.now().toString(36)}${randomBytes(3).toString('hex')}:`;
    let database: { db: Database; drop(): Promise<void> };
    let client: NotificationsDb;
    let transport: StreamsTransport;
    let shared: SharedResources;
    let events: ServiceEvents;
    let subscription: IdempotentSubscription;
    /** Emails the adapter refuses before it records one (a crash before the commit), and the attempts seen. */
    let emailFailures = 0;
    let emailAttempts = 0;
    const senders: SendersFor = (tx) => {
      const outbox = outboxSenders(tx);
      return {
        sms: outbox.sms,
        email: {
          sendEmail: async (message) => {
            emailAttempts += 1;
            if (emailFailures > 0) {
              emailFailures -= 1;
              throw new Error('mail relay down');
            }
            await outbox.email.sendEmail(message);
          },
        },
      };
    };

    before(async () => {
      database = await openScratchDatabase('notifications');
      await applyMigrations(database.db, migrationsDir('notifications'));
      client = createNotificationsClient(database.db);
      transport = pair.transport(prefix);
      shared = new SharedResources();
      provideEventTransport(shared, transport);
      events = new ServiceEvents({ service: 'notifications', db: database.db, shared, env: {}, logger: logger() });
      subscription = startNotificationConsumer({ db: client, events, logger: logger(), senders });
      await events.ready();
    });
    after(async () => {
      await events?.close();
      await shared?.close();
      await client?.$disconnect();
      await database?.drop();
      await pair.cleanUp(prefix);
    });
    beforeEach(() => {
      emailFailures = 0;
      emailAttempts = 0;
    });

    const processed = async (eventId: string) =>
      (await database.db.query('SELECT 1 FROM inbox_events WHERE consumer = $1 AND event_id = $2::uuid', ['notifications', eventId]))
        .length > 0;
    const publish = async (stream: string, event: EventEnvelope) => {
      await transport.publish(stream, [event]);
    };
    /** Publishes and waits until the consumer has committed the event. */
    const deliver = async (stream: string, event: EventEnvelope) => {
      await publish(stream, event);
      await waitFor(`${event.type} to be processed`, () => processed(event.id), 10_000);
    };
    const notificationsOf = (column: 'order_id' | 'product_id', value: string) =>
      database.db.query<NotificationRow>(
        `SELECT recipient, kind, title, channels, order_id::text AS order_id, product_id::text AS product_id
         FROM notifications WHERE ${column} = $1::uuid`,
        [value],
      );
    /** [recipient, kind, channels] of each row, sorted. */
    const summary = (rows: NotificationRow[]) =>
      rows.map((row) => [row.recipient, row.kind, row.channels]).sort((a, b) => (`${a[1]} ${a[0]}` < `${b[1]} ${b[0]}` ? -1 : 1));
    const messagesOf = (column: 'order_id' | 'product_id', value: string) =>
      database.db.query<MessageRow>(
        `SELECT m.channel, m.recipient, m.subject, m.body, m.sent_at FROM outgoing_messages m
         JOIN notifications n ON n.id = m.notification_id WHERE n.${column} = $1::uuid ORDER BY m.channel`,
        [value],
      );

    it('records who hears of each event, with emails and SMS in the local outbox, and learns who sells what', async () => {
      const [orderId, userId, vendorA, vendorB, productA, productB] = [id(), id(), id(), id(), id(), id()];
      const line = (productId: string, vendorId: string) => ({ productId, vendorId, quantity: 1, unitPrice: EUR('5.00') });
      await deliver(
        STREAMS.orders,
        checkoutMessage('orders.order-placed', {
          orderId,
          userId,
          total: EUR('10.00'),
          lines: [line(productA, vendorA), line(productB, vendorB)],
        }),
      );
      await deliver(STREAMS.inventory, checkoutMessage('inventory.stock-reserved', { orderId, reservationIds: [id()] })); // a saga reply: ignored
      await deliver(
        STREAMS.orders,
        checkoutMessage('orders.order-confirmed', { orderId, userId, total: EUR('10.00'), vendorIds: [vendorA, vendorB] }),
      );
      const notifications = await notificationsOf('order_id', orderId);
      assert.deepEqual(summary(notifications), [
        [`user:${userId}`, 'ORDER_CONFIRMED', ['IN_APP', 'EMAIL', 'SMS']],
        [`user:${userId}`, 'ORDER_PLACED', ['IN_APP']],
        ...[`vendor:${vendorA}`, `vendor:${vendorB}`].sort().map((vendor) => [vendor, 'VENDOR_ORDER_CONFIRMED', ['IN_APP']]),
      ]);
      assert.equal(notifications.find((row) => row.kind === 'ORDER_PLACED')!.title, 'We received your order');
      const messages = await messagesOf('order_id', orderId);
      assert.deepEqual(
        messages.map((row) => [row.channel, row.recipient, row.sent_at]),
        [
          ['EMAIL', `user:${userId}`, null],
          ['SMS', `user:${userId}`, null],
        ],
      );
      assert.match(messages[0]!.subject!, new RegExp(`Your order ${orderId.slice(0, 8).toUpperCase()} is confirmed`));
      assert.match(messages[0]!.body, /10\.00 EUR/);
      assert.equal(messages[1]!.subject, null);

      // the read model learned the vendors; an unknown product's sell-out goes to the admins, in the app only
      const unknownProduct = id();
      await deliver(STREAMS.inventory, checkoutMessage('inventory.product-sold-out', { productId: productB }));
      await deliver(STREAMS.inventory, checkoutMessage('inventory.product-sold-out', { productId: unknownProduct }));
      assert.deepEqual(
        (await notificationsOf('product_id', productB)).map((row) => [row.recipient, row.kind, row.channels]),
        [[`vendor:${vendorB}`, 'PRODUCT_SOLD_OUT', ['IN_APP', 'EMAIL']]],
      );
      assert.deepEqual(
        (await messagesOf('product_id', productB)).map((row) => [row.channel, row.recipient]),
        [['EMAIL', `vendor:${vendorB}`]],
      );
      assert.deepEqual(
        (await notificationsOf('product_id', unknownProduct)).map((row) => [row.recipient, row.kind, row.channels]),
        [['admins', 'PRODUCT_SOLD_OUT', ['IN_APP']]],
      );
      assert.deepEqual(await messagesOf('product_id', unknownProduct), []);
    });

    it('tells the buyer of a failed order why (in the app and by email), and of a cancelled one in the app', async () => {
      const [failed, cancelled, userId] = [id(), id(), id()];
      await deliver(STREAMS.orders, checkoutMessage('orders.order-failed', { orderId: failed, userId, reason: 'PAYMENT_DECLINED' }));
      await deliver(STREAMS.orders, checkoutMessage('orders.order-cancelled', { orderId: cancelled, userId }));
      assert.deepEqual(
        (await notificationsOf('order_id', failed)).map((row) => [row.recipient, row.kind, row.channels]),
        [[`user:${userId}`, 'ORDER_FAILED', ['IN_APP', 'EMAIL']]],
      );
      const [email] = await messagesOf('order_id', failed);
      assert.equal(email!.channel, 'EMAIL');
      assert.ok(email!.body.includes(failureMessage('PAYMENT_DECLINED')));
      assert.doesNotMatch(email!.body, /PAYMENT_DECLINED/);
      assert.deepEqual(
        (await notificationsOf('order_id', cancelled)).map((row) => [row.kind, row.channels]),
        [['ORDER_CANCELLED', ['IN_APP']]],
      );
      assert.deepEqual(await messagesOf('order_id', cancelled), []);
    });

    it('records one notification when the same event is delivered twice', async () => {
      const [orderId, userId] = [id(), id()];
      const confirmed = checkoutMessage('orders.order-confirmed', { orderId, userId, total: EUR('3.50'), vendorIds: [] });
      const duplicatesBefore = subscription.stats().duplicates;
      await publish(STREAMS.orders, confirmed);
      await publish(STREAMS.orders, confirmed); // a relay that published twice, a redelivery after a lost ack
      await waitFor('the duplicate to be skipped', () => subscription.stats().duplicates > duplicatesBefore, 10_000);
      assert.equal((await notificationsOf('order_id', orderId)).length, 1);
      assert.deepEqual(
        (await messagesOf('order_id', orderId)).map((row) => row.channel),
        ['EMAIL', 'SMS'],
      );
      assert.equal(emailAttempts, 1);
    });

    it('retries a handler that fails before its commit, with one effect', async () => {
      const [orderId, userId, vendorId] = [id(), id(), id()];
      emailFailures = 1; // the notification row is written, then the email adapter throws: the transaction rolls back
      const failedBefore = subscription.stats().failed;
      await deliver(
        STREAMS.orders,
        checkoutMessage('orders.order-confirmed', { orderId, userId, total: EUR('7.00'), vendorIds: [vendorId] }),
      );
      assert.equal(emailAttempts, 2);
      assert.equal(subscription.stats().failed, failedBefore + 1);
      assert.deepEqual((await notificationsOf('order_id', orderId)).map((row) => row.kind).sort(), [
        'ORDER_CONFIRMED',
        'VENDOR_ORDER_CONFIRMED',
      ]);
      assert.deepEqual(
        (await messagesOf('order_id', orderId)).map((row) => row.channel),
        ['EMAIL', 'SMS'],
      );
    });

    it('writes nothing for a payload that breaks the contract, and dead-letters it after the last attempt', async () => {
      const [orderId, userId, vendorId] = [id(), id(), id()];
      const deadBefore = await transport.deadLetterCount(STREAMS.orders);
      const malformed = checkoutMessage('orders.order-confirmed', {
        orderId,
        userId,
        total: EUR('7.00'),
        vendorIds: [vendorId, 'vendor-two'],
      });
      await publish(STREAMS.orders, malformed);
      await waitFor('the dead letter', async () => (await transport.deadLetterCount(STREAMS.orders)) > deadBefore, 10_000);
      const [dead] = (await transport.deadLetters(STREAMS.orders, 100)).filter((letter) => letter.fields.id === malformed.id);
      assert.ok(dead);
      assert.equal(dead.attempts, SETTINGS.maxAttempts);
      assert.match(dead.error, /vendorIds\[1\] must be a UUID/);
      assert.equal(await processed(malformed.id), false);
      assert.deepEqual(await notificationsOf('order_id', orderId), []);
      assert.equal(emailAttempts, 0);
      // the consumer goes on with the next event
      const next = checkoutMessage('orders.order-cancelled', { orderId, userId });
      await deliver(STREAMS.orders, next);
      assert.deepEqual(
        (await notificationsOf('order_id', orderId)).map((row) => row.kind),
        ['ORDER_CANCELLED'],
      );
    });
  });
}
