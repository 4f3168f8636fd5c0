/** Something a SharedResources registry closes when its owner stops. */
export interface Closeable {
  close(): Promise<void>;
}

/**
 * Resources the services of one deployment unit share: in embedded mode every subgraph of the platform (one
 * in-process event bus for all of them), in production the one service of the process. Packages that kit cannot
 * depend on (the event bus) keep their resource here under a key of their own, so services get it without kit
 * knowing its type. Closed by the owner (the platform or the standalone entry point) after the services closed.
 */
export class SharedResources {
  private readonly resources = new Map<string, Closeable>();

  /** The resource under `key`, made by `create` on first use. */
  use<T extends Closeable>(key: string, create: () => T): T {
    let resource = this.resources.get(key);
    if (!resource) {
      resource = create();
      this.resources.set(key, resource);
    }
    return resource as T; // the same key is only ever used with the same type (one owner module per key)
  }

  /** Puts a resource in place before the services start (the platform chooses a transport for tests). */
  provide(key: string, resource: Closeable): void {
    if (this.resources.has(key)) throw new Error(`shared resource ${key} is already set`);
    this.resources.set(key, resource);
  }

  /** Closes every resource, newest first. */
  async close(): Promise<void> {
    const all = [...this.resources.values()].reverse();
    this.resources.clear();
    for (const resource of all) await resource.close();
  }
}
