import DataLoader from 'dataloader';

/** Loaders every subgraph builds the same way: one batched query per tick, keyed by id. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Loads entities by UUID; unknown or malformed ids resolve to null without reaching the database. */
export function byIdLoader<Entity>(
  fetch: (ids: readonly string[]) => Promise<Entity[]>,
  idOf: (entity: Entity) => string = (entity) => (entity as { id: string }).id,
): DataLoader<string, Entity | null> {
  return new DataLoader(async (ids) => {
    const valid = ids.filter(isUuid);
    const found = valid.length ? await fetch(valid) : [];
    const byId = new Map(found.map((entity) => [idOf(entity), entity]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/** Loads the list belonging to each key (e.g. stock rows per product) in one query. */
export function groupLoader<Key, Item>(
  fetch: (keys: readonly Key[]) => Promise<Item[]>,
  keyOf: (item: Item) => Key,
  cacheKeyFn?: (key: Key) => unknown,
): DataLoader<Key, Item[]> {
  return new DataLoader(
    async (keys) => {
      const items = await fetch(keys);
      const groups = new Map<unknown, Item[]>();
      for (const item of items) {
        const key = cacheKeyFn ? cacheKeyFn(keyOf(item)) : keyOf(item);
        groups.set(key, [...(groups.get(key) ?? []), item]);
      }
      return keys.map((key) => groups.get(cacheKeyFn ? cacheKeyFn(key) : key) ?? []);
    },
    { cacheKeyFn },
  );
}
