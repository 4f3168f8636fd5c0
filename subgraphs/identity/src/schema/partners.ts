import { pageFromRows, requireRole } from '@commerce/kit';
import { Arg, Ctx, Directive, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { revokeClient } from '../app/partner-clients.js';
import { retireClientSecret, rotateClientSecret } from '../app/partner-secrets.js';
import { createPartnerClient, partnerClientsPage } from '../data/partner-store.js';
import { DEFAULT_GRACE_PERIOD_HOURS, isSecretActive, MAX_GRACE_PERIOD_HOURS, MIN_GRACE_PERIOD_HOURS } from '../domain/client-secrets.js';
import {
  clientCursor,
  clientPageKey,
  hashClientSecret,
  newClientCredentials,
  normalizeScopes,
  validateNewClient,
} from '../domain/partners.js';
import type { IdentityContext } from './context.js';
import {
  CreatePartnerClientInput,
  CreatePartnerClientPayload,
  PartnerClient,
  PartnerClientConnection,
  PartnerClientSecret,
  RetirePartnerClientSecretPayload,
  RevokePartnerClientPayload,
  RotatePartnerClientSecretPayload,
} from './types.js';

/** Admin-only: the router's `admin` policy refuses everyone else first; requireRole checks again behind it. */
@Resolver(() => PartnerClient)
export class PartnerClientResolver {
  @Directive('@authenticated')
  @Directive('@policy(policies: [["admin"]])')
  @Directive('@listSize(slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)')
  @Query(() => PartnerClientConnection, { description: 'Admins: partner clients, newest first, revoked ones included.' })
  async partnerClients(
    @Ctx() ctx: IdentityContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<PartnerClientConnection> {
    requireRole(ctx.principal, 'admin');
    const key = clientPageKey(first, after);
    return pageFromRows(await partnerClientsPage(ctx.db, key), key.first, Boolean(after), clientCursor, (row) => row);
  }

  @Directive('@authenticated')
  @Directive('@policy(policies: [["admin"]])')
  @Mutation(() => CreatePartnerClientPayload, { description: 'Admins: creates a partner client; its secret is returned once.' })
  async createPartnerClient(
    @Arg('input') input: CreatePartnerClientInput,
    @Ctx() ctx: IdentityContext,
  ): Promise<CreatePartnerClientPayload> {
    const admin = requireRole(ctx.principal, 'admin');
    const invalid = validateNewClient(input);
    if (invalid.length) return { userErrors: invalid };
    const { clientId, secret } = newClientCredentials();
    const client = await createPartnerClient(ctx.db, {
      clientId,
      name: input.name.trim(),
      scopes: normalizeScopes(input.scopes),
      createdById: admin.userId,
      secret: { id: secret.id, hint: secret.hint, secretHash: await hashClientSecret(secret.secret), createdAt: ctx.clock() },
    });
    return { client, clientSecret: secret.secret, userErrors: [] };
  }

  @Directive('@authenticated')
  @Directive('@policy(policies: [["admin"]])')
  @Mutation(() => RotatePartnerClientSecretPayload, {
    description: `Admins: gives the client a second secret (returned once) while the current one keeps working for the grace period (default ${DEFAULT_GRACE_PERIOD_HOURS} hours), so the partner deploys it without downtime. At most two secrets are active: with two, the answer is the userError TOO_MANY_ACTIVE_SECRETS.`,
  })
  async rotatePartnerClientSecret(
    @Arg('clientId', () => ID, { description: "The client's id, or its public clientId." }) clientId: string,
    @Ctx() ctx: IdentityContext,
    @Arg('gracePeriodHours', () => Int, {
      defaultValue: DEFAULT_GRACE_PERIOD_HOURS,
      description: `How long the current secret stays valid: ${MIN_GRACE_PERIOD_HOURS} to ${MAX_GRACE_PERIOD_HOURS} hours.`,
    })
    gracePeriodHours: number,
  ): Promise<RotatePartnerClientSecretPayload> {
    requireRole(ctx.principal, 'admin');
    const result = await rotateClientSecret(ctx, clientId, gracePeriodHours);
    if (!('client' in result)) return result;
    return { ...result, secret: { ...result.secret, active: true } };
  }

  @Directive('@authenticated')
  @Directive('@policy(policies: [["admin"]])')
  @Mutation(() => RetirePartnerClientSecretPayload, {
    description:
      'Admins: the secret is refused at once, and the access tokens it obtained are revoked. Never the only active secret (LAST_ACTIVE_SECRET).',
  })
  async retirePartnerClientSecret(
    @Arg('clientId', () => ID, { description: "The client's id, or its public clientId." }) clientId: string,
    @Arg('secretId', () => ID) secretId: string,
    @Ctx() ctx: IdentityContext,
  ): Promise<RetirePartnerClientSecretPayload> {
    requireRole(ctx.principal, 'admin');
    const result = await retireClientSecret(ctx, clientId, secretId);
    if (!('client' in result)) return result;
    return { ...result, secret: { ...result.secret, active: isSecretActive(result.secret, ctx.clock()) } };
  }

  @FieldResolver(() => [PartnerClientSecret], {
    description: 'Its secrets, oldest first, active or not (never their values).',
  })
  async secrets(@Root() client: PartnerClient, @Ctx() ctx: IdentityContext): Promise<PartnerClientSecret[]> {
    requireRole(ctx.principal, 'admin');
    const now = ctx.clock();
    const secrets = await ctx.loaders.clientSecrets.load(client.id);
    return secrets.map(({ partnerClientId: _client, ...secret }) => ({ ...secret, active: isSecretActive(secret, now) }));
  }

  @Directive('@authenticated')
  @Directive('@policy(policies: [["admin"]])')
  @Mutation(() => RevokePartnerClientPayload, {
    description: 'Admins: the client gets no more tokens, and the access tokens it holds are revoked.',
  })
  async revokePartnerClient(@Arg('id', () => ID) id: string, @Ctx() ctx: IdentityContext): Promise<RevokePartnerClientPayload> {
    requireRole(ctx.principal, 'admin');
    return revokeClient(ctx, id);
  }
}
