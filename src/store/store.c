/*
 * store.c - backend selection and the thin dispatch wrappers of store.h.
 */
#include "store/store.h"

#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_open(const char *uri, struct store **out, char *err, size_t errlen)
{
    char path[2048];

    *out = NULL;
    if (strncmp(uri, "sqlite:", 7) == 0)
        return store_sqlite_open(uri + 7, out, err, errlen);
    if (strstr(uri, "://") != NULL) {
        err_set(err, errlen, "unsupported database URI scheme");
        return ERR_INVALID;
    }
    if ((size_t)snprintf(path, sizeof(path), "%s/dissent.db", uri) >= sizeof(path)) {
        err_set(err, errlen, "data directory path too long");
        return ERR_INVALID;
    }
    return store_sqlite_open(path, out, err, errlen);
}

void store_close(struct store *st)
{
    if (st != NULL)
        st->ops->close(st);
}

int store_ping(struct store *st)
{
    return st->ops->ping(st);
}

int store_user_create(struct store *st, struct user *u)
{
    return st->ops->user_create(st, u);
}

int store_user_get_by_name(struct store *st, const char *username, struct user *out)
{
    return st->ops->user_get_by_name(st, username, out);
}

int store_user_get_by_id(struct store *st, int64_t id, struct user *out)
{
    return st->ops->user_get_by_id(st, id, out);
}

int store_user_list(struct store *st, const char *after, int limit, struct user **out,
                    size_t *count)
{
    return st->ops->user_list(st, after, limit, out, count);
}

int store_user_update(struct store *st, struct user *u)
{
    return st->ops->user_update(st, u);
}

int store_user_count(struct store *st, int64_t *count)
{
    return st->ops->user_count(st, count);
}

int store_session_create(struct store *st, const struct session *s)
{
    return st->ops->session_create(st, s);
}

int store_session_get(struct store *st, const uint8_t hash[SESSION_HASH_LEN], struct session *out)
{
    return st->ops->session_get(st, hash, out);
}

int store_session_touch(struct store *st, const uint8_t hash[SESSION_HASH_LEN], int64_t now)
{
    return st->ops->session_touch(st, hash, now);
}

int store_session_delete(struct store *st, const uint8_t hash[SESSION_HASH_LEN])
{
    return st->ops->session_delete(st, hash);
}

int store_session_delete_user(struct store *st, int64_t user_id)
{
    return st->ops->session_delete_user(st, user_id);
}

int store_session_purge(struct store *st, int64_t idle_before, int64_t created_before)
{
    return st->ops->session_purge(st, idle_before, created_before);
}

int store_login_failure_add(struct store *st, const char *key, int64_t now)
{
    return st->ops->login_failure_add(st, key, now);
}

int store_login_failure_count(struct store *st, const char *key, int64_t since, int *count,
                              int64_t *oldest)
{
    return st->ops->login_failure_count(st, key, since, count, oldest);
}

int store_login_failure_clear(struct store *st, const char *key)
{
    return st->ops->login_failure_clear(st, key);
}
