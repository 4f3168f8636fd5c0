import { userError, type Role, type UserError } from '@commerce/kit';

/** Account rules, independent of GraphQL and Prisma. */
export interface UserRecord {
  id: string;
  email: string;
  name: string;
  role: Exclude<Role, 'partner'>;
  tenantId: string | null;
  createdAt: Date;
}

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 200;
export const MAX_NAME_LENGTH = 100;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function validateSignUp(input: { email: string; password: string; name: string }): UserError[] {
  const errors: UserError[] = [];
  const email = normalizeEmail(input.email);
  if (!EMAIL.test(email) || email.length > 254) {
    errors.push(userError('INVALID_EMAIL', 'Enter a valid email address', ['input', 'email']));
  }
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    errors.push(userError('PASSWORD_TOO_SHORT', `Use at least ${MIN_PASSWORD_LENGTH} characters`, ['input', 'password']));
  }
  if (input.password.length > MAX_PASSWORD_LENGTH) {
    errors.push(userError('PASSWORD_TOO_LONG', `Use at most ${MAX_PASSWORD_LENGTH} characters`, ['input', 'password']));
  }
  const name = input.name.trim();
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) {
    errors.push(userError('INVALID_NAME', `Name must be 1 to ${MAX_NAME_LENGTH} characters`, ['input', 'name']));
  }
  return errors;
}

/** Scopes granted by role; the router enforces them (see the README's scope table). */
export const SCOPES_BY_ROLE: Record<UserRecord['role'], string[]> = {
  customer: ['catalog:read', 'reviews:write', 'orders:write'],
  vendor_staff: ['catalog:read', 'catalog:write', 'inventory:read', 'inventory:write', 'orders:read'],
  admin: [
    'catalog:read',
    'catalog:write',
    'inventory:read',
    'inventory:write',
    'orders:read',
    'orders:write',
    'reviews:write',
    'admin',
    'schema:read',
  ],
};
