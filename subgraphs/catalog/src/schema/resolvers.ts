import { pageFromRows, type ReferenceResolvers } from '@commerce/kit';
import { Arg, Ctx, Directive, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { listCategories, searchProducts } from '../data/product-store.js';
import { positionCursor, productSearch } from '../domain/product-search.js';
import type { CatalogContext } from './context.js';
import { Category, Product, ProductConnection, ProductFilter, Vendor } from './types.js';

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
    return pageFromRows(hits, criteria.first, Boolean(after), (hit) => positionCursor(hit.position), (hit) => hit.product);
  }

  @Query(() => Product, { nullable: true })
  product(@Ctx() ctx: CatalogContext, @Arg('id', () => ID) id: string) {
    return ctx.loaders.product.load(id);
  }

  @Query(() => [Category])
  categories(@Ctx() ctx: CatalogContext) {
    return listCategories(ctx.db);
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
