import { DEMO_PASSWORD, type DemoData } from '@commerce/kit';
import { hashPassword } from '../domain/passwords.js';
import type { IdentityDb } from './client.js';

export async function seedIdentity(db: IdentityDb, data: DemoData): Promise<void> {
  const users = await Promise.all(
    data.users.map(async ({ vendorId, ...user }) => ({
      ...user,
      tenantId: vendorId ?? null,
      passwordHash: await hashPassword(DEMO_PASSWORD),
    })),
  );
  await db.$transaction([
    db.tenant.createMany({ data: data.vendors.map(({ id, name, slug }) => ({ id, name, slug })) }),
    db.user.createMany({ data: users }),
  ]);
}
