import { UserError } from '@commerce/kit';
import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A fulfilment centre holding stock for vendors.' })
export class Warehouse {
  @Field(() => ID)
  id!: string;

  @Field()
  code!: string;

  @Field()
  name!: string;

  @Field()
  city!: string;
}

@ObjectType({ description: 'Stock of one product in one warehouse.' })
export class WarehouseStock {
  @Field(() => Int)
  onHand!: number;

  @Field(() => Int)
  reserved!: number;

  @Field(() => Int, { description: 'onHand - reserved' })
  available!: number;

  // resolved to a Warehouse by WarehouseStockResolver
  warehouseId!: string;
}

@ObjectType({ description: 'Stock of one product over all warehouses.' })
export class StockLevel {
  @Field(() => Int, { description: 'Units that can be sold now.' })
  available!: number;

  @Directive('@policy(policies: [["vendor_owns_product"]])')
  @Field(() => Int, { nullable: true, description: "Units held for orders in progress. Staff of the product's vendor and admins." })
  reserved!: number;

  @Directive('@policy(policies: [["vendor_owns_product"]])')
  @Field(() => Int, { nullable: true, description: "Units in the warehouses. Staff of the product's vendor and admins." })
  onHand!: number;

  @Directive('@policy(policies: [["vendor_owns_product"]])')
  @Field(() => [WarehouseStock], { nullable: true, description: "Stock per warehouse. Staff of the product's vendor and admins." })
  warehouses!: WarehouseStock[];

  // who sells the product (null: unknown to inventory), for StockLevelResolver's check; not in the schema
  vendorId!: string | null;
}

@Directive('@key(fields: "id")')
@ObjectType()
export class Product {
  @Field(() => ID)
  id!: string;
}

@ObjectType({ description: "A change of a product's stock, pushed to stockChanged subscribers." })
export class StockChange {
  @Field(() => Product)
  product!: Product;

  @Field(() => Int, { description: 'Units that can be sold now, over all warehouses, after the change.' })
  available!: number;

  @Field({ description: 'When the change happened (ISO 8601).' })
  at!: string;
}

@InputType()
export class AdjustStockInput {
  @Field(() => ID)
  productId!: string;

  @Field(() => ID)
  warehouseId!: string;

  @Field(() => Int, { description: 'Units to add (positive) or remove (negative).' })
  delta!: number;

  @Field({ nullable: true, description: 'Why, for the stock ledger (e.g. "delivery", "damaged").' })
  reason?: string;
}

@ObjectType()
export class AdjustStockPayload {
  @Field(() => WarehouseStock, { nullable: true })
  stock?: WarehouseStock;

  @Field(() => Product, { nullable: true })
  product?: Product;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
