import { forbidden, userError, type ReferenceResolvers } from '@commerce/kit';
import { Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { rotateSession, startSession, type SessionTokens } from '../data/session-store.js';
import { createCustomer, findCredentials } from '../data/user-store.js';
import { normalizeEmail, validateSignUp, type UserRecord } from '../domain/accounts.js';
import { decoyHash, hashPassword, verifyPassword } from '../domain/passwords.js';
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from '../domain/tokens.js';
import type { IdentityContext } from './context.js';
import { AuthPayload, LogInInput, SignUpInput, User, Vendor } from './types.js';

async function signedIn(ctx: IdentityContext, user: UserRecord, session?: SessionTokens): Promise<AuthPayload> {
  const { sessionId, refreshToken } = session ?? (await startSession(ctx.db, user.id));
  const accessToken = await signAccessToken(user, await ctx.signingKeys.active(), sessionId);
  return {
    accessToken,
    expiresIn: ACCESS_TOKEN_TTL_SECONDS,
    refreshToken,
    user: { ...user, viewedBySelf: true },
    userErrors: [],
  };
}

function tooManyAttempts(retryAfterSeconds: number): AuthPayload {
  const message = `Too many failed log-ins; try again in ${retryAfterSeconds} s`;
  return { retryAfterSeconds, userErrors: [userError('TOO_MANY_ATTEMPTS', message)] };
}

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { nullable: true, description: 'The signed-in user; null when signed out or called with a partner token.' })
  me(@Ctx() ctx: IdentityContext) {
    return ctx.principal && ctx.principal.role !== 'partner' ? ctx.loaders.user.load(ctx.principal.userId) : null;
  }

  @FieldResolver(() => String, { nullable: true })
  email(@Root() user: User, @Ctx() ctx: IdentityContext): string {
    const principal = ctx.principal;
    if (user.viewedBySelf || (principal && (principal.userId === user.id || principal.role === 'admin'))) return user.email;
    throw forbidden('Only the user themself and admins can see an email address');
  }

  @FieldResolver(() => Vendor, { nullable: true, description: 'The vendor a vendor staff member works for.' })
  vendor(@Root() user: User): Vendor | null {
    return user.tenantId ? { id: user.tenantId } : null;
  }

  @Mutation(() => AuthPayload, { description: 'Creates a customer account and signs it in.' })
  async signUp(@Arg('input') input: SignUpInput, @Ctx() ctx: IdentityContext): Promise<AuthPayload> {
    const invalid = validateSignUp(input);
    if (invalid.length) return { userErrors: invalid };
    const user = await createCustomer(ctx.db, {
      email: normalizeEmail(input.email),
      name: input.name.trim(),
      passwordHash: await hashPassword(input.password),
    });
    if (!user) return { userErrors: [userError('EMAIL_TAKEN', 'An account with this email exists', ['input', 'email'])] };
    return signedIn(ctx, user);
  }

  @Mutation(() => AuthPayload)
  async logIn(@Arg('input') input: LogInInput, @Ctx() ctx: IdentityContext): Promise<AuthPayload> {
    const email = normalizeEmail(input.email);
    // Throttled before the password is checked: a refused attempt tells nothing and costs no scrypt.
    const retryAfterSeconds = await ctx.logInThrottle.retryAfterSeconds(email, ctx.clientAddress);
    if (retryAfterSeconds > 0) return tooManyAttempts(retryAfterSeconds);
    const found = await findCredentials(ctx.db, email);
    const matches = await verifyPassword(input.password, found?.passwordHash ?? (await decoyHash()));
    if (!found || !matches) {
      await ctx.logInThrottle.failed(email, ctx.clientAddress);
      return { userErrors: [userError('INVALID_CREDENTIALS', 'Email or password is wrong')] };
    }
    await ctx.logInThrottle.succeeded(email, ctx.clientAddress);
    return signedIn(ctx, found.user);
  }

  @Mutation(() => AuthPayload, { description: 'Swaps a refresh token for new tokens; each refresh token works once.' })
  async refreshSession(@Arg('refreshToken') refreshToken: string, @Ctx() ctx: IdentityContext): Promise<AuthPayload> {
    const rotated = await rotateSession(ctx.db, refreshToken);
    if ('rejected' in rotated) {
      const message =
        rotated.rejected === 'REUSED'
          ? 'This refresh token was already used; the session has been signed out everywhere'
          : 'The refresh token is invalid or expired';
      return { userErrors: [userError(`REFRESH_TOKEN_${rotated.rejected}`, message, ['refreshToken'])] };
    }
    const user = await ctx.loaders.user.load(rotated.userId);
    if (!user) return { userErrors: [userError('REFRESH_TOKEN_INVALID', 'The account no longer exists', ['refreshToken'])] };
    return signedIn(ctx, user, rotated);
  }
}

export const referenceResolvers: ReferenceResolvers = {
  User: { __resolveReference: (ref, ctx) => (ctx as IdentityContext).loaders.user.load((ref as User).id) },
};
