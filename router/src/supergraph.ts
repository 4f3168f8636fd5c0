import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { SupergraphSdlHook } from '@apollo/gateway';
import type { Logger } from '@commerce/kit';

export interface SupergraphFileOptions {
  path: string;
  watch: boolean;
  logger: Logger;
  /** Turns the file's SDL into what the gateway loads (the router strips its authorization directives). */
  prepare?: (supergraphSdl: string) => string;
}

const DEBOUNCE_MS = 100;

/**
 * The gateway's `supergraphSdl` hook for the committed supergraph file. With `watch`, a changed file is
 * handed to the gateway; a file the gateway rejects is logged and the previous supergraph keeps serving.
 */
export function supergraphFromFile(options: SupergraphFileOptions): SupergraphSdlHook {
  const { path, logger } = options;
  const prepare = options.prepare ?? ((sdl: string) => sdl);
  return async ({ update }) => {
    let current = await readFile(path, 'utf8');
    if (!options.watch) return { supergraphSdl: prepare(current) };

    let timer: NodeJS.Timeout | undefined;
    let closed = false;
    const reload = async () => {
      let next: string;
      try {
        next = await readFile(path, 'utf8');
      } catch (error) {
        return logger.warn({ err: error, path }, 'cannot read the supergraph file; keeping the current one');
      }
      if (closed || next === current) return;
      try {
        update(prepare(next)); // synchronous: throws when the SDL does not parse or the gateway cannot build a schema from it
        current = next;
      } catch (error) {
        logger.error({ err: error, path }, 'new supergraph rejected; keeping the current one');
      }
    };
    // Watch the directory, not the file: editors and `compose` replace the file by renaming, which
    // would silently end a watch on the old inode. A Kubernetes ConfigMap volume never touches the file's
    // own name (a symlink into `..data`): it renames a new `..data` symlink into place, so those count too.
    const watcher: FSWatcher = watch(dirname(path), (_event, filename) => {
      if (filename !== null && filename !== basename(path) && !filename.startsWith('..data')) return;
      clearTimeout(timer);
      timer = setTimeout(() => void reload(), DEBOUNCE_MS);
    });
    watcher.on('error', (error) => logger.error({ err: error, path }, 'supergraph watch failed'));
    logger.info({ path }, 'watching the supergraph file');

    return {
      supergraphSdl: prepare(current),
      cleanup: async () => {
        closed = true;
        clearTimeout(timer);
        watcher.close();
      },
    };
  };
}
