#define SQLITE_ENABLE_SESSION 1
#define SQLITE_ENABLE_PREUPDATE_HOOK 1
#include <sqlite3.h>
#include <string.h>

#include "fleet_sqlite_session.h"

// The replica's position and GRDB's migration list are per file, never
// replicated (a migration runs on every replica by itself).
static int replicated_table(void *context, const char *table) {
    (void)context;
    return strcmp(table, "vfleet_replica") != 0 && strcmp(table, "grdb_migrations") != 0;
}

int fleet_session_begin(void *db, void **session) {
    sqlite3_session *s = NULL;
    int rc = sqlite3session_create((sqlite3 *)db, "main", &s);
    if (rc != SQLITE_OK) return rc;
    sqlite3session_table_filter(s, replicated_table, NULL);
    rc = sqlite3session_attach(s, NULL);
    if (rc != SQLITE_OK) {
        sqlite3session_delete(s);
        return rc;
    }
    *session = s;
    return SQLITE_OK;
}

int fleet_session_changeset(void *session, int *count, void **bytes) {
    return sqlite3session_changeset((sqlite3_session *)session, count, bytes);
}

void fleet_session_end(void *session) { sqlite3session_delete((sqlite3_session *)session); }

void fleet_sqlite_free(void *bytes) { sqlite3_free(bytes); }

static int abort_on_conflict(void *context, int kind, sqlite3_changeset_iter *iterator) {
    fleet_apply_conflict *conflict = context;
    if (conflict->conflict == 0) {
        const char *table = NULL;
        int columns = 0, operation = 0, indirect = 0;
        conflict->conflict = kind;
        if (sqlite3changeset_op(iterator, &table, &columns, &operation, &indirect) == SQLITE_OK && table) {
            conflict->operation = operation;
            strncpy(conflict->table, table, sizeof conflict->table - 1);
            conflict->table[sizeof conflict->table - 1] = 0;
        }
    }
    return SQLITE_CHANGESET_ABORT;
}

int fleet_changeset_apply(void *db, int count, const void *bytes, fleet_apply_conflict *conflict) {
    memset(conflict, 0, sizeof *conflict);
    // SQLITE_CHANGESETAPPLY_NOSAVEPOINT: the caller's transaction is the
    // unit; an abort leaves it to the caller to roll back all of it.
    return sqlite3changeset_apply_v2((sqlite3 *)db, count, (void *)bytes, NULL, abort_on_conflict, conflict, NULL, NULL,
                                     SQLITE_CHANGESETAPPLY_NOSAVEPOINT);
}
