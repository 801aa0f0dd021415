#ifndef FLEET_SQLITE_SESSION_H
#define FLEET_SQLITE_SESSION_H

// SQLite's session extension for the replicated store
// (docs/ARCHITECTURE.md, the replicated store). This header names no
// SQLite type: GRDB's connection handle is passed as an opaque pointer, so
// that sqlite3.h is included once, in the .c file, with the session macros
// defined (Debian's libsqlite3 is built with SQLITE_ENABLE_SESSION and
// SQLITE_ENABLE_PREUPDATE_HOOK, but its header declares the session API
// only when they are defined).

#include <stddef.h>

/// Starts recording the changes of `db` (a sqlite3 *) to every table but
/// the replica's own bookkeeping (`vfleet_replica`, `grdb_migrations`).
/// On success *session is set and SQLITE_OK returned.
int fleet_session_begin(void *db, void **session);

/// The changeset recorded so far (*bytes is freed with fleet_sqlite_free;
/// an empty changeset has *count 0 and *bytes may be NULL).
int fleet_session_changeset(void *session, int *count, void **bytes);

void fleet_session_end(void *session);

void fleet_sqlite_free(void *bytes);

/// What stopped an apply: the conflict kind (SQLITE_CHANGESET_DATA,
/// NOTFOUND, CONFLICT, CONSTRAINT, FOREIGN_KEY), the table, and the
/// operation (SQLITE_INSERT, UPDATE, DELETE); 0 when no conflict was seen.
typedef struct {
    int conflict;
    int operation;
    char table[128];
} fleet_apply_conflict;

/// Applies a changeset to `db` inside the caller's transaction; any
/// conflict aborts the whole apply (SQLITE_ABORT) and is described in
/// *conflict: a replica that conflicts has diverged, and half an entry
/// must never be applied.
int fleet_changeset_apply(void *db, int count, const void *bytes, fleet_apply_conflict *conflict);

#endif
