import { forbidden, requireRole, userError, type ReferenceResolvers } from '@commerce/kit';
import { Arg, Ctx, Directive, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { applyAdjustment, listWarehouses } from '../data/stock-store.js';
import { available, canSeeStockDetails, summarize, validateAdjustment } from '../domain/stock.js';
import type { InventoryContext } from './context.js';
import { AdjustStockInput, AdjustStockPayload, Product, StockLevel, Warehouse, WarehouseStock } from './types.js';

@Resolver(() => Product)
export class ProductStockResolver {
  @FieldResolver(() => StockLevel)
  async stock(@Root() product: Product, @Ctx() ctx: InventoryContext): Promise<StockLevel> {
    const stock = await ctx.loaders.stock.load(product.id);
    const levels = stock?.levels ?? [];
    return {
      ...summarize(levels),
      warehouses: levels.map((level) => ({ ...level, available: available(level) })),
      vendorId: stock?.vendorId ?? null,
    };
  }

  @FieldResolver(() => Boolean, { description: 'True when at least one unit can be sold now.' })
  async inStock(@Root() product: Product, @Ctx() ctx: InventoryContext): Promise<boolean> {
    return summarize((await ctx.loaders.stock.load(product.id))?.levels ?? []).available > 0;
  }

  @Directive('@requiresScopes(scopes: [["inventory:read"]])')
  @Query(() => [Warehouse], { description: 'Vendor staff and admins (scope inventory:read).' })
  warehouses(@Ctx() ctx: InventoryContext) {
    requireRole(ctx.principal, 'vendor_staff', 'admin');
    return listWarehouses(ctx.db);
  }

  @Directive('@requiresScopes(scopes: [["inventory:write"]])')
  @Directive('@policy(policies: [["vendor_owns_product"]])')
  @Mutation(() => AdjustStockPayload, { description: "Vendor staff of the product's vendor, or admins (scope inventory:write)." })
  async adjustStock(@Arg('input') input: AdjustStockInput, @Ctx() ctx: InventoryContext): Promise<AdjustStockPayload> {
    const principal = requireRole(ctx.principal, 'vendor_staff', 'admin');
    const change = { ...input, reason: input.reason?.trim() || 'adjustment' };
    const invalid = validateAdjustment(change);
    if (invalid.length) return { userErrors: invalid };
    const [item, warehouse] = await Promise.all([ctx.loaders.item.load(input.productId), ctx.loaders.warehouse.load(input.warehouseId)]);
    if (!item) return { userErrors: [userError('PRODUCT_NOT_FOUND', 'No such product', ['input', 'productId'])] };
    if (!warehouse) return { userErrors: [userError('WAREHOUSE_NOT_FOUND', 'No such warehouse', ['input', 'warehouseId'])] };
    if (principal.role !== 'admin' && item.vendorId !== principal.vendorId) {
      throw forbidden('Only staff of the vendor selling this product can change its stock');
    }
    const level = await applyAdjustment(ctx.db, change, principal.userId);
    if (!level) {
      return {
        userErrors: [userError('INSUFFICIENT_STOCK', 'Stock cannot go below zero or below what is reserved', ['input', 'delta'])],
      };
    }
    await ctx.stockEvents.changed(input.productId); // committed: tell live subscribers
    return { stock: { ...level, available: available(level) }, product: { id: input.productId }, userErrors: [] };
  }
}

/** The details of a product's stock only for staff of its vendor and admins: null for anyone else. */
@Resolver(() => StockLevel)
export class StockLevelResolver {
  @FieldResolver(() => Int, { nullable: true })
  reserved(@Root() stock: StockLevel, @Ctx() ctx: InventoryContext): number | null {
    return canSeeStockDetails(ctx.principal, stock) ? stock.reserved : null;
  }

  @FieldResolver(() => Int, { nullable: true })
  onHand(@Root() stock: StockLevel, @Ctx() ctx: InventoryContext): number | null {
    return canSeeStockDetails(ctx.principal, stock) ? stock.onHand : null;
  }

  @FieldResolver(() => [WarehouseStock], { nullable: true })
  warehouses(@Root() stock: StockLevel, @Ctx() ctx: InventoryContext): WarehouseStock[] | null {
    return canSeeStockDetails(ctx.principal, stock) ? stock.warehouses : null;
  }
}

@Resolver(() => WarehouseStock)
export class WarehouseStockResolver {
  @FieldResolver(() => Warehouse)
  warehouse(@Root() stock: WarehouseStock, @Ctx() ctx: InventoryContext) {
    return ctx.loaders.warehouse.load(stock.warehouseId);
  }
}

export const referenceResolvers: ReferenceResolvers = {
  // Inventory only adds fields to Product: the reference itself is all it needs.
  Product: { __resolveReference: (ref) => ({ id: (ref as Product).id }) },
};
