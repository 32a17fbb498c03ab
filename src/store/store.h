/*
 * store.h - the one storage interface.
 *
 * A backend is a table of functions (struct store_ops), in the manner of SQLite's VFS; callers use
 * the thin store_*() wrappers below and never see SQL. Only src/store/ contains SQL.
 *
 * Threading: a struct store is one connection and must be used by one thread at a time. The server
 * opens one per worker thread and one per pool thread. Every call is atomic on its own (a single
 * statement or its own transaction).
 *
 * Return values: 0, or ERR_NOT_FOUND, ERR_EXISTS (unique key), ERR_CONFLICT (version mismatch),
 * ERR_DB (the database failed; a message went to the log). Out-params are zeroed on failure.
 */
#ifndef DISSENT_STORE_STORE_H
#define DISSENT_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USERNAME_MAX 64
#define DISPLAY_NAME_MAX 128
#define EMAIL_MAX 254
#define PWHASH_MAX 128
#define SESSION_HASH_LEN 32

/* An account. Strings are NUL-terminated and sized for their limits. */
struct user {
    int64_t id;                              /* assigned by the store */
    char username[USERNAME_MAX + 1];         /* [a-z0-9._-]{1,64}, unique */
    char display_name[DISPLAY_NAME_MAX + 1]; /* free text, may be empty */
    char email[EMAIL_MAX + 1];               /* may be empty */
    unsigned roles;                          /* bit set of enum role (core/user.h) */
    char pwhash[PWHASH_MAX];                 /* Argon2id hash string */
    bool disabled;                           /* cannot log in; sessions were deleted */
    int64_t created_at;                      /* unix seconds */
    int64_t updated_at;                      /* unix seconds */
    int64_t version;                         /* bumped by every update, starts at 1 */
};

/* A login session. Only the SHA-256 of the bearer token is stored. */
struct session {
    uint8_t hash[SESSION_HASH_LEN]; /* SHA-256 of the token in the cookie */
    int64_t user_id;                /* owner */
    int64_t created_at;             /* unix seconds */
    int64_t last_seen;              /* unix seconds, updated at most once a minute */
};

struct store;

/* The backend table. Every function gets the store it was opened as. */
struct store_ops {
    const char *name;
    void (*close)(struct store *st);
    int (*ping)(struct store *st);
    int (*user_create)(struct store *st, struct user *u);
    int (*user_get_by_name)(struct store *st, const char *username, struct user *out);
    int (*user_get_by_id)(struct store *st, int64_t id, struct user *out);
    int (*user_list)(struct store *st, const char *after, int limit, struct user **out,
                     size_t *count);
    int (*user_update)(struct store *st, struct user *u);
    int (*user_count)(struct store *st, int64_t *count);
    int (*session_create)(struct store *st, const struct session *s);
    int (*session_get)(struct store *st, const uint8_t hash[SESSION_HASH_LEN], struct session *out);
    int (*session_touch)(struct store *st, const uint8_t hash[SESSION_HASH_LEN], int64_t now);
    int (*session_delete)(struct store *st, const uint8_t hash[SESSION_HASH_LEN]);
    int (*session_delete_user)(struct store *st, int64_t user_id);
    int (*session_purge)(struct store *st, int64_t idle_before, int64_t created_before);
    int (*login_failure_add)(struct store *st, const char *key, int64_t now);
    int (*login_failure_count)(struct store *st, const char *key, int64_t since, int *count,
                               int64_t *oldest);
    int (*login_failure_clear)(struct store *st, const char *key);
};

/* The common head of every backend's connection object. */
struct store {
    const struct store_ops *ops; /* the backend */
};

/**
 * store_open() - open (creating and migrating if needed) the database described by @uri.
 * @uri: "sqlite:PATH" or a bare directory (then PATH is DIR/dissent.db).
 * @out: receives the connection; the caller owns it and frees it with store_close().
 * Returns 0, ERR_INVALID (unknown scheme) or ERR_DB, with a message in @err.
 */
int store_open(const char *uri, struct store **out, char *err, size_t errlen);

/** store_close() - close a connection; NULL is a no-op. */
void store_close(struct store *st);

/** store_ping() - 0 when the database answers a trivial query. */
int store_ping(struct store *st);

/** store_user_create() - insert @u (id, version, timestamps are set in @u). ERR_EXISTS if taken. */
int store_user_create(struct store *st, struct user *u);

/** store_user_get_by_name() - load the user called @username into @out. */
int store_user_get_by_name(struct store *st, const char *username, struct user *out);

/** store_user_get_by_id() - load user @id into @out. */
int store_user_get_by_id(struct store *st, int64_t id, struct user *out);

/**
 * store_user_list() - up to @limit users ordered by username, starting after @after
 * (NULL or "" for the first page). *@out is a malloc'd array the caller frees with free().
 */
int store_user_list(struct store *st, const char *after, int limit, struct user **out,
                    size_t *count);

/**
 * store_user_update() - write every mutable field of @u when the stored version equals
 * @u->version; then @u->version is incremented. ERR_CONFLICT on a version mismatch.
 */
int store_user_update(struct store *st, struct user *u);

/** store_user_count() - number of accounts. */
int store_user_count(struct store *st, int64_t *count);

/** store_session_create() - insert a session. */
int store_session_create(struct store *st, const struct session *s);

/** store_session_get() - load the session whose token hashes to @hash. */
int store_session_get(struct store *st, const uint8_t hash[SESSION_HASH_LEN], struct session *out);

/** store_session_touch() - set last_seen to @now. */
int store_session_touch(struct store *st, const uint8_t hash[SESSION_HASH_LEN], int64_t now);

/** store_session_delete() - remove one session (no error if absent). */
int store_session_delete(struct store *st, const uint8_t hash[SESSION_HASH_LEN]);

/** store_session_delete_user() - remove every session of @user_id. */
int store_session_delete_user(struct store *st, int64_t user_id);

/** store_session_purge() - remove sessions idle since before @idle_before or created before
 *  @created_before. */
int store_session_purge(struct store *st, int64_t idle_before, int64_t created_before);

/** store_login_failure_add() - record a failed login under @key ("u:NAME" or "a:ADDR"). */
int store_login_failure_add(struct store *st, const char *key, int64_t now);

/** store_login_failure_count() - failures under @key at or after @since, and the oldest's time
 *  (0 when none). Older records are deleted on the way. */
int store_login_failure_count(struct store *st, const char *key, int64_t since, int *count,
                              int64_t *oldest);

/** store_login_failure_clear() - forget the failures under @key (after a successful login). */
int store_login_failure_clear(struct store *st, const char *key);

/* Backends. */
int store_sqlite_open(const char *path, struct store **out, char *err, size_t errlen);

#endif
