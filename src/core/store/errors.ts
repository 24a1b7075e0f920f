// Typed errors of the store. They cross the worker boundary as their constructor fields
// (src/server/storeProtocol.ts WireError) and are rebuilt from them on the main thread, so callers
// can use `instanceof` and read the fields. Each message is a function of the fields only.

/** Another live process (or another store in this process) owns the data directory. */
export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
  ) {
    super(`The data directory ${dataDir} is in use by process ${ownerPid}. Two writers would corrupt it; close the other one or choose another data directory.`);
  }
}

/** The database was written by a newer version of this extension; it is left untouched. */
export class SchemaTooNewError extends Error {
  override name = 'SchemaTooNewError';
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(`The database has schema version ${found}, but this version of Claude Code Ledger supports up to ${supported}. Update the extension; the database was not modified.`);
  }
}

/** The store was used after close() or before open() finished. */
export class StoreClosedError extends Error {
  override name = 'StoreClosedError';
  constructor(readonly what: string) {
    super(`The store is closed (${what}).`);
  }
}
