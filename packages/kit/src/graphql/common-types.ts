import { Directive, Field, ObjectType } from 'type-graphql';

/** Money is never a float: a decimal string and an ISO 4217 currency code. */
@Directive('@shareable')
@ObjectType({ description: 'An amount of money: a decimal string (never a float) and an ISO 4217 currency code.' })
export class Money {
  @Field({ description: 'Decimal amount, e.g. "19.99".' })
  amount!: string;

  @Field({ description: 'ISO 4217 code, e.g. "EUR".' })
  currencyCode!: string;
}

/** A business-rule failure of a mutation, returned in the payload instead of raised as an error. */
@Directive('@shareable')
@ObjectType({ description: 'A business-rule failure of a mutation.' })
export class UserError {
  @Field({ description: 'Stable machine-readable code, e.g. EMAIL_TAKEN.' })
  code!: string;

  @Field(() => [String], { nullable: true, description: 'Path to the input field at fault.' })
  field?: string[];

  @Field()
  message!: string;
}

export function userError(code: string, message: string, field?: string[]): UserError {
  return Object.assign(new UserError(), { code, message, field });
}

@Directive('@shareable')
@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field()
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor?: string | null;

  @Field(() => String, { nullable: true })
  endCursor?: string | null;
}
