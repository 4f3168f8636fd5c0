import { isUuid, pageFromRows, requirePrincipal, userError, type ReferenceResolvers } from '@commerce/kit';
import { Arg, Ctx, Directive, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { markRead } from '../data/notification-store.js';
import {
  notificationCursor,
  notificationPageKey,
  recipientsOf,
  recipientsVisibleTo,
  type NotificationRecord,
} from '../domain/notification.js';
import type { NotificationsContext } from './context.js';
import { MarkNotificationReadPayload, Notification, NotificationConnection, User } from './types.js';

export function toGraphQL(record: NotificationRecord): Notification {
  return {
    id: record.id,
    kind: record.kind,
    title: record.title,
    body: record.body,
    channels: record.channels,
    readAt: record.readAt,
    createdAt: record.createdAt,
    order: record.orderId ? { id: record.orderId } : null,
    product: record.productId ? { id: record.productId } : null,
  };
}

@Resolver(() => User)
export class UserNotificationsResolver {
  @Directive('@authenticated')
  @Directive('@policy(policies: [["self_or_admin"]])')
  @Directive('@listSize(slicingArguments: ["first"], sizedFields: ["edges"], requireOneSlicingArgument: false)')
  @FieldResolver(() => NotificationConnection, {
    description:
      "Newest first. The user's own notifications; vendor staff also see their vendor's, admins also those for all admins. " +
      "Admins asking about another user see that user's own.",
  })
  async notifications(
    @Root() user: User,
    @Ctx() ctx: NotificationsContext,
    @Arg('first', () => Int, { nullable: true, defaultValue: 10 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Arg('unreadOnly', () => Boolean, { nullable: true, defaultValue: false }) unreadOnly?: boolean | null,
  ): Promise<NotificationConnection> {
    const key = notificationPageKey(recipientsVisibleTo(ctx.principal, user.id), { first, after, unreadOnly });
    const rows = await ctx.loaders.notificationPage.load(key);
    return pageFromRows(rows, key.first, Boolean(after), notificationCursor, toGraphQL);
  }
}

@Resolver(() => Notification)
export class NotificationResolver {
  @Directive('@authenticated')
  @Mutation(() => MarkNotificationReadPayload, {
    description: "Marks one of your notifications read (a repeat keeps the first readAt). Anyone else's: NOT_FOUND, and nothing changes.",
  })
  async markNotificationRead(@Arg('id', () => ID) id: string, @Ctx() ctx: NotificationsContext): Promise<MarkNotificationReadPayload> {
    const principal = requirePrincipal(ctx.principal);
    const notification = isUuid(id) ? await markRead(ctx.db, id.toLowerCase(), recipientsOf(principal)) : null;
    if (!notification) return { userErrors: [userError('NOT_FOUND', 'No such notification', ['id'])] };
    return { notification: toGraphQL(notification), user: { id: principal.userId }, userErrors: [] };
  }
}

export const referenceResolvers: ReferenceResolvers = {
  // Notifications only adds a field to User: the reference itself is all it needs.
  User: { __resolveReference: (ref) => ({ id: (ref as User).id }) },
};
