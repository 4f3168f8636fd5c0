import { forbidden, isUuid, pageFromRows, requireRole, userError, type ReferenceResolvers } from '@commerce/kit';
import { Arg, Ctx, Directive, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { changePrice, listCategories, searchProducts } from '../data/product-store.js';
import { checkNewPrice } from '../domain/product.js';
import { positionCursor, productSearch } from '../domain/product-search.js';
import type { CatalogContext } from './context.js';
import {
  Category,
  ChangeProductPriceInput,
  ChangeProductPricePayload,
  Product,
  ProductConnection,
  ProductFilter,
  Vendor,
} from './types.js';

@Resolver(() => Product)
export class ProductResolver {
  @Directive('@listSize(slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)')
  @Query(() => ProductConnection, { description: 'Products, newest first; ranked by relevance when searching.' })
  async products(
    @Ctx() ctx: CatalogContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Arg('search', () => String, { nullable: true, description: 'Full-text search, web-search syntax.' })
    search?: string | null,
    @Arg('filter', () => ProductFilter, { nullable: true }) filter?: ProductFilter | null,
  ): Promise<ProductConnection> {
    const criteria = productSearch({ first: first ?? 20, after, search, filter });
    const hits = await searchProducts(ctx.db, criteria);
    for (const hit of hits) ctx.loaders.product.prime(hit.product.id, hit.product);
    return pageFromRows(
      hits,
      criteria.first,
      Boolean(after),
      (hit) => positionCursor(hit.position),
      (hit) => hit.product,
    );
  }

  @Query(() => Product, { nullable: true })
  product(@Ctx() ctx: CatalogContext, @Arg('id', () => ID) id: string) {
    return ctx.loaders.product.load(id);
  }

  @Query(() => [Category])
  categories(@Ctx() ctx: CatalogContext) {
    return listCategories(ctx.db);
  }

  @Directive('@requiresScopes(scopes: [["catalog:write"]])')
  @Directive('@policy(policies: [["vendor_owns_product"]])')
  @Mutation(() => ChangeProductPricePayload, {
    description: "Vendor staff of the product's vendor, or admins (scope catalog:write). Carts and new checkouts use the new price.",
  })
  async changeProductPrice(@Arg('input') input: ChangeProductPriceInput, @Ctx() ctx: CatalogContext): Promise<ChangeProductPricePayload> {
    const principal = requireRole(ctx.principal, 'vendor_staff', 'admin');
    if (!isUuid(input.productId)) return { userErrors: [userError('PRODUCT_NOT_FOUND', 'No such product', ['input', 'productId'])] };
    const product = await ctx.loaders.product.load(input.productId);
    if (!product) return { userErrors: [userError('PRODUCT_NOT_FOUND', 'No such product', ['input', 'productId'])] };
    if (principal.role !== 'admin' && product.vendorId !== principal.vendorId) {
      throw forbidden('Only staff of the vendor selling this product can change its price');
    }
    const price = checkNewPrice(product, input);
    if ('code' in price) return { userErrors: [userError(price.code, price.message, ['input', price.field])] };
    const result = await changePrice(ctx.db, input.productId, price.amount);
    if (!result) return { userErrors: [userError('PRODUCT_NOT_FOUND', 'No such product', ['input', 'productId'])] };
    if (result.changed) ctx.events.nudge(); // committed: publish now rather than at the relay's next poll
    return { product: result.product, userErrors: [] };
  }

  @FieldResolver(() => Category)
  category(@Root() product: Product, @Ctx() ctx: CatalogContext) {
    return ctx.loaders.category.load(product.categoryId);
  }

  @FieldResolver(() => Vendor)
  vendor(@Root() product: Product, @Ctx() ctx: CatalogContext) {
    return ctx.loaders.vendor.load(product.vendorId);
  }
}

export const referenceResolvers: ReferenceResolvers = {
  Product: { __resolveReference: (ref, ctx) => (ctx as CatalogContext).loaders.product.load((ref as Product).id) },
  Vendor: { __resolveReference: (ref, ctx) => (ctx as CatalogContext).loaders.vendor.load((ref as Vendor).id) },
};
