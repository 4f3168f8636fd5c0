-- CreateTable
CREATE TABLE "partner_clients" (
    "id" UUID NOT NULL,
    "client_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "scopes" TEXT[],
    "secret_hash" TEXT NOT NULL,
    "created_by" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "partner_clients_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "partner_clients_client_id_key" ON "partner_clients"("client_id");

-- CreateIndex
CREATE INDEX "partner_clients_created_at_id_idx" ON "partner_clients"("created_at", "id");

-- AddForeignKey
ALTER TABLE "partner_clients" ADD CONSTRAINT "partner_clients_created_by_fkey" FOREIGN KEY ("created_by") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Hand-written: a client always has a name, at least one scope, and only a hash of its secret.
ALTER TABLE "partner_clients" ADD CONSTRAINT "partner_clients_name_check" CHECK (length(btrim("name")) > 0);
ALTER TABLE "partner_clients" ADD CONSTRAINT "partner_clients_scopes_check" CHECK ("scopes" IS NOT NULL AND cardinality("scopes") > 0);
ALTER TABLE "partner_clients" ADD CONSTRAINT "partner_clients_secret_hash_check" CHECK ("secret_hash" LIKE 'scrypt$%');
