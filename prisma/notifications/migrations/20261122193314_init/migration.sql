-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "notifications" (
    "id" UUID NOT NULL,
    "event_id" UUID NOT NULL,
    "recipient" VARCHAR(64) NOT NULL,
    "kind" VARCHAR(32) NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "channels" TEXT[],
    "order_id" UUID,
    "product_id" UUID,
    "read_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notifications_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "outgoing_messages" (
    "id" UUID NOT NULL,
    "notification_id" UUID NOT NULL,
    "channel" VARCHAR(8) NOT NULL,
    "recipient" VARCHAR(64) NOT NULL,
    "subject" TEXT,
    "body" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "outgoing_messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "product_vendors" (
    "product_id" UUID NOT NULL,
    "vendor_id" UUID NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "product_vendors_pkey" PRIMARY KEY ("product_id")
);

-- CreateTable
CREATE TABLE "outbox_events" (
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

-- CreateTable
CREATE TABLE "inbox_events" (
    "consumer" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "inbox_events_pkey" PRIMARY KEY ("consumer","event_id")
);

-- CreateIndex
CREATE INDEX "notifications_recipient_created_at_id_idx" ON "notifications"("recipient", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "notifications_event_id_recipient_key" ON "notifications"("event_id", "recipient");

-- CreateIndex
CREATE INDEX "outgoing_messages_sent_at_created_at_idx" ON "outgoing_messages"("sent_at", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "outgoing_messages_notification_id_channel_key" ON "outgoing_messages"("notification_id", "channel");

-- CreateIndex
CREATE INDEX "outbox_events_published_at_seq_idx" ON "outbox_events"("published_at", "seq");

-- AddForeignKey
ALTER TABLE "outgoing_messages" ADD CONSTRAINT "outgoing_messages_notification_id_fkey" FOREIGN KEY ("notification_id") REFERENCES "notifications"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written: the notification rules hold whatever the code does.
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_recipient_check"
  CHECK ("recipient" ~ '^(user|vendor):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' OR "recipient" = 'admins');
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_kind_check"
  CHECK ("kind" IN ('ORDER_PLACED', 'ORDER_CONFIRMED', 'ORDER_FAILED', 'ORDER_CANCELLED', 'VENDOR_ORDER_CONFIRMED', 'PRODUCT_SOLD_OUT'));
-- always shown in the app; EMAIL and SMS besides
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_channels_check"
  CHECK ("channels" IS NOT NULL AND 'IN_APP' = ANY ("channels") AND "channels" <@ ARRAY['IN_APP', 'EMAIL', 'SMS']::TEXT[]);
ALTER TABLE "outgoing_messages" ADD CONSTRAINT "outgoing_messages_channel_check" CHECK ("channel" IN ('EMAIL', 'SMS'));
-- an id to resolve when sending, never an address (no personal data at rest here)
ALTER TABLE "outgoing_messages" ADD CONSTRAINT "outgoing_messages_recipient_check"
  CHECK ("recipient" ~ '^(user|vendor):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$');
ALTER TABLE "outgoing_messages" ADD CONSTRAINT "outgoing_messages_subject_check"
  CHECK (("channel" = 'EMAIL') = ("subject" IS NOT NULL));
