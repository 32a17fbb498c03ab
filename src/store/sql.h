/*
 * sql.h - the one SQL layer of the store, and the thin driver interface under it.
 *
 * store.c (the integrity checks, fault injection, the seals of store.h's "Who") calls the sql_*()
 * operations below; sql.c holds every statement once, written for both databases, and runs it
 * through a driver. A driver (sqlite.c, pg.c) is a connection and the table of functions at the
 * end of this file: statements, parameters, rows and columns, transactions, and the few things
 * that are the database's own (its schema and migrations, the leader lock, the bulk copy).
 *
 * Statements use numbered placeholders (?1, ?2, ...) only; the PostgreSQL driver turns them into
 * $1, $2. Where the two dialects differ, sql.c's dialect table says so (docs/architecture.md).
 * Only src/store/ includes this header.
 *
 * A statement is prepared (which resets it), bound, stepped, its columns read, and reset; each of
 * a connection's statements is one object, so two different ones may be read at once but one
 * cannot be prepared again while its rows are still being read. changes() is the connection's,
 * of the last statement run.
 */
#ifndef DISSENT_STORE_SQL_H
#define DISSENT_STORE_SQL_H

#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The dialects: which text of a statement the dialect table gives a driver. */
enum sql_dialect { SQL_SQLITE, SQL_PG, SQL__DIALECTS };

/* More than the number of statements in sql.c (a static assertion there checks it). */
#define SQL_MAX_STMT 192

/* What a step gives: a row, the end, or a failure (ERR_EXISTS for a constraint, else ERR_DB). */
#define SQL_ROW 1
#define SQL_DONE 0

/* The head of a prepared statement; the driver's own follows it (a sqlite3_stmt, or PostgreSQL's
 * parameters and result). */
struct sql_stmt {
    struct store *st; /* the connection it belongs to */
    bool write;       /* not a SELECT: each step counts in st->writes (the read cache) */
};

/* A driver: every function gets the store it was opened as, or one of its statements. */
struct sql_driver {
    const char *name;
    enum sql_dialect dialect;
    /* connect @st (zeroed, @drv set) to @target, configure and migrate; sql_open() closes it
     * on failure */
    int (*connect)(struct store *st, const char *target, char *err, size_t errlen);
    void (*close)(struct store *st);
    void (*scrub)(struct store *st);
    /* The statement @id (< SQL_MAX_STMT) with @text, prepared once per connection and reused;
     * NULL on failure (logged). Parameters not bound before the step are NULL. */
    struct sql_stmt *(*prepare)(struct store *st, int id, const char *text);
    void (*bind_int)(struct sql_stmt *q, int pos, int64_t v);
    /* text and bytes are not copied: they must outlive the step; NULL binds SQL NULL; a position
     * past the statement's last placeholder is ignored (sql.c relies on it) */
    void (*bind_text)(struct sql_stmt *q, int pos, const char *s);
    void (*bind_blob)(struct sql_stmt *q, int pos, const void *p, size_t len);
    /* SQL_ROW, SQL_DONE, ERR_EXISTS (an integrity constraint) or ERR_DB (see errmsg) */
    int (*step)(struct sql_stmt *q);
    int (*columns)(struct sql_stmt *q);
    bool (*is_null)(struct sql_stmt *q, int col);
    int64_t (*col_int)(struct sql_stmt *q, int col);
    /* a column's bytes (text or blob), valid until the next column read or reset; NULL for
     * SQL NULL and when out of memory (is_null() tells them apart) */
    const uint8_t *(*col_bytes)(struct sql_stmt *q, int col, size_t *len);
    /* reset after the last step, bindings cleared */
    void (*reset)(struct sql_stmt *q);
    /* the rows the connection's last INSERT, UPDATE or DELETE wrote: read right after it */
    int64_t (*changes)(struct store *st);
    /* the last failure's message, for the log (never a parameter's value) */
    const char *(*errmsg)(struct store *st);
    /* SQL without parameters, several statements allowed: 0, ERR_EXISTS or ERR_DB (logged) */
    int (*exec)(struct store *st, const char *sql);
    /* store.h: one writer at a time, across every server of the database */
    int (*begin)(struct store *st);
    int (*commit)(struct store *st);
    int (*rollback)(struct store *st);
    int (*leader)(struct store *st, bool *yes);
    /* the bulk copy (store_table_dump() and the rest): values typed as the database has them */
    int (*table_dump)(struct store *st, size_t table, store_row_fn row, void *ctx);
    int (*table_load)(struct store *st, size_t table, const struct store_value *row, size_t n);
    int (*load_finish)(struct store *st);
    /* Deferred inserts (store_defer()): send the insert @q (of one row) without waiting for
     * its answer, 0 or ERR_DB; the driver checks the answers of all it sent (each must have
     * written its row) before it runs anything else on the connection, and when one did not
     * it sets st->defer_failed and fails what it was about to run. NULL: not supported (the
     * insert runs at once, as without deferral). */
    int (*send)(struct sql_stmt *q);
    /* a number that changes whenever another connection (of this process or another) may have
     * changed the accounts, sessions or two-factor rows since it was last read: SQLite's
     * data_version (store.c's read cache); non-zero: none now (PostgreSQL: no cache) */
    int (*generation)(struct store *st, uint64_t *gen);
};

/* After a change this process's connection made and committed (a write statement outside a
 * transaction, a commit, a rollback): every connection's read cache asks its driver again
 * (store.c). */
void store_changed(void);

/* A new connection of @drv in *@out: an object of @size bytes (the driver's, struct store first)
 * connected to @target by drv->connect(). ERR_NOMEM, or its error (with @err) and *@out NULL. */
int sql_open(const struct sql_driver *drv, size_t size, const char *target, struct store **out,
             char *err, size_t errlen);

/* 0 when a database's schema @version is one this binary knows (at most @latest), else ERR_DB
 * with @err saying so. */
int sql_schema_known(int version, int latest, char *err, size_t errlen);

/* A driver's table, from functions named P_connect, P_close, ... P_load_finish. */
#define SQL_DRIVER(NAME, DIALECT, P)                                                               \
    {                                                                                              \
        .name = NAME, .dialect = DIALECT, .connect = P##_connect, .close = P##_close,              \
        .scrub = P##_scrub, .prepare = P##_prepare, .bind_int = P##_bind_int,                      \
        .bind_text = P##_bind_text, .bind_blob = P##_bind_blob, .step = P##_step,                  \
        .columns = P##_columns, .is_null = P##_is_null, .col_int = P##_col_int,                    \
        .col_bytes = P##_col_bytes, .reset = P##_reset, .changes = P##_changes,                    \
        .errmsg = P##_errmsg, .exec = P##_exec, .begin = P##_begin, .commit = P##_commit,          \
        .rollback = P##_rollback, .leader = P##_leader, .table_dump = P##_table_dump,              \
        .table_load = P##_table_load, .load_finish = P##_load_finish,                              \
        .generation = P##_generation, .send = P##_send                                             \
    }

/* ---- the operations, one per store_*() entry point (store.h documents each) ---- */

int sql_ping(struct store *st);
int sql_user_create(struct store *st, struct user *u);
int sql_user_get_by_name(struct store *st, const char *username, struct user *out);
int sql_user_get_by_id(struct store *st, int64_t id, struct user *out);
int sql_user_list(struct store *st, const char *after, int limit, struct user **out, size_t *count);
int sql_user_update(struct store *st, struct user *u);
int sql_user_count(struct store *st, int64_t *count);
int sql_ops_figures(struct store *st, struct store_ops_figures *out);
int sql_user_seal(struct store *st, int64_t id, const uint8_t mac[STORE_MAC_LEN]);
int sql_memo_last_id(struct store *st, int64_t *id);
int sql_user_last_id(struct store *st, int64_t *id);
int sql_session_create(struct store *st, const struct session *s);
int sql_session_get(struct store *st, const uint8_t hash[HASH_SHA256_LEN], struct session *out);
int sql_session_touch(struct store *st, const uint8_t hash[HASH_SHA256_LEN], int64_t now);
int sql_session_delete(struct store *st, const uint8_t hash[HASH_SHA256_LEN]);
int sql_session_delete_user(struct store *st, int64_t user_id);
int sql_session_purge(struct store *st, int64_t idle_before, int64_t created_before);
int sql_login_failure_add(struct store *st, const char *key, int64_t now);
int sql_login_failure_count(struct store *st, const char *key, int64_t since, int *count,
                            int64_t *newest);
int sql_login_failure_take(struct store *st, const char *key, int64_t at);
int sql_login_failure_clear(struct store *st, const char *key);
int sql_memo_create(struct store *st, struct memo *m);
int sql_memo_get(struct store *st, const char *public_id, struct memo *out);
int sql_memo_update(struct store *st, struct memo *m); /* writes m->mac too */
/* the memo's keys, members, signatures, comments and events, then its row at m->version
 * (ERR_CONFLICT when it changed), its id kept among the deleted */
int sql_memo_delete(struct store *st, const struct memo *m);
/* the MAC, and the sealed drafter when @drafter is not NULL */
int sql_memo_seal(struct store *st, int64_t id, const uint8_t *drafter,
                  const uint8_t mac[STORE_MAC_LEN]);
/* every memo with an internal id above @after, by id, at most @limit (adoption) */
int sql_memo_page(struct store *st, int64_t after, int limit, struct memo **out, size_t *count);
int sql_memo_list(struct store *st, const struct memo_filter *f, struct memo **out, size_t *count);
int sql_member_drop(struct store *st, int64_t memo_id, int64_t user_id, unsigned relation);
int sql_member_add(struct store *st, int64_t memo_id, int64_t ref, const uint8_t who[STORE_WHO_LEN],
                   unsigned relation, int64_t at);
int sql_member_get(struct store *st, int64_t memo_id, int64_t ref, struct store_related *out);
/* the member rows of @refs[0..@n) (n <= STORE_MEMBERS_MANY) on memo @memo_id, each as
 * sql_member_list() gives it */
int sql_member_get_many(struct store *st, int64_t memo_id, const int64_t *refs, size_t n,
                        struct memo_member **out, size_t *count);
int sql_member_list(struct store *st, int64_t memo_id, unsigned relation, struct memo_member **out,
                    size_t *count);
int sql_signature_add(struct store *st, const struct signature *sig);
int sql_signature_withdraw(struct store *st, int64_t memo_id, int64_t user_id);
/* a valid signature's row (value 1, at its time) */
int sql_signature_has(struct store *st, int64_t memo_id, int64_t ref, struct store_related *out);
int sql_signature_void_all(struct store *st, int64_t memo_id, const char *reason, int64_t at);
int sql_signature_list(struct store *st, int64_t memo_id, bool include_void, struct signature **out,
                       size_t *count);
int sql_comment_add(struct store *st, int64_t memo_id, struct memo_comment *c);
int sql_comment_list(struct store *st, int64_t memo_id, struct memo_comment **out, size_t *count);
int sql_event_add(struct store *st, int64_t memo_id, const char *kind,
                  const uint8_t actor[STORE_WHO_LEN], const char *detail, int64_t at);
int sql_event_list(struct store *st, int64_t memo_id, struct memo_event **out, size_t *count);
/* every actor id still in clear in the audit, comments and timeline (store.h, "Who") */
int sql_legacy_actors(struct store *st, struct legacy_actor **out, size_t *count);
int sql_legacy_actor_set(struct store *st, enum store_who table, int64_t id,
                         const uint8_t who[STORE_WHO_LEN]);
/* every timeline detail of an older version's clear shapes, not yet MAC'd ("mac:") */
int sql_legacy_texts(struct store *st, struct legacy_text **out, size_t *count);
int sql_legacy_text_set(struct store *st, enum store_legacy table, int64_t id, const char *text);
/* every row naming an account in clear in memos, memo_members, signatures and memo_keys */
int sql_legacy_people(struct store *st, struct legacy_person **out, size_t *count);
/* replace @p's clear id with @ref (and @who, and a signature's sealed @note and @vkey) */
int sql_legacy_person_set(struct store *st, const struct legacy_person *p, int64_t ref,
                          const uint8_t who[STORE_WHO_LEN], const char *note, const char *vkey);
/* a sealed key and its MAC are stored as one blob (sealed || mac); a row written before the MAC
 * existed reads as a zero MAC */
int sql_memo_key_put(struct store *st, int64_t memo_id, int64_t user_id,
                     const uint8_t sealed[STORE_SEALED_LEN], const uint8_t mac[STORE_MAC_LEN],
                     int64_t at);
int sql_memo_key_get(struct store *st, int64_t memo_id, int64_t user_id,
                     uint8_t sealed[STORE_SEALED_LEN], uint8_t mac[STORE_MAC_LEN]);
int sql_memo_key_delete(struct store *st, int64_t memo_id, int64_t user_id);
int sql_memo_keys_of(struct store *st, int64_t user_id, struct memo_key_row **out, size_t *count);
int sql_memo_keys_of_channel(struct store *st, int64_t user_id, int64_t channel,
                             struct memo_key_row **out, size_t *count);
int sql_channel_key_get(struct store *st, int64_t channel, uint8_t pk[STORE_PUB_LEN]);
int sql_channel_key_rotate(struct store *st, int64_t channel, const uint8_t pk[STORE_PUB_LEN],
                           int64_t by, int64_t at);
int sql_channel_key_create(struct store *st, int64_t channel, const uint8_t pk[STORE_PUB_LEN],
                           int64_t by, int64_t at);
int sql_channel_grant_put(struct store *st, int64_t channel, int64_t user_id,
                          const uint8_t sealed[STORE_SEALED_LEN], const uint8_t mac[STORE_MAC_LEN],
                          int64_t by, int64_t at);
int sql_channel_grant_get(struct store *st, int64_t channel, int64_t user_id,
                          uint8_t sealed[STORE_SEALED_LEN], uint8_t mac[STORE_MAC_LEN]);
int sql_channel_grant_delete(struct store *st, int64_t channel, int64_t user_id);
/* (channel_id, sealed and MAC) of each grant of @user_id, in memo_key_row's memo_id/sealed/mac */
int sql_channel_grants_of(struct store *st, int64_t user_id, struct memo_key_row **out,
                          size_t *count);
int sql_user_revoke_keys(struct store *st, int64_t user_id, int64_t ref, unsigned what);
int sql_totp_get(struct store *st, int64_t user_id, struct user_totp *out);
int sql_totp_put(struct store *st, struct user_totp *t);
int sql_totp_update(struct store *st, struct user_totp *t);
int sql_totp_delete(struct store *st, int64_t user_id);
int sql_savepoint(struct store *st);
int sql_savepoint_release(struct store *st);
int sql_savepoint_rollback(struct store *st);
int sql_memo_head(struct store *st, const char *public_id, int *state, int64_t *version,
                  int *signer_count);
int sql_tlog_size(struct store *st, uint64_t *size);
int sql_tlog_set_size(struct store *st, uint64_t size);
int sql_tlog_tile_get(struct store *st, int level, uint64_t index, uint8_t **data, size_t *len,
                      unsigned *width);
int sql_tlog_tile_put(struct store *st, int level, uint64_t index, unsigned width,
                      const uint8_t *data, size_t len);
int sql_tlog_checkpoint_latest(struct store *st, uint64_t *size, char **text);
int sql_tlog_checkpoint_put(struct store *st, uint64_t size, const char *text, int64_t at);
int sql_tlog_checkpoint_get(struct store *st, uint64_t size, char **text, int *cosigs);
int sql_tlog_checkpoint_witnessed(struct store *st, int cosigs, uint64_t *size, char **text);
int sql_tlog_checkpoint_cosign(struct store *st, uint64_t size, const char *text, int cosigs);
int sql_audit_last(struct store *st, struct audit_record *out);
int sql_audit_insert(struct store *st, const struct audit_record *rec);
int sql_audit_set_hash(struct store *st, int64_t id, const uint8_t hash[32]);
int sql_audit_list(struct store *st, int64_t memo_id, int64_t after, int limit,
                   struct audit_record **out, size_t *count);
int sql_outbox_add(struct store *st, const struct outbox_item *it);
int sql_outbox_due(struct store *st, int64_t now, int limit, struct outbox_item **out,
                   size_t *count);
int sql_outbox_claim(struct store *st, int64_t id, int64_t now, int64_t until);
int sql_outbox_finish(struct store *st, int64_t id, int status, int attempts, int64_t next_at,
                      int64_t sent_at);
/* every row of an earlier version, in clear (with subject and body); and one row's email
 * replaced by @sealed (store.c, "sealed:"), its account and address columns emptied */
int sql_outbox_legacy(struct store *st, struct outbox_item **out, size_t *count);
int sql_outbox_reseal(struct store *st, int64_t id, const char *sealed);
int sql_outbox_list(struct store *st, int64_t after, int limit, struct outbox_item **out,
                    size_t *count);
int sql_notify_prefs_get(struct store *st, int64_t user_id, unsigned *off);
int sql_notify_prefs_set(struct store *st, int64_t user_id, unsigned off);
int sql_language_get(struct store *st, int64_t user_id, char *out, size_t len);
int sql_language_set(struct store *st, int64_t user_id, const char *code);
int sql_table_rows(struct store *st, size_t table, int64_t *count);
int sql_calendar_add(struct store *st, struct calendar_row *r);
int sql_calendar_update(struct store *st, const struct calendar_row *r);
int sql_calendar_list(struct store *st, struct calendar_row **out, size_t *count);
int sql_channel_add(struct store *st, struct channel_row *r);
int sql_channel_update(struct store *st, const struct channel_row *r);
int sql_channel_list(struct store *st, struct channel_row **out, size_t *count);
int sql_passkey_add(struct store *st, struct passkey_row *r);
int sql_passkey_list(struct store *st, int64_t user_id, struct passkey_row **out, size_t *count);
int sql_passkey_find(struct store *st, const uint8_t *cred, size_t len, struct passkey_row *out);
int sql_passkey_used(struct store *st, const struct passkey_row *r, int64_t before);
int sql_passkey_delete(struct store *st, int64_t user_id, int64_t id);
int sql_passkey_delete_all(struct store *st, int64_t user_id);
int sql_challenge_put(struct store *st, const uint8_t hash[32], int64_t user_id, int purpose,
                      int64_t expires, const uint8_t mac[32], int64_t now);
int sql_hold_add(struct store *st, struct store_hold *h);
int sql_hold_list(struct store *st, struct store_hold **out, size_t *count);
int sql_hold_lift(struct store *st, const struct store_hold *h);
int sql_hold_seal(struct store *st, int64_t id, const uint8_t mac[STORE_MAC_LEN]);
int sql_tombstone_add(struct store *st, const struct store_tombstone *t);
int sql_tombstone_list(struct store *st, int limit, struct store_tombstone **out, size_t *count);
int sql_compact(struct store *st);
int sql_att_add(struct store *st, struct store_attachment *a);
int sql_att_get(struct store *st, int64_t memo_id, const char *public_id,
                struct store_attachment *out);
int sql_att_list(struct store *st, int64_t memo_id, struct store_attachment **out, size_t *count);
int sql_att_update(struct store *st, const struct store_attachment *a, int64_t was_received);
int sql_att_delete(struct store *st, int64_t id);
int sql_chunk_put(struct store *st, int64_t att_id, int64_t seq, const uint8_t *data, size_t len);
int sql_chunk_get(struct store *st, int64_t att_id, int64_t seq, uint8_t **data, size_t *len);
int sql_sso_add(struct store *st, const struct sso_link *l);
int sql_sso_get(struct store *st, int64_t user_id, struct sso_link *out);
int sql_sso_find(struct store *st, const char *issuer, const char *subject, struct sso_link *out);
int sql_sso_delete(struct store *st, int64_t user_id);
int sql_challenge_take(struct store *st, const uint8_t hash[32], bool take, int64_t *user_id,
                       int *purpose, int64_t *expires, uint8_t mac[32]);

#endif
