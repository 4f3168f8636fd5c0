/** What the catalog knows about a product, independent of GraphQL and Prisma. */
export interface ProductRecord {
  id: string;
  vendorId: string;
  categoryId: string;
  name: string;
  description: string;
  price: { amount: string; currencyCode: string };
  createdAt: Date;
}

export interface CategoryRecord {
  id: string;
  name: string;
  slug: string;
}

export interface VendorRecord {
  id: string;
  name: string;
  slug: string;
  description: string;
}
