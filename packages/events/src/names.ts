const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/**
 * Stream, group and consumer names: letters, digits, `.`, `_`, `:` and `-`, at most 100 characters, so that they
 * are safe as Redis keys and in logs. A stream named `<name>:dead` is a dead-letter stream: not for events.
 */
export function assertName(kind: 'stream' | 'group' | 'consumer', name: string): void {
  if (!NAME.test(name)) {
    throw new TypeError(`${kind} name "${name}" must be 1-100 letters, digits, ".", "_", ":" or "-", starting with a letter or digit`);
  }
  if (kind === 'stream' && name.endsWith(':dead')) throw new TypeError(`stream name "${name}" is reserved for dead letters`);
}
