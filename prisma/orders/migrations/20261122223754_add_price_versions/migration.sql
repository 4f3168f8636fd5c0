-- AlterTable
ALTER TABLE "product_prices" ADD COLUMN     "price_version" INTEGER NOT NULL DEFAULT 1;
