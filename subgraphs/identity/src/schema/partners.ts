import { isUuid, pageFromRows, requireRole, userError } from '@commerce/kit';
import { Arg, Ctx, Directive, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { createPartnerClient, partnerClientsPage, revokePartnerClient } from '../data/partner-store.js';
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
  RevokePartnerClientPayload,
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
    const { clientId, clientSecret } = newClientCredentials();
    const client = await createPartnerClient(ctx.db, {
      clientId,
      name: input.name.trim(),
      scopes: normalizeScopes(input.scopes),
      secretHash: await hashClientSecret(clientSecret),
      createdById: admin.userId,
    });
    return { client, clientSecret, userErrors: [] };
  }

  @Directive('@authenticated')
  @Directive('@policy(policies: [["admin"]])')
  @Mutation(() => RevokePartnerClientPayload, {
    description: 'Admins: the client gets no more tokens; tokens already issued expire on their own.',
  })
  async revokePartnerClient(@Arg('id', () => ID) id: string, @Ctx() ctx: IdentityContext): Promise<RevokePartnerClientPayload> {
    requireRole(ctx.principal, 'admin');
    const client = isUuid(id) ? await revokePartnerClient(ctx.db, id) : undefined;
    if (!client) return { userErrors: [userError('PARTNER_CLIENT_NOT_FOUND', 'No such partner client', ['id'])] };
    return { client, userErrors: [] };
  }
}
