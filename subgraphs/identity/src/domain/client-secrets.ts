import { randomBytes, randomUUID } from 'node:crypto';
import { userError, type UserError } from '@commerce/kit';

/**
 * Partner client secrets and their rotation, as rules: a client holds at most two active secrets, so a partner
 * deploys a new secret while the old one still works; the old one then expires after a grace period, or an admin
 * retires it at once. No GraphQL, no Prisma, no clock of their own: `now` is always given.
 */
export interface ClientSecretRecord {
  id: string;
  /** The secret's last characters (SECRET_HINT_LENGTH); null for secrets made before rotation existed. */
  hint: string | null;
  createdAt: Date;
  /** Accepted until then; null: no end (the newest secret). */
  expiresAt: Date | null;
  /** Set when an admin retired it. */
  retiredAt: Date | null;
}

export const MAX_ACTIVE_SECRETS = 2;
export const SECRET_HINT_LENGTH = 4;

/** The old secret's grace period after a rotation, in hours: a week by default, from one hour to 30 days. */
export const DEFAULT_GRACE_PERIOD_HOURS = 7 * 24;
export const MIN_GRACE_PERIOD_HOURS = 1;
export const MAX_GRACE_PERIOD_HOURS = 30 * 24;
const HOUR_MS = 3600_000;

export function isSecretActive(secret: Pick<ClientSecretRecord, 'expiresAt' | 'retiredAt'>, now: Date): boolean {
  return secret.retiredAt === null && (secret.expiresAt === null || secret.expiresAt > now);
}

export function activeSecrets<Secret extends Pick<ClientSecretRecord, 'expiresAt' | 'retiredAt'>>(
  secrets: readonly Secret[],
  now: Date,
): Secret[] {
  return secrets.filter((secret) => isSecretActive(secret, now));
}

/** A new secret: 256 random bits, its id, and its hint (the last characters, which say nothing about the rest). */
export function newClientSecret(): { id: string; secret: string; hint: string } {
  const secret = randomBytes(32).toString('base64url');
  return { id: randomUUID(), secret, hint: secretHint(secret) };
}

export function secretHint(secret: string): string {
  return secret.slice(-SECRET_HINT_LENGTH);
}

export function validateGracePeriod(hours: number): UserError[] {
  if (!Number.isInteger(hours) || hours < MIN_GRACE_PERIOD_HOURS || hours > MAX_GRACE_PERIOD_HOURS) {
    return [
      userError(
        'INVALID_GRACE_PERIOD',
        `The grace period must be ${MIN_GRACE_PERIOD_HOURS} to ${MAX_GRACE_PERIOD_HOURS} hours (default ${DEFAULT_GRACE_PERIOD_HOURS})`,
        ['gracePeriodHours'],
      ),
    ];
  }
  return [];
}

interface ClientState {
  revokedAt: Date | null;
}

/** What a rotation changes: the secrets still active get an expiry (the earlier of theirs and the grace period's end). */
export interface RotationPlan {
  expire: { id: string; expiresAt: Date }[];
}

export function planRotation(
  client: ClientState,
  secrets: readonly ClientSecretRecord[],
  gracePeriodHours: number,
  now: Date,
): RotationPlan | { userErrors: UserError[] } {
  const invalid = validateGracePeriod(gracePeriodHours);
  if (invalid.length) return { userErrors: invalid };
  if (client.revokedAt) return { userErrors: [revokedError()] };
  const active = activeSecrets(secrets, now);
  if (active.length >= MAX_ACTIVE_SECRETS) {
    return {
      userErrors: [
        userError(
          'TOO_MANY_ACTIVE_SECRETS',
          `A client holds at most ${MAX_ACTIVE_SECRETS} active secrets: retire one (retirePartnerClientSecret) or wait for its expiry`,
          ['clientId'],
        ),
      ],
    };
  }
  const end = new Date(now.getTime() + gracePeriodHours * HOUR_MS);
  return {
    expire: active.map((secret) => ({ id: secret.id, expiresAt: secret.expiresAt && secret.expiresAt < end ? secret.expiresAt : end })),
  };
}

/**
 * Retiring: the secret stops working at once (and the tokens it obtained are revoked). Never the last active
 * secret: that would lock the partner out (revoke the client instead). Retiring a retired secret changes nothing;
 * an expired one can still be retired, which revokes the tokens it obtained before its expiry.
 */
export function checkRetirement(
  client: ClientState,
  secrets: readonly ClientSecretRecord[],
  secretId: string,
  now: Date,
): { retire: boolean; secret: ClientSecretRecord } | { userErrors: UserError[] } {
  const secret = secrets.find((candidate) => candidate.id === secretId);
  if (!secret) return { userErrors: [userError('SECRET_NOT_FOUND', 'This client has no such secret', ['secretId'])] };
  if (client.revokedAt) return { userErrors: [revokedError()] };
  if (secret.retiredAt) return { retire: false, secret };
  const others = activeSecrets(
    secrets.filter((candidate) => candidate.id !== secretId),
    now,
  );
  if (isSecretActive(secret, now) && others.length === 0) {
    return {
      userErrors: [
        userError('LAST_ACTIVE_SECRET', 'This is the only active secret: rotate first (rotatePartnerClientSecret), or revoke the client', [
          'secretId',
        ]),
      ],
    };
  }
  return { retire: true, secret };
}

function revokedError(): UserError {
  return userError('PARTNER_CLIENT_REVOKED', 'This client is revoked: its secrets can no longer change', ['clientId']);
}
