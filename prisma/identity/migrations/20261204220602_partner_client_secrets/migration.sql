-- AlterTable
ALTER TABLE "partner_clients" ALTER COLUMN "secret_hash" DROP NOT NULL;

-- CreateTable
CREATE TABLE "partner_client_secrets" (
    "id" UUID NOT NULL,
    "partner_client_id" UUID NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "hint" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "retired_at" TIMESTAMPTZ(3),

    CONSTRAINT "partner_client_secrets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "partner_tokens" (
    "token_id" UUID NOT NULL,
    "secret_id" UUID NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "partner_tokens_pkey" PRIMARY KEY ("token_id")
);

-- CreateIndex
CREATE INDEX "partner_client_secrets_partner_client_id_idx" ON "partner_client_secrets"("partner_client_id");

-- CreateIndex
CREATE INDEX "partner_tokens_secret_id_expires_at_idx" ON "partner_tokens"("secret_id", "expires_at");

-- AddForeignKey
ALTER TABLE "partner_client_secrets" ADD CONSTRAINT "partner_client_secrets_partner_client_id_fkey" FOREIGN KEY ("partner_client_id") REFERENCES "partner_clients"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "partner_tokens" ADD CONSTRAINT "partner_tokens_secret_id_fkey" FOREIGN KEY ("secret_id") REFERENCES "partner_client_secrets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written: every existing client's secret becomes its first secret (no hint: the secret was never stored).
INSERT INTO "partner_client_secrets" ("id", "partner_client_id", "secret_hash", "created_at")
SELECT gen_random_uuid(), "id", "secret_hash", "created_at" FROM "partner_clients" WHERE "secret_hash" IS NOT NULL;

-- Hand-written: only hashes are stored, hints are short, and a secret expires after it was made.
ALTER TABLE "partner_client_secrets" ADD CONSTRAINT "partner_client_secrets_secret_hash_check" CHECK ("secret_hash" LIKE 'scrypt$%');
ALTER TABLE "partner_client_secrets" ADD CONSTRAINT "partner_client_secrets_hint_check" CHECK ("hint" IS NULL OR length("hint") <= 4);
ALTER TABLE "partner_client_secrets" ADD CONSTRAINT "partner_client_secrets_expires_at_check" CHECK ("expires_at" IS NULL OR "expires_at" > "created_at");

-- Hand-written: the previous release (still serving during a rollout) creates clients with partner_clients.secret_hash
-- only. At commit, a client left without a secret row gets that hash as its first secret, so it can authenticate
-- with this release too. (This release writes its secret rows in the same transaction, so nothing is added then.)
CREATE FUNCTION "partner_clients_first_secret"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM "partner_client_secrets" WHERE "partner_client_id" = NEW."id") THEN
    INSERT INTO "partner_client_secrets" ("id", "partner_client_id", "secret_hash", "created_at")
    VALUES (gen_random_uuid(), NEW."id", NEW."secret_hash", NEW."created_at");
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER "partner_clients_first_secret" AFTER INSERT ON "partner_clients"
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW."secret_hash" IS NOT NULL)
  EXECUTE FUNCTION "partner_clients_first_secret"();
