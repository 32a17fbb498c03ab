/*
 * sqlite.c - the SQLite backend of store.h.
 *
 * WAL journal, foreign keys, STRICT tables, secure_delete, synchronous=FULL (an answered write
 * survives a crash of the process and of the machine). Migrations are numbered and applied at open
 * under PRAGMA user_version. Statements are prepared once per connection and reused.
 */
#include "store/store.h"

#include "util/err.h"
#include "util/log.h"
#include "util/strutil.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

/* Migration N brings user_version from N to N+1. Never edit a shipped entry; append. */
static const char *const migrations[] = {
    /* 1: accounts, sessions, login throttling */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  username TEXT NOT NULL UNIQUE,"
    "  display_name TEXT NOT NULL DEFAULT '',"
    "  email TEXT NOT NULL DEFAULT '',"
    "  roles INTEGER NOT NULL,"
    "  pwhash TEXT NOT NULL,"
    "  disabled INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  version INTEGER NOT NULL DEFAULT 1"
    ") STRICT;"
    "CREATE TABLE sessions ("
    "  hash BLOB PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  created_at INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL"
    ") STRICT, WITHOUT ROWID;"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE TABLE login_failures ("
    "  key TEXT NOT NULL,"
    "  at INTEGER NOT NULL"
    ") STRICT;"
    "CREATE INDEX login_failures_key ON login_failures(key, at);",
};

#define N_MIGRATIONS (int)(sizeof(migrations) / sizeof(migrations[0]))

enum stmt_id {
    ST_PING,
    ST_USER_INSERT,
    ST_USER_BY_NAME,
    ST_USER_BY_ID,
    ST_USER_LIST,
    ST_USER_UPDATE,
    ST_USER_COUNT,
    ST_SESSION_INSERT,
    ST_SESSION_GET,
    ST_SESSION_TOUCH,
    ST_SESSION_DELETE,
    ST_SESSION_DELETE_USER,
    ST_SESSION_PURGE,
    ST_FAIL_INSERT,
    ST_FAIL_PRUNE,
    ST_FAIL_COUNT,
    ST_FAIL_CLEAR,
    ST__COUNT
};

#define USER_COLS                                                                                  \
    "id, username, display_name, email, roles, pwhash, disabled, created_at, updated_at, version"

static const char *const stmt_sql[ST__COUNT] = {
    [ST_PING] = "SELECT 1",
    [ST_USER_INSERT] = "INSERT INTO users (username, display_name, email, roles, pwhash, disabled,"
                       " created_at, updated_at, version) VALUES (?,?,?,?,?,?,?,?,1)",
    [ST_USER_BY_NAME] = "SELECT " USER_COLS " FROM users WHERE username = ?",
    [ST_USER_BY_ID] = "SELECT " USER_COLS " FROM users WHERE id = ?",
    [ST_USER_LIST] = "SELECT " USER_COLS " FROM users WHERE username > ? ORDER BY username LIMIT ?",
    [ST_USER_UPDATE] = "UPDATE users SET display_name = ?, email = ?, roles = ?, pwhash = ?,"
                       " disabled = ?, updated_at = ?, version = version + 1"
                       " WHERE id = ? AND version = ?",
    [ST_USER_COUNT] = "SELECT count(*) FROM users",
    [ST_SESSION_INSERT] =
        "INSERT INTO sessions (hash, user_id, created_at, last_seen) VALUES (?,?,?,?)",
    [ST_SESSION_GET] = "SELECT user_id, created_at, last_seen FROM sessions WHERE hash = ?",
    [ST_SESSION_TOUCH] = "UPDATE sessions SET last_seen = ? WHERE hash = ?",
    [ST_SESSION_DELETE] = "DELETE FROM sessions WHERE hash = ?",
    [ST_SESSION_DELETE_USER] = "DELETE FROM sessions WHERE user_id = ?",
    [ST_SESSION_PURGE] = "DELETE FROM sessions WHERE last_seen < ? OR created_at < ?",
    [ST_FAIL_INSERT] = "INSERT INTO login_failures (key, at) VALUES (?, ?)",
    [ST_FAIL_PRUNE] = "DELETE FROM login_failures WHERE key = ? AND at < ?",
    [ST_FAIL_COUNT] = "SELECT count(*), coalesce(min(at), 0) FROM login_failures"
                      " WHERE key = ? AND at >= ?",
    [ST_FAIL_CLEAR] = "DELETE FROM login_failures WHERE key = ?",
};

struct store_sqlite {
    struct store base;           /* must be first */
    sqlite3 *db;                 /* the connection */
    sqlite3_stmt *st[ST__COUNT]; /* prepared lazily, reused, reset after each use */
};

static const struct store_ops sqlite_ops;

static struct store_sqlite *SQ(struct store *st)
{
    return (struct store_sqlite *)st;
}

static int db_fail(struct store_sqlite *s, const char *what)
{
    log_error("sqlite: %s: %s", what, sqlite3_errmsg(s->db));
    return ERR_DB;
}

/* The cached statement @id, reset and with bindings cleared, or NULL (logged). */
static sqlite3_stmt *stmt(struct store_sqlite *s, enum stmt_id id)
{
    if (s->st[id] == NULL) {
        if (sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id],
                               NULL) != SQLITE_OK) {
            db_fail(s, "prepare");
            return NULL;
        }
    }
    return s->st[id];
}

static void done(sqlite3_stmt *q)
{
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
}

/* Run a statement that returns no rows; maps constraint violations to ERR_EXISTS. */
static int exec_stmt(struct store_sqlite *s, sqlite3_stmt *q, const char *what)
{
    int r = sqlite3_step(q);
    int rc = 0;

    if (r == SQLITE_CONSTRAINT)
        rc = ERR_EXISTS;
    else if (r != SQLITE_DONE)
        rc = db_fail(s, what);
    done(q);
    return rc;
}

static int exec_sql(struct store_sqlite *s, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        log_error("sqlite: %s", msg ? msg : "exec failed");
        sqlite3_free(msg);
        return ERR_DB;
    }
    return 0;
}

static int migrate(struct store_sqlite *s, char *err, size_t errlen)
{
    sqlite3_stmt *q = NULL;
    int version = 0, rc = 0;

    if ((rc = exec_sql(s, "BEGIN IMMEDIATE")) != 0)
        goto out;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW) {
        rc = db_fail(s, "user_version");
        goto rollback;
    }
    version = sqlite3_column_int(q, 0);
    if (version > N_MIGRATIONS) {
        err_set(err, errlen, "database schema %d is newer than this binary (%d)", version,
                N_MIGRATIONS);
        rc = ERR_DB;
        goto rollback;
    }
    for (; version < N_MIGRATIONS; version++) {
        char pragma[64];
        if ((rc = exec_sql(s, migrations[version])) != 0)
            goto rollback;
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version + 1);
        if ((rc = exec_sql(s, pragma)) != 0)
            goto rollback;
        log_info("sqlite: applied migration %d", version + 1);
    }
    rc = exec_sql(s, "COMMIT");
    goto out;
rollback:
    exec_sql(s, "ROLLBACK");
out:
    sqlite3_finalize(q);
    return rc;
}

int store_sqlite_open(const char *path, struct store **out, char *err, size_t errlen)
{
    struct store_sqlite *s = NULL;
    int rc = 0;

    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return ERR_NOMEM;
    s->base.ops = &sqlite_ops;
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        err_set(err, errlen, "cannot open database %s: %s", path,
                s->db ? sqlite3_errmsg(s->db) : "out of memory");
        rc = ERR_DB;
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 0);
    sqlite3_busy_timeout(s->db, 10000);
    if ((rc = exec_sql(s, "PRAGMA journal_mode = WAL;"
                          "PRAGMA synchronous = FULL;"
                          "PRAGMA foreign_keys = ON;"
                          "PRAGMA secure_delete = ON;")) != 0) {
        err_set(err, errlen, "cannot configure database %s", path);
        goto fail;
    }
    if ((rc = migrate(s, err, errlen)) != 0) {
        if (err != NULL && err[0] == '\0')
            err_set(err, errlen, "cannot migrate database %s", path);
        goto fail;
    }
    *out = &s->base;
    return 0;
fail:
    sqlite_ops.close(&s->base);
    return rc;
}

static void sq_close(struct store *st)
{
    struct store_sqlite *s = SQ(st);

    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(s->st[i]);
    if (s->db != NULL && sqlite3_close(s->db) != SQLITE_OK)
        log_error("sqlite: close: %s", sqlite3_errmsg(s->db));
    free(s);
}

static int sq_ping(struct store *st)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_PING);
    int rc;

    if (q == NULL)
        return ERR_DB;
    rc = sqlite3_step(q) == SQLITE_ROW ? 0 : db_fail(s, "ping");
    done(q);
    return rc;
}

static void col_text(sqlite3_stmt *q, int col, char *dst, size_t len)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    str_copy(dst, len, t ? (const char *)t : "");
}

static void user_from_row(sqlite3_stmt *q, struct user *u)
{
    memset(u, 0, sizeof(*u));
    u->id = sqlite3_column_int64(q, 0);
    col_text(q, 1, u->username, sizeof(u->username));
    col_text(q, 2, u->display_name, sizeof(u->display_name));
    col_text(q, 3, u->email, sizeof(u->email));
    u->roles = (unsigned)sqlite3_column_int64(q, 4);
    col_text(q, 5, u->pwhash, sizeof(u->pwhash));
    u->disabled = sqlite3_column_int(q, 6) != 0;
    u->created_at = sqlite3_column_int64(q, 7);
    u->updated_at = sqlite3_column_int64(q, 8);
    u->version = sqlite3_column_int64(q, 9);
}

static int sq_user_create(struct store *st, struct user *u)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_USER_INSERT);
    int rc;

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, u->username, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, u->display_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, u->email, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, u->roles);
    sqlite3_bind_text(q, 5, u->pwhash, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 6, u->disabled);
    sqlite3_bind_int64(q, 7, u->created_at);
    sqlite3_bind_int64(q, 8, u->created_at);
    rc = exec_stmt(s, q, "user insert");
    if (rc == 0) {
        u->id = sqlite3_last_insert_rowid(s->db);
        u->version = 1;
        u->updated_at = u->created_at;
    }
    return rc;
}

static int user_get(struct store_sqlite *s, sqlite3_stmt *q, struct user *out)
{
    int r = sqlite3_step(q), rc = 0;

    if (r == SQLITE_ROW)
        user_from_row(q, out);
    else if (r == SQLITE_DONE)
        rc = ERR_NOT_FOUND;
    else
        rc = db_fail(s, "user get");
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    done(q);
    return rc;
}

static int sq_user_get_by_name(struct store *st, const char *username, struct user *out)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_USER_BY_NAME);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, username, -1, SQLITE_STATIC);
    return user_get(s, q, out);
}

static int sq_user_get_by_id(struct store *st, int64_t id, struct user *out)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_USER_BY_ID);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, id);
    return user_get(s, q, out);
}

static int sq_user_list(struct store *st, const char *after, int limit, struct user **out,
                        size_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_USER_LIST);
    struct user *arr = NULL;
    size_t n = 0;
    int r, rc = 0;

    *out = NULL;
    *count = 0;
    if (q == NULL)
        return ERR_DB;
    if (limit <= 0)
        return 0;
    arr = calloc((size_t)limit, sizeof(*arr));
    if (arr == NULL)
        return ERR_NOMEM;
    sqlite3_bind_text(q, 1, after ? after : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, limit);
    while ((r = sqlite3_step(q)) == SQLITE_ROW && n < (size_t)limit)
        user_from_row(q, &arr[n++]);
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        rc = db_fail(s, "user list");
    done(q);
    if (rc != 0) {
        free(arr);
        return rc;
    }
    *out = arr;
    *count = n;
    return 0;
}

static int sq_user_update(struct store *st, struct user *u)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_USER_UPDATE);
    int rc;

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, u->display_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, u->email, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, u->roles);
    sqlite3_bind_text(q, 4, u->pwhash, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 5, u->disabled);
    sqlite3_bind_int64(q, 6, u->updated_at);
    sqlite3_bind_int64(q, 7, u->id);
    sqlite3_bind_int64(q, 8, u->version);
    rc = exec_stmt(s, q, "user update");
    if (rc == 0) {
        if (sqlite3_changes(s->db) == 0)
            return ERR_CONFLICT;
        u->version++;
    }
    return rc;
}

static int sq_user_count(struct store *st, int64_t *count)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_USER_COUNT);
    int rc = 0;

    *count = 0;
    if (q == NULL)
        return ERR_DB;
    if (sqlite3_step(q) == SQLITE_ROW)
        *count = sqlite3_column_int64(q, 0);
    else
        rc = db_fail(s, "user count");
    done(q);
    return rc;
}

static int sq_session_create(struct store *st, const struct session *se)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_SESSION_INSERT);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_blob(q, 1, se->hash, SESSION_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, se->user_id);
    sqlite3_bind_int64(q, 3, se->created_at);
    sqlite3_bind_int64(q, 4, se->last_seen);
    return exec_stmt(s, q, "session insert");
}

static int sq_session_get(struct store *st, const uint8_t hash[SESSION_HASH_LEN],
                          struct session *out)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_SESSION_GET);
    int r, rc = 0;

    memset(out, 0, sizeof(*out));
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_blob(q, 1, hash, SESSION_HASH_LEN, SQLITE_STATIC);
    r = sqlite3_step(q);
    if (r == SQLITE_ROW) {
        memcpy(out->hash, hash, SESSION_HASH_LEN);
        out->user_id = sqlite3_column_int64(q, 0);
        out->created_at = sqlite3_column_int64(q, 1);
        out->last_seen = sqlite3_column_int64(q, 2);
    } else if (r == SQLITE_DONE) {
        rc = ERR_NOT_FOUND;
    } else {
        rc = db_fail(s, "session get");
    }
    done(q);
    return rc;
}

static int sq_session_touch(struct store *st, const uint8_t hash[SESSION_HASH_LEN], int64_t now)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_SESSION_TOUCH);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, now);
    sqlite3_bind_blob(q, 2, hash, SESSION_HASH_LEN, SQLITE_STATIC);
    return exec_stmt(s, q, "session touch");
}

static int sq_session_delete(struct store *st, const uint8_t hash[SESSION_HASH_LEN])
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_SESSION_DELETE);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_blob(q, 1, hash, SESSION_HASH_LEN, SQLITE_STATIC);
    return exec_stmt(s, q, "session delete");
}

static int sq_session_delete_user(struct store *st, int64_t user_id)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_SESSION_DELETE_USER);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, user_id);
    return exec_stmt(s, q, "session delete user");
}

static int sq_session_purge(struct store *st, int64_t idle_before, int64_t created_before)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_SESSION_PURGE);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_int64(q, 1, idle_before);
    sqlite3_bind_int64(q, 2, created_before);
    return exec_stmt(s, q, "session purge");
}

static int sq_login_failure_add(struct store *st, const char *key, int64_t now)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_FAIL_INSERT);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, now);
    return exec_stmt(s, q, "login failure insert");
}

static int sq_login_failure_count(struct store *st, const char *key, int64_t since, int *count,
                                  int64_t *oldest)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q;
    int rc;

    *count = 0;
    *oldest = 0;
    q = stmt(s, ST_FAIL_PRUNE);
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, since);
    if ((rc = exec_stmt(s, q, "login failure prune")) != 0)
        return rc;
    q = stmt(s, ST_FAIL_COUNT);
    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, since);
    if (sqlite3_step(q) == SQLITE_ROW) {
        *count = sqlite3_column_int(q, 0);
        *oldest = sqlite3_column_int64(q, 1);
    } else {
        rc = db_fail(s, "login failure count");
    }
    done(q);
    return rc;
}

static int sq_login_failure_clear(struct store *st, const char *key)
{
    struct store_sqlite *s = SQ(st);
    sqlite3_stmt *q = stmt(s, ST_FAIL_CLEAR);

    if (q == NULL)
        return ERR_DB;
    sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
    return exec_stmt(s, q, "login failure clear");
}

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .ping = sq_ping,
    .user_create = sq_user_create,
    .user_get_by_name = sq_user_get_by_name,
    .user_get_by_id = sq_user_get_by_id,
    .user_list = sq_user_list,
    .user_update = sq_user_update,
    .user_count = sq_user_count,
    .session_create = sq_session_create,
    .session_get = sq_session_get,
    .session_touch = sq_session_touch,
    .session_delete = sq_session_delete,
    .session_delete_user = sq_session_delete_user,
    .session_purge = sq_session_purge,
    .login_failure_add = sq_login_failure_add,
    .login_failure_count = sq_login_failure_count,
    .login_failure_clear = sq_login_failure_clear,
};
