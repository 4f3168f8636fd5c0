import { Connection, UserError } from '@commerce/kit';
import { Directive, Field, ID, InputType, Int, ObjectType } from 'type-graphql';

@Directive('@key(fields: "id", resolvable: false)')
@ObjectType({ description: 'A vendor; its profile lives in the catalog subgraph.' })
export class Vendor {
  @Field(() => ID)
  id!: string;
}

@Directive('@key(fields: "id")')
@ObjectType()
export class User {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Directive('@policy(policies: [["self_or_admin"]])')
  @Field(() => String, {
    nullable: true,
    description: 'Visible to the user themself and to admins; null (UNAUTHORIZED_FIELD_OR_TYPE) for anyone else.',
  })
  email!: string;

  @Field({ description: 'customer, vendor_staff or admin.' })
  role!: string;

  @Field()
  createdAt!: Date;

  // resolved to a Vendor reference by UserResolver
  tenantId!: string | null;

  /** Set on the user of an AuthPayload: whoever just proved the password sees their own account. */
  viewedBySelf?: boolean;
}

@ObjectType()
export class AuthPayload {
  @Field(() => String, { nullable: true, description: 'Send as `Authorization: Bearer <token>`.' })
  accessToken?: string;

  @Field(() => Int, { nullable: true, description: 'Seconds until the access token expires.' })
  expiresIn?: number;

  @Field(() => String, { nullable: true, description: 'Single use: refreshSession returns a new one.' })
  refreshToken?: string;

  @Field(() => User, { nullable: true })
  user?: User;

  @Field(() => Int, {
    nullable: true,
    description: 'Set with TOO_MANY_ATTEMPTS: seconds before logging in to this account from this address may be tried again.',
  })
  retryAfterSeconds?: number;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType()
export class SignUpInput {
  @Field()
  email!: string;

  @Field()
  password!: string;

  @Field()
  name!: string;
}

@InputType()
export class LogInInput {
  @Field()
  email!: string;

  @Field()
  password!: string;
}

@ObjectType({
  description:
    'A secret of a partner client: its value is shown once, at creation or rotation; only a hash is stored. At most two are active at once.',
})
export class PartnerClientSecret {
  @Field(() => ID)
  id!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The last 4 characters of the secret, to tell secrets apart (null for secrets made before rotation existed).',
  })
  hint!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Accepted until then (set when a newer secret took over); null: no end.' })
  expiresAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'Set when an admin retired it: refused from then on.' })
  retiredAt!: Date | null;

  @Field({ description: 'Whether the token endpoint accepts it now (neither expired nor retired).' })
  active!: boolean;
}

@ObjectType({
  description: "A partner integration that gets access tokens with OAuth2 client credentials at identity's POST /oauth/token.",
})
export class PartnerClient {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Public identifier, sent as client_id.' })
  clientId!: string;

  @Field()
  name!: string;

  @Field(() => [String], { description: 'Scopes its tokens may carry.' })
  scopes!: string[];

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'Set once revoked: the client gets no more tokens.' })
  revokedAt!: Date | null;
}

@ObjectType()
export class PartnerClientConnection extends Connection(PartnerClient) {}

@InputType()
export class CreatePartnerClientInput {
  @Field()
  name!: string;

  @Field(() => [String], { description: 'From catalog:read, schema:read, orders:read, inventory:read.' })
  scopes!: string[];
}

@ObjectType()
export class CreatePartnerClientPayload {
  @Field(() => PartnerClient, { nullable: true })
  client?: PartnerClient;

  @Field(() => String, { nullable: true, description: 'Shown this once: only a hash is stored.' })
  clientSecret?: string;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class RotatePartnerClientSecretPayload {
  @Field(() => PartnerClient, { nullable: true })
  client?: PartnerClient;

  @Field(() => String, { nullable: true, description: 'The new secret, shown this once: only a hash is stored.' })
  clientSecret?: string;

  @Field(() => PartnerClientSecret, { nullable: true, description: 'The new secret as listed in PartnerClient.secrets.' })
  secret?: PartnerClientSecret;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class RetirePartnerClientSecretPayload {
  @Field(() => PartnerClient, { nullable: true })
  client?: PartnerClient;

  @Field(() => PartnerClientSecret, { nullable: true })
  secret?: PartnerClientSecret;

  @Field(() => Int, { nullable: true, description: 'How many access tokens obtained with the secret, still alive, were revoked.' })
  revokedTokens?: number;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class RevokePartnerClientPayload {
  @Field(() => PartnerClient, { nullable: true })
  client?: PartnerClient;

  @Field(() => Int, { nullable: true, description: 'How many access tokens of the client, still alive, were revoked.' })
  revokedTokens?: number;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
