/**
 * The two tables the event bus reads and writes in a service's own database. A subgraph adds them as Prisma models
 * (`EVENT_TABLES_PRISMA`, pasted into `prisma/<name>/schema.prisma`) and a migration
 * (`npm run migration:new -- <name> add_outbox`), which yields exactly `EVENT_TABLES_SQL` (a test checks it with
 * Prisma's schema engine). The package depends only on this shape, never on a generated Prisma client.
 *
 * outbox_events: `seq` orders the relay (ids are random); `published_at` is null until the relay has published the
 * row; `attempts` and `last_error` record failed publishes. inbox_events: one row per (consuming group, event id)
 * processed, written in the handler's transaction.
 */
export const OUTBOX_TABLE_SQL = `CREATE TABLE "outbox_events" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "stream" TEXT NOT NULL,
    "envelope" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,

    CONSTRAINT "outbox_events_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "outbox_events_published_at_seq_idx" ON "outbox_events"("published_at", "seq");
`;

export const INBOX_TABLE_SQL = `CREATE TABLE "inbox_events" (
    "consumer" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbox_events_pkey" PRIMARY KEY ("consumer","event_id")
);
`;

/** Both tables, as Prisma's migration for `EVENT_TABLES_PRISMA` creates them. */
export const EVENT_TABLES_SQL = `${OUTBOX_TABLE_SQL}\n${INBOX_TABLE_SQL}`;

/** The Prisma models of both tables, to add to a subgraph's schema.prisma. */
export const EVENT_TABLES_PRISMA = `/// Events written in the same transaction as the state change; the relay publishes them (@commerce/events).
model OutboxEvent {
  id          String    @id @db.Uuid
  seq         BigInt    @default(autoincrement())
  stream      String
  envelope    Json
  createdAt   DateTime  @default(now()) @map("created_at") @db.Timestamptz(3)
  publishedAt DateTime? @map("published_at") @db.Timestamptz(3)
  attempts    Int       @default(0)
  lastError   String?   @map("last_error")

  @@index([publishedAt, seq])
  @@map("outbox_events")
}

/// Events this service's consumers have processed (@commerce/events): the inbox that makes handlers idempotent.
model InboxEvent {
  consumer    String
  eventId     String   @map("event_id") @db.Uuid
  processedAt DateTime @default(now()) @map("processed_at") @db.Timestamptz(3)

  @@id([consumer, eventId])
  @@map("inbox_events")
}
`;
