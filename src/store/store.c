/*
 * store.c - backend selection and the thin dispatch wrappers of store.h.
 */
#include "store/store.h"

#include "store/integrity.h"
#include "store/sql.h"
#include "store/tables.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "util/strutil.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEED_UPSERT " ON CONFLICT (id) DO UPDATE SET size = excluded.size"

const struct store_table store_tables[] = {
    {"users",
     "id, username, display_name, email, roles, pwhash, disabled, created_at, updated_at,"
     " version, sign_pk, box_pk, key_salt, keys_wrapped, recovery_wrapped, key_ops, key_mem,"
     " enrol_hash, enrol_expires, recovery_at, flags, log_tag, reset_at, confirm_by, reset_memo,"
     " mac, key_binding, channels, language",
     29, "id", "", "id", false},
    {"sessions", "hash, user_id, created_at, last_seen, keys_wrapped, mac", 6, "hash", "", NULL,
     false},
    {"login_failures", "key, at", 2, "key, at", "", NULL, false},
    {"channels", "id, slug, name, settings, created_at, mac, version", 7, "id",
     " ON CONFLICT (id) DO UPDATE SET slug = excluded.slug, name = excluded.name,"
     " settings = excluded.settings, created_at = excluded.created_at, mac = excluded.mac,"
     " version = excluded.version",
     NULL, true},
    {"memos",
     "id, public_id, drafter_id, state, title, body, digest, show_names, version, created_at,"
     " updated_at, filed_day, ack_day, ack_due, reply_due, reply_max, replied_day, closed_day,"
     " reason, reply, reply_note, log_tag, log_salt, log_index, mac, drafter, files, channel_id",
     28, "id", "", "id", false},
    {"memo_members", "memo_id, user_id, relation, at, who", 5, "memo_id, user_id", "", NULL, false},
    {"signatures", "id, memo_id, user_id, note, vkey, created_at, voided_at, void_reason, who", 9,
     "id", "", "id", false},
    {"comments", "id, memo_id, author_id, body, at, author", 6, "id", "", "id", false},
    {"memo_events", "id, memo_id, kind, actor_id, detail, at, actor", 7, "id", "", "id", false},
    {"memo_keys", "memo_id, user_id, sealed, at", 4, "memo_id, user_id", "", NULL, false},
    {"memo_gone", "id", 1, "id", "", NULL, false},
    {"channel_key", "id, pk, created_by, at", 4, "id", "", NULL, false},
    {"channel_grants", "user_id, sealed, granted_by, at, channel_id", 5, "user_id, channel_id", "",
     NULL, false},
    {"audit", "id, memo_id, actor_id, action, at, hash, actor", 7, "id", "", NULL, false},
    {"tlog_state", "id, size", 2, "id", SEED_UPSERT, NULL, true},
    {"tlog_tiles", "level, idx, width, data", 4, "level, idx", "", NULL, false},
    {"tlog_checkpoints", "size, text, at, cosigs", 4, "size", "", NULL, false},
    {"outbox",
     "id, dedupe, kind, user_id, rcpt, subject, body, status, attempts, next_at, created_at,"
     " sent_at, mac",
     13, "id", "", "id", false},
    {"notify_prefs", "user_id, off, language", 3, "user_id", "", NULL, false},
    {"calendar", "id, kind, first_day, last_day, reason, created_at, removed_at, mac", 8, "id", "",
     "id", false},
    {"passkeys",
     "id, user_id, cred_id, alg, pk, sign_count, name, prf_salt, wrapped, created_at,"
     " last_used_at, mac",
     12, "id", "", "id", false},
    {"webauthn_challenges", "hash, user_id, purpose, expires_at, mac", 5, "hash", "", NULL, false},
    {"sso_links", "user_id, issuer, subject, linked_at, mac", 5, "user_id", "", NULL, false},
    {"attachments",
     "id, memo_id, public_id, position, size, received, chunks, complete, meta, stream,"
     " created_at",
     11, "id", "", "id", false},
    {"attachment_chunks", "att_id, seq, data", 3, "att_id, seq", "", NULL, false},
    {"holds",
     "id, memo, from_day, to_day, reason, placed_by, placed_at, lifted_by, lifted_at,"
     " lift_reason, mac",
     11, "id", "", "id", false},
    {"tombstones", "public_id, state, final_at, shredded_at", 4, "public_id", "", NULL, false},
    {"user_totp",
     "user_id, sealed, enabled, last_step, codes, created_at, updated_at, version, mac", 9,
     "user_id", "", NULL, false},
};
const size_t store_tables_count = sizeof(store_tables) / sizeof(store_tables[0]);
_Static_assert(sizeof(store_tables) / sizeof(store_tables[0]) <= STORE_TABLES_MAX,
               "STORE_TABLES_MAX is too small");

/* Fault injection (store_fault_at()): true when this call is the armed one. */
static bool store_fault(struct store *st)
{
    if (st->fault_at == 0)
        return false;
    if (++st->fault_calls != st->fault_at)
        return false;
    st->fault_fired = true;
    st->fault_commits = st->commits;
    return true;
}

/*
 * The result @rc of a write: outside a transaction, a successful one is a commit of its own.
 * (Storing a checkpoint is not counted: it caches a signature that any server would make
 * identically from the tree, whether or not the request that needed it succeeds.)
 */
static int written(struct store *st, int rc)
{
    if (rc == 0 && !st->in_txn)
        st->commits++;
    return rc;
}

void store_fault_at(struct store *st, long n)
{
    if (n <= 0) {
        st->fault_at = 0;
        return;
    }
    st->fault_calls = 0;
    st->fault_fired = false;
    st->fault_at = n;
}

bool store_fault_fired(const struct store *st)
{
    return st->fault_fired;
}

size_t store_table_count(void)
{
    return store_tables_count;
}

const char *store_table_name(size_t table)
{
    return table < store_tables_count ? store_tables[table].name : NULL;
}

bool store_table_seeded(size_t table)
{
    return table < store_tables_count && store_tables[table].seeded;
}

int store_table_dump(struct store *st, size_t table, store_row_fn row, void *ctx)
{
    if (table >= store_tables_count)
        return ERR_INVALID;
    return st->drv->table_dump(st, table, row, ctx);
}

int store_table_load(struct store *st, size_t table, const struct store_value *row, size_t n)
{
    if (table >= store_tables_count || n != store_tables[table].ncols)
        return ERR_INVALID;
    return st->drv->table_load(st, table, row, n);
}

int store_table_rows(struct store *st, size_t table, int64_t *count)
{
    *count = 0;
    if (table >= store_tables_count)
        return ERR_INVALID;
    return sql_table_rows(st, table, count);
}

int store_load_finish(struct store *st)
{
    return st->drv->load_finish(st);
}

int store_sqlite_path(const char *uri, char *out, size_t len)
{
    int n;

    if (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0)
        return ERR_INVALID;
    if (strncmp(uri, "sqlite:", 7) == 0)
        n = snprintf(out, len, "%s", uri + 7);
    else if (strstr(uri, "://") != NULL)
        return ERR_INVALID;
    else
        n = snprintf(out, len, "%s/dissent.db", uri);
    return n < 0 || (size_t)n >= len ? ERR_INVALID : 0;
}

int store_open(const char *uri, struct store **out, char *err, size_t errlen)
{
    char path[2048];

    *out = NULL;
    if (strncmp(uri, "sqlite:", 7) == 0)
        return store_sqlite_open(uri + 7, out, err, errlen);
    if (strncmp(uri, "postgresql://", 13) == 0 || strncmp(uri, "postgres://", 11) == 0)
        return store_pg_open(uri, out, err, errlen);
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

static void store_cache_free(struct store *st);

void store_close(struct store *st)
{
    if (st != NULL) {
        store_cache_free(st);
        mem_free(st->trust_key); /* wiped */
        mem_free(st->log_mac_key);
        mem_free(st->trust_dir);
        st->trust_key = NULL;
        st->log_mac_key = NULL;
        st->trust_dir = NULL;
        st->drv->close(st);
    }
}

int store_trust_set(struct store *st, const uint8_t key[STORE_TRUST_KEY_LEN],
                    const uint8_t *log_key, const char *dir)
{
    char *d = mem_strdup(dir);

    if (d == NULL)
        return ERR_NOMEM;
    if ((st->trust_key == NULL && (st->trust_key = mem_alloc(STORE_TRUST_KEY_LEN)) == NULL) ||
        (log_key != NULL && st->log_mac_key == NULL &&
         (st->log_mac_key = mem_alloc(STORE_TRUST_KEY_LEN)) == NULL)) {
        mem_free(d);
        return ERR_NOMEM;
    }
    memcpy(st->trust_key, key, STORE_TRUST_KEY_LEN);
    if (log_key != NULL)
        memcpy(st->log_mac_key, log_key, STORE_TRUST_KEY_LEN);
    mem_free(st->trust_dir);
    st->trust_dir = d;
    st->writes++; /* rows checked under another key are not the read cache's any more */
    return 0;
}

int store_ping(struct store *st)
{
    return sql_ping(st);
}

void store_scrub(struct store *st)
{
    st->drv->scrub(st);
}

/* Check a loaded account; a failing one is wiped (no hash, no keys) before anything sees it. */
static int user_checked(struct store *st, struct user *u, int rc)
{
    uint8_t want[STORE_MAC_LEN];

    if (rc != 0)
        return rc;
    if ((rc = integ_user(st, u, want)) == 0)
        rc = integ_check(st, want, u->mac, "account", u->id);
    if (rc != 0)
        memset(u, 0, sizeof(*u));
    return rc;
}

/* Keys without a binding are a bug of the caller (core/trust.h: trust_bind()); no keys, no
 * binding. */
static int binding_kept(const struct store *st, struct user *u)
{
    if (!u->has_keys)
        memset(u->key_binding, 0, sizeof(u->key_binding));
    else if (u->key_binding[0] == '\0' && !st->adopting) {
        log_error("store: account %lld has keys without a binding (a bug)", (long long)u->id);
        return ERR_INTERNAL;
    }
    return 0;
}

int store_user_create(struct store *st, struct user *u)
{
    bool own = !st->in_txn;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = binding_kept(st, u)) != 0)
        return rc;
    if (u->channels == 0)
        u->channels = 1; /* the deployment's own channel (core/channels.h) */
    /* the MAC covers the id the insert assigns: insert, then seal, in one transaction */
    memset(u->mac, 0, sizeof(u->mac));
    if (own && (rc = store_begin(st)) != 0)
        return rc;
    if ((rc = sql_user_create(st, u)) == 0 && (rc = integ_user(st, u, u->mac)) == 0)
        rc = sql_user_seal(st, u->id, u->mac);
    if (own)
        rc = rc == 0 ? store_commit(st) : (store_rollback(st), rc);
    return own ? rc : written(st, rc);
}

/*
 * The read cache of one connection: the rows every request reads again (its session, its
 * account, the account's two-factor row), kept while nothing may have changed them. It is
 * emptied (wiped) the moment anything may have: a write statement run on this connection
 * (st->writes, counted by sql.c before each runs), or the driver's generation moving, which
 * another connection's commit does (SQLite: data_version, any table, exact; PostgreSQL gives no
 * generation yet, pg.c says why, so there the cache is not used). Never used inside a
 * transaction, whose reads may see its own uncommitted writes. An account or two-factor row is
 * kept once it passed its integrity checks (a copy in this process's memory cannot be changed
 * by whoever writes the database); a session as read, checked by store_session_bound() at
 * each use.
 *
 * Asking the driver costs a read transaction (SQLite takes its WAL locks), a large part of a
 * request that reads nothing else. So it is asked only when this process's connections changed
 * something (process_changes, bumped after every write statement, commit and rollback of any of
 * them: exact within the process) or when the last answer is older than CACHE_FRESH_NS: a
 * commit by another process (the command line on the same SQLite file) is seen within that.
 */
#define CACHE_SLOTS 32          /* per kind of row, direct-mapped by key */
#define CACHE_FRESH_NS 1000000L /* 1 ms */

static _Atomic uint64_t process_changes;

void store_changed(void)
{
    atomic_fetch_add(&process_changes, 1);
}

static int64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct store_cache {
    bool valid;
    uint64_t gen;
    uint64_t changes; /* process_changes when the generation was last asked */
    int64_t asked_ns; /* and when (mono_ns()) */
    long writes;
    struct {
        bool used;
        struct session s;
    } sess[CACHE_SLOTS];
    struct {
        bool used;
        struct user u;
    } users[CACHE_SLOTS];
    struct {
        bool used;
        int64_t id;
        int rc; /* 0 or ERR_NOT_FOUND: an account without a row is as common */
        struct user_totp t;
    } totp[CACHE_SLOTS];
};

static void cache_clear(struct store *st, struct store_cache *c)
{
    wipe(c, sizeof(*c)); /* wrapped keys, sealed secrets: gone, not merely forgotten */
    st->cache_epoch++;
}

/* The cache, fresh, or NULL when it cannot be used now. */
static struct store_cache *cache_get(struct store *st)
{
    struct store_cache *c = st->cache;
    uint64_t gen, changes;
    int64_t now;

    if (st->in_txn || st->drv->generation == NULL)
        return NULL;
    /* within one request, once (store_cache_request()), unless it wrote meanwhile */
    if (st->cache_hold && st->cache_checked && c != NULL && c->valid && c->writes == st->writes)
        return c;
    /* read before anything the cache then keeps: a change after this moves it */
    changes = atomic_load(&process_changes);
    now = mono_ns();
    if (c != NULL && c->valid && c->writes == st->writes && c->changes == changes &&
        now >= c->asked_ns && now - c->asked_ns < CACHE_FRESH_NS) {
        st->cache_checked = st->cache_hold;
        return c;
    }
    if (st->drv->generation(st, &gen) != 0) { /* none now (PostgreSQL): no cache at all */
        st->cache_checked = false;
        if (c != NULL && c->valid)
            cache_clear(st, c);
        return NULL;
    }
    if (c == NULL && (c = st->cache = mem_calloc(1, sizeof(*c))) == NULL)
        return NULL;
    st->cache_checked = st->cache_hold;
    if (!c->valid || c->gen != gen || c->writes != st->writes) {
        cache_clear(st, c);
        c->valid = true;
        c->gen = gen;
        c->writes = st->writes;
    }
    c->changes = changes;
    c->asked_ns = now;
    return c;
}

bool store_cache_stamp(struct store *st, uint64_t *stamp)
{
    if (store_fault(st) || cache_get(st) == NULL)
        return false;
    *stamp = st->cache_epoch;
    return true;
}

static size_t slot_of(const void *key, size_t len)
{
    const uint8_t *p = key;
    uint64_t h = 1469598103934665603ull;

    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return (size_t)(h % CACHE_SLOTS);
}

void store_cache_request(struct store *st, bool on)
{
    st->cache_hold = on;
    st->cache_checked = false;
}

static void store_cache_free(struct store *st)
{
    if (st->cache != NULL) {
        cache_clear(st, st->cache);
        mem_free(st->cache);
        st->cache = NULL;
    }
}

int store_user_get_by_name(struct store *st, const char *username, struct user *out)
{
    if (store_fault(st))
        return ERR_DB;
    return user_checked(st, out, sql_user_get_by_name(st, username, out));
}

int store_user_get_by_id(struct store *st, int64_t id, struct user *out)
{
    struct store_cache *c;
    size_t k = slot_of(&id, sizeof(id));
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((c = cache_get(st)) != NULL && c->users[k].used && c->users[k].u.id == id) {
        *out = c->users[k].u; /* checked against its MAC when it was read */
        return 0;
    }
    rc = user_checked(st, out, sql_user_get_by_id(st, id, out));
    if (rc == 0 && c != NULL && st->writes == c->writes) {
        c->users[k].used = true;
        c->users[k].u = *out;
    }
    return rc;
}

int store_user_list(struct store *st, const char *after, int limit, struct user **out,
                    size_t *count)
{
    uint8_t want[STORE_MAC_LEN];
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = sql_user_list(st, after, limit, out, count)) != 0)
        return rc;
    for (size_t i = 0; i < *count; i++) {
        struct user *u = &(*out)[i];
        if ((rc = integ_user(st, u, want)) != 0) {
            mem_free(*out);
            *out = NULL;
            *count = 0;
            return rc;
        }
        if (integ_check(st, want, u->mac, "account", u->id) != 0) {
            /* nothing may be decided on what a failing row says: only its id and name stay
             * (the name keeps callers' pages in order), disabled, without roles or keys */
            struct user keep = {.id = u->id, .disabled = true, .flags = STORE_USER_TAMPERED};
            memcpy(keep.username, u->username, sizeof(keep.username));
            *u = keep;
        }
    }
    return 0;
}

int store_user_update(struct store *st, struct user *u)
{
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if (u->flags & STORE_USER_TAMPERED)
        return ERR_INTEGRITY; /* never re-MAC what failed its check */
    if ((rc = binding_kept(st, u)) != 0 || (rc = integ_user(st, u, u->mac)) != 0)
        return rc;
    return written(st, sql_user_update(st, u));
}

int store_memo_last_id(struct store *st, int64_t *id)
{
    *id = 0;
    if (store_fault(st))
        return ERR_DB;
    return sql_memo_last_id(st, id);
}

int store_user_last_id(struct store *st, int64_t *id)
{
    *id = 0;
    if (store_fault(st))
        return ERR_DB;
    return sql_user_last_id(st, id);
}

int store_user_count(struct store *st, int64_t *count)
{
    if (store_fault(st))
        return ERR_DB;
    return sql_user_count(st, count);
}

int store_session_create(struct store *st, const struct session *s)
{
    struct session c = *s;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_session(st, &c, c.mac)) == 0)
        rc = written(st, sql_session_create(st, &c));
    memset(&c, 0, sizeof(c));
    return rc;
}

int store_session_get(struct store *st, const uint8_t hash[HASH_SHA256_LEN], struct session *out)
{
    struct store_cache *c;
    size_t k = slot_of(hash, HASH_SHA256_LEN);
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((c = cache_get(st)) != NULL && c->sess[k].used &&
        hash_equal(c->sess[k].s.hash, hash, HASH_SHA256_LEN)) {
        *out = c->sess[k].s;
        return 0;
    }
    rc = sql_session_get(st, hash, out);
    if (rc == 0 && c != NULL && st->writes == c->writes) {
        c->sess[k].used = true;
        c->sess[k].s = *out;
    }
    return rc;
}

int store_session_bound(struct store *st, const struct session *s, const struct user *u)
{
    uint8_t want[STORE_MAC_LEN];
    struct session c = *s;
    int rc;

    if (u->id != s->user_id || !u->has_log_tag) {
        log_error("integrity: session of account %lld fails its integrity check: it is not "
                  "that account's",
                  (long long)s->user_id);
        return ERR_INTEGRITY;
    }
    memcpy(c.user_tag, u->log_tag, sizeof(c.user_tag));
    if ((rc = integ_session(st, &c, want)) == 0)
        rc = integ_check(st, want, s->mac, "session of account", s->user_id);
    memset(&c, 0, sizeof(c));
    return rc;
}

int store_session_touch(struct store *st, const uint8_t hash[HASH_SHA256_LEN], int64_t now)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_session_touch(st, hash, now));
}

int store_session_delete(struct store *st, const uint8_t hash[HASH_SHA256_LEN])
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_session_delete(st, hash));
}

int store_session_delete_user(struct store *st, int64_t user_id)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_session_delete_user(st, user_id));
}

int store_session_purge(struct store *st, int64_t idle_before, int64_t created_before)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_session_purge(st, idle_before, created_before));
}

int store_login_failure_add(struct store *st, const char *key, int64_t now)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_login_failure_add(st, key, now));
}

int store_login_failure_count(struct store *st, const char *key, int64_t since, int *count,
                              int64_t *newest)
{
    if (store_fault(st))
        return ERR_DB;
    return sql_login_failure_count(st, key, since, count, newest);
}

int store_login_failure_take(struct store *st, const char *key, int64_t at)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_login_failure_take(st, key, at));
}

int store_login_failure_clear(struct store *st, const char *key)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_login_failure_clear(st, key));
}

int store_begin(struct store *st)
{
    int rc;

    if (store_fault(st))
        return ERR_DB;
    st->audit_known = false;
    st->defer = st->defer_failed = false;
    if ((rc = st->drv->begin(st)) == 0)
        st->in_txn = true;
    return rc;
}

void store_defer(struct store *st)
{
    if (st->in_txn)
        st->defer = true;
}

bool store_defer_failed(const struct store *st)
{
    return st->defer_failed;
}

int store_commit(struct store *st)
{
    int rc;

    st->in_txn = false;
    st->audit_known = false;
    st->defer = false;
    if (store_fault(st)) {
        st->drv->rollback(st);
        return ERR_DB;
    }
    if ((rc = st->drv->commit(st)) == 0)
        st->commits++;
    store_changed(); /* committed or not, the read caches look again */
    return rc;
}

int store_rollback(struct store *st)
{
    int rc;

    st->in_txn = false;
    st->audit_known = false;
    st->defer = false;
    st->writes++; /* what the transaction read or wrote is not the cache's */
    rc = st->drv->rollback(st);
    store_changed();
    return rc;
}

int store_memo_create(struct store *st, struct memo *m)
{
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if (m->channel_id == 0)
        m->channel_id = 1; /* the deployment's own channel (core/channels.h) */
    /* the id is the database's: the row is inserted, then sealed, in the caller's transaction.
     * The MAC is of @m as written (the columns it leaves to their defaults are the defaults in
     * @m too: no digest, days STORE_DAY_NONE, no reason, reply or log fields), never of the row
     * read back: a trigger in the database would have it vouch for what it wrote */
    if ((rc = integ_ref(st, m->drafter_id, &m->drafter_ref)) == 0 &&
        (rc = sql_memo_create(st, m)) == 0 &&
        (rc = integ_who_seal(st, STORE_WHO_DRAFTER, m->id, 0, NULL, m->drafter_id, m->drafter)) ==
            0 &&
        (rc = integ_memo(st, m, m->mac)) == 0) {
        m->has_drafter = true;
        rc = sql_memo_seal(st, m->id, m->drafter, m->mac);
    }
    return written(st, rc);
}

int store_memo_get(struct store *st, const char *public_id, struct memo *out)
{
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = sql_memo_get(st, public_id, out)) != 0)
        return rc;
    if ((rc = integ_memo_check(st, out)) != 0)
        store_memo_release(out);
    return rc;
}

int store_memo_update(struct store *st, struct memo *m)
{
    int64_t version = m->version;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    /* the MAC covers the version the row will have */
    m->version = version + 1;
    rc = integ_memo(st, m, m->mac);
    m->version = version;
    if (rc != 0)
        return rc;
    return written(st, sql_memo_update(st, m));
}

int store_memo_delete(struct store *st, const struct memo *m)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_memo_delete(st, m));
}

/*
 * Whether @m, listed for @f (the viewer by id), is theirs to list: a memo they drafted, or a
 * filed one for officers, needs nothing more; one listed by their relation row needs that row's
 * sealed id to be theirs (a row the database was given lists nothing: logged).
 */
static int listed_rightly(struct store *st, const struct memo_filter *f, const struct memo *m,
                          bool *ok)
{
    int64_t id = 0;
    int rc = ERR_INTEGRITY;

    *ok = (f->drafted && m->drafter_id == f->user_id && m->id > f->since_id) ||
          (f->all_from > 0 && m->state >= f->all_from &&
           (f->channels == 0 || (m->channel_id >= 1 && m->channel_id <= 64 &&
                                 ((f->channels >> (m->channel_id - 1)) & 1)))); /* as the query */
    if (*ok)
        return 0;
    if (m->has_member &&
        (rc = integ_who_open(st, STORE_WHO_MEMBER, m->id, 0, m->public_id, m->member, &id)) != 0 &&
        rc != ERR_INTEGRITY)
        return rc;
    *ok = rc == 0 && id == f->user_id;
    if (!*ok)
        log_error("integrity: a member row of memo %lld does not name its account as Dissent "
                  "wrote it: it was changed outside Dissent; the memo is not listed by it",
                  (long long)m->id);
    return 0;
}

int store_memo_list(struct store *st, const struct memo_filter *f, struct memo **out, size_t *count)
{
    struct memo_filter next = *f;
    struct memo *all = NULL, *page = NULL;
    size_t kept = 0, n = 0;
    int rc = 0;

    *out = NULL;
    *count = 0;
    if (store_fault(st))
        return ERR_DB;
    if (f->limit <= 0)
        return 0;
    /* the rows name the drafter and the members by pseudonym (store.h, "Who") */
    if ((rc = integ_ref(st, f->user_id, &next.user_id)) != 0)
        return rc;
    if ((all = mem_calloc((size_t)f->limit, sizeof(*all))) == NULL)
        return ERR_NOMEM;
    /* a row that fails its MAC (logged by the backend's check) is not listed; the page is
     * filled from the rows after it, so that callers, which take a short page for the end,
     * still see every memo after it (deadline reminders, the reshare walk, lists) */
    while (rc == 0 && kept < (size_t)f->limit) {
        next.limit = f->limit - (int)kept;
        if ((rc = sql_memo_list(st, &next, &page, &n)) != 0)
            break;
        if (n > 0)
            next.after = page[n - 1].id; /* newest first: the next page is below it */
        for (size_t i = 0; i < n; i++) {
            bool ok = false;
            if (!page[i].tampered && rc == 0)
                rc = listed_rightly(st, f, &page[i], &ok);
            if (ok)
                all[kept++] = page[i];
            else
                store_memo_release(&page[i]);
        }
        mem_free(page);
        page = NULL;
        if (n < (size_t)next.limit)
            break; /* the end */
    }
    if (rc != 0) {
        store_memo_list_free(all, kept);
        return rc;
    }
    *out = all;
    *count = kept;
    return 0;
}

/* MAC every memo row as it is (adoption, and the conversion of an earlier version's rows). */
static int adopt_memos(struct store *st, int64_t *rows)
{
    struct memo *page = NULL;
    int64_t after = 0;
    size_t n = 0;
    int rc;

    do {
        if ((rc = sql_memo_page(st, after, 200, &page, &n)) != 0)
            return rc;
        for (size_t i = 0; i < n && rc == 0; i++)
            if ((rc = integ_drafter_open(st, &page[i])) == 0 &&
                (rc = integ_memo(st, &page[i], page[i].mac)) == 0 &&
                (rc = sql_memo_seal(st, page[i].id, NULL, page[i].mac)) == 0)
                ++*rows;
        if (n > 0)
            after = page[n - 1].id;
        store_memo_list_free(page, n);
        page = NULL;
    } while (rc == 0 && n == 200);
    return rc;
}

/* What a signature's sealed note or vkey (@field) is bound to (store.h, "Who"): the memo (its
 * id and random public id, never given twice), the signer's pseudonym and the time. */
static void signature_ad(char *ad, size_t len, int64_t memo_id, const char *public_id, int64_t ref,
                         int64_t at, const char *field)
{
    snprintf(ad, len, "dissent-signature/1 %lld %s %lld %lld %s", (long long)memo_id, public_id,
             (long long)ref, (long long)at, field);
}

static int open_person(struct store *st, enum store_who table, int64_t memo_id,
                       const char *public_id, int64_t row, int64_t ref, bool has,
                       const uint8_t who[STORE_WHO_LEN], int64_t *id, bool *ok);

int store_member_drop(struct store *st, int64_t memo_id, int64_t user_id, unsigned relation)
{
    int64_t ref;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_ref(st, user_id, &ref)) != 0)
        return rc;
    return written(st, sql_member_drop(st, memo_id, ref, relation));
}

int store_member_add(struct store *st, const struct memo *m, int64_t user_id, unsigned relation,
                     int64_t at)
{
    uint8_t who[STORE_WHO_LEN];
    int64_t ref;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_ref(st, user_id, &ref)) != 0 ||
        (rc = integ_who_seal(st, STORE_WHO_MEMBER, m->id, 0, m->public_id, user_id, who)) != 0)
        return rc;
    return written(st, sql_member_add(st, m->id, ref, who, relation, at));
}

int store_member_get(struct store *st, const struct memo *m, int64_t user_id, unsigned *relation)
{
    struct store_related r = {.found = false};
    int64_t ref, id = 0;
    bool ok = false;
    int rc;

    *relation = 0;
    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_ref(st, user_id, &ref)) != 0 ||
        (rc = sql_member_get(st, m->id, ref, &r)) != 0 || !r.found)
        return rc;
    /* a row the database was given (a forged invitation, a recusal) relates nobody */
    if ((rc = open_person(st, STORE_WHO_MEMBER, m->id, m->public_id, 0, ref, r.has_who, r.who, &id,
                          &ok)) == 0 &&
        ok && id == user_id)
        *relation = (unsigned)r.value;
    return rc;
}

int store_member_get_many(struct store *st, const struct memo *m, const int64_t *user_ids, size_t n,
                          unsigned *relations)
{
    int64_t refs[STORE_MEMBERS_MANY];
    struct memo_member *rows = NULL;
    size_t count = 0;
    int rc;

    if (n == 0 || n > STORE_MEMBERS_MANY)
        return ERR_INVALID;
    memset(relations, 0, n * sizeof(*relations));
    if (store_fault(st))
        return ERR_DB;
    for (size_t i = 0; i < n; i++)
        if ((rc = integ_ref(st, user_ids[i], &refs[i])) != 0)
            return rc;
    if ((rc = sql_member_get_many(st, m->id, refs, n, &rows, &count)) != 0)
        return rc;
    /* as store_member_get(): a row the database was given relates nobody */
    for (size_t r = 0; r < count && rc == 0; r++) {
        int64_t id = 0;
        bool ok = false;
        if ((rc = open_person(st, STORE_WHO_MEMBER, m->id, m->public_id, 0, rows[r].ref,
                              rows[r].has_who, rows[r].who, &id, &ok)) != 0 ||
            !ok)
            continue;
        for (size_t i = 0; i < n; i++)
            if (refs[i] == rows[r].ref && user_ids[i] == id)
                relations[i] = rows[r].relation;
    }
    mem_free(rows);
    if (rc != 0)
        memset(relations, 0, n * sizeof(*relations));
    return rc;
}

int store_signature_add(struct store *st, const struct memo *m, const struct signature *sig)
{
    struct signature c = *sig;
    char ad[160];
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if (sig->memo_id != m->id)
        return ERR_INTERNAL;
    c.note = c.vkey = NULL;
    if ((rc = integ_ref(st, sig->user_id, &c.ref)) == 0 &&
        (rc = integ_who_seal(st, STORE_WHO_SIGNER, m->id, sig->created_at, m->public_id,
                             sig->user_id, c.who)) == 0) {
        c.has_who = true;
        signature_ad(ad, sizeof(ad), m->id, m->public_id, c.ref, sig->created_at, "note");
        if ((rc = integ_text_seal(st, ad, sig->note, &c.note)) == 0) {
            signature_ad(ad, sizeof(ad), m->id, m->public_id, c.ref, sig->created_at, "vkey");
            rc = integ_text_seal(st, ad, sig->vkey, &c.vkey);
        }
    }
    if (rc == 0)
        rc = written(st, sql_signature_add(st, &c));
    mem_free(c.note);
    mem_free(c.vkey);
    return rc;
}

int store_signature_withdraw(struct store *st, int64_t memo_id, int64_t user_id)
{
    int64_t ref;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_ref(st, user_id, &ref)) != 0)
        return rc;
    return written(st, sql_signature_withdraw(st, memo_id, ref));
}

int store_signature_has(struct store *st, const struct memo *m, int64_t user_id, bool *yes)
{
    struct store_related r = {.found = false};
    int64_t ref, id = 0;
    bool ok = false;
    int rc;

    *yes = false;
    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_ref(st, user_id, &ref)) != 0 ||
        (rc = sql_signature_has(st, m->id, ref, &r)) != 0 || !r.found)
        return rc;
    if ((rc = open_person(st, STORE_WHO_SIGNER, m->id, m->public_id, r.at, ref, r.has_who, r.who,
                          &id, &ok)) == 0)
        *yes = ok && id == user_id;
    return rc;
}

int store_signature_void_all(struct store *st, int64_t memo_id, const char *reason, int64_t at)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_signature_void_all(st, memo_id, reason, at));
}

/* The names of accounts, looked up once per list (store.h, "Who": the rows name nobody). */
struct names {
    int64_t id[16];
    char user[16][USERNAME_MAX + 1];
    char disp[16][DISPLAY_NAME_MAX + 1];
    size_t n, next;
};

static int name_of(struct store *st, struct names *c, int64_t id, char *user, size_t ul, char *disp,
                   size_t dl)
{
    struct user u;
    size_t i;
    int rc = 0;

    for (i = 0; i < c->n && c->id[i] != id; i++)
        ;
    if (i == c->n) {
        i = c->n < 16 ? c->n++ : (c->next++ % 16);
        c->id[i] = id;
        c->user[i][0] = c->disp[i][0] = '\0';
        memset(&u, 0, sizeof(u));
        /* a deleted account, or one whose row fails its MAC, has no name */
        if (id > 0 && (rc = store_user_get_by_id(st, id, &u)) == 0) {
            str_copy(c->user[i], sizeof(c->user[i]), u.username);
            str_copy(c->disp[i], sizeof(c->disp[i]), u.display_name);
        }
        wipe(&u, sizeof(u));
        if (rc == ERR_NOT_FOUND || rc == ERR_INTEGRITY)
            rc = 0;
        if (rc != 0) {
            c->id[i] = -1; /* not cached: no account has that id */
            return rc;
        }
    }
    if (user != NULL)
        str_copy(user, ul, c->user[i]);
    if (disp != NULL)
        str_copy(disp, dl, c->disp[i]);
    return 0;
}

/*
 * Who acted in @table's @row of memo @memo_id, into *@id (in: the id in clear, if any): the id
 * sealed in @who (@has), or, before the conversion (store_trust_seal_actors()), the one in
 * clear. 0 (nobody), logged, when the sealed id does not open, or when an id in clear is met
 * afterwards. Returns 0, ERR_NOMEM or ERR_INTERNAL.
 */
static int open_actor(struct store *st, enum store_who table, int64_t memo_id, int64_t row,
                      const char *kind, bool has, const uint8_t who[STORE_WHO_LEN], int64_t *id)
{
    static const char *const what[] = {"read-audit record", "comment", "timeline event"};
    int rc;

    if (has) {
        if ((rc = integ_who_open(st, table, memo_id, row, kind, who, id)) != ERR_INTEGRITY)
            return rc;
        log_error("integrity: the actor of a %s of memo %lld does not open: it was changed "
                  "outside Dissent; it is shown as nobody",
                  what[table], (long long)memo_id);
        *id = 0;
        return 0;
    }
    if (st->actors_clear || st->adopting || *id == 0)
        return 0;
    log_error("integrity: a %s of memo %lld names its actor in clear: it was written outside "
              "Dissent; it is shown as nobody",
              what[table], (long long)memo_id);
    *id = 0;
    return 0;
}

/*
 * An older clear text marked by store_trust_adopt(): "mac:" <base64url MAC> ":" <text>. When
 * @text is one whose MAC passes for @t's row, it becomes the text alone and *@clear is set;
 * otherwise it is left as it is, and never shown (core/content.h opens "enc:" texts only).
 */
#define LEGACY_PREFIX "mac:"
#define LEGACY_MAC_B64 43 /* base64url of STORE_MAC_LEN bytes, unpadded */

static int legacy_open(struct store *st, struct legacy_text *t, char *text, bool *clear)
{
    uint8_t stored[STORE_MAC_LEN], want[STORE_MAC_LEN];
    size_t pre = sizeof(LEGACY_PREFIX) - 1, n = 0;
    int rc;

    *clear = false;
    if (text == NULL || strncmp(text, LEGACY_PREFIX, pre) != 0)
        return 0;
    if (strlen(text) < pre + LEGACY_MAC_B64 + 1 || text[pre + LEGACY_MAC_B64] != ':' ||
        b64_decode(stored, sizeof(stored), &n, text + pre, LEGACY_MAC_B64, true) != 0 ||
        n != sizeof(stored)) {
        log_error("integrity: a clear text of memo %lld is malformed: it is not shown",
                  (long long)t->memo_id);
        return 0;
    }
    t->text = text + pre + LEGACY_MAC_B64 + 1;
    if ((rc = integ_legacy(st, t, want)) != 0)
        return rc;
    if (integ_check(st, want, stored, "a clear text of memo", t->memo_id) != 0)
        return 0;
    memmove(text, t->text, strlen(t->text) + 1);
    *clear = true;
    return 0;
}

/*
 * The account a row names by pseudonym @ref and sealed id @who (@has), into *@id (store.h,
 * "Who"). false, logged, when the sealed id does not open there or is not @ref's: the row is
 * then left out. Before the conversion, a row of an earlier version names it in clear (@ref).
 */
static int open_person(struct store *st, enum store_who table, int64_t memo_id,
                       const char *public_id, int64_t row, int64_t ref, bool has,
                       const uint8_t who[STORE_WHO_LEN], int64_t *id, bool *ok)
{
    static const char *const what[] = {
        [STORE_WHO_MEMBER] = "member", [STORE_WHO_SIGNER] = "signature"};
    int64_t want = 0;
    int rc = 0;

    *id = 0;
    *ok = false;
    if (!has) {
        if ((st->actors_clear || st->adopting) && ref > 0 && ref < STORE_REF_MIN) {
            *id = ref;
            *ok = true;
            return 0;
        }
    } else if ((rc = integ_who_open(st, table, memo_id, row, public_id, who, id)) == 0 &&
               (rc = integ_ref(st, *id, &want)) == 0 && want == ref && *id > 0) {
        *ok = true;
        return 0;
    }
    if (rc != 0 && rc != ERR_INTEGRITY)
        return rc;
    log_error("integrity: a %s row of memo %lld does not name its account as Dissent wrote it: "
              "it was changed outside Dissent; it is left out",
              what[table], (long long)memo_id);
    *id = 0;
    return 0;
}

static int member_cmp(const void *a, const void *b)
{
    const struct memo_member *x = a, *y = b;
    int c = strcmp(x->username, y->username);

    return c != 0 ? c : (x->user_id > y->user_id) - (x->user_id < y->user_id);
}

int store_member_list(struct store *st, const struct memo *memo, unsigned relation,
                      struct memo_member **out, size_t *count)
{
    struct names names = {.n = 0};
    size_t kept = 0;
    bool ok = false;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = sql_member_list(st, memo->id, relation, out, count)) != 0)
        return rc;
    for (size_t i = 0; i < *count && rc == 0; i++) {
        struct memo_member m = (*out)[i];
        if ((rc = open_person(st, STORE_WHO_MEMBER, memo->id, memo->public_id, 0, m.ref, m.has_who,
                              m.who, &m.user_id, &ok)) != 0 ||
            !ok)
            continue;
        if ((rc = name_of(st, &names, m.user_id, m.username, sizeof(m.username), m.display_name,
                          sizeof(m.display_name))) == 0)
            (*out)[kept++] = m;
    }
    if (rc != 0) {
        mem_free(*out);
        *out = NULL;
        *count = 0;
        return rc;
    }
    *count = kept;
    if (kept > 1)
        qsort(*out, kept, sizeof(**out), member_cmp);
    return 0;
}

/* Open @g's sealed signer, note and vkey in place (@g a row of memo @m); *@ok false (logged)
 * when any fails. */
static int signature_open(struct store *st, const struct memo *m, struct names *names,
                          struct signature *g, bool *ok)
{
    char ad[160], *note = NULL, *vkey = NULL;
    int rc;

    if ((rc = open_person(st, STORE_WHO_SIGNER, m->id, m->public_id, g->created_at, g->ref,
                          g->has_who, g->who, &g->user_id, ok)) != 0 ||
        !*ok)
        return rc;
    if (g->has_who) {
        signature_ad(ad, sizeof(ad), m->id, m->public_id, g->ref, g->created_at, "note");
        if ((rc = integ_text_open(st, ad, g->note, &note)) == 0) {
            signature_ad(ad, sizeof(ad), m->id, m->public_id, g->ref, g->created_at, "vkey");
            rc = integ_text_open(st, ad, g->vkey, &vkey);
        }
        if (rc == ERR_INTEGRITY) {
            log_error("integrity: a signature of memo %lld does not open: it was changed outside "
                      "Dissent; it is left out",
                      (long long)m->id);
            *ok = false;
            rc = 0;
        }
        if (rc != 0 || !*ok) {
            mem_free(note);
            mem_free(vkey);
            return rc;
        }
        mem_free(g->note);
        mem_free(g->vkey);
        g->note = note;
        g->vkey = vkey;
    }
    return name_of(st, names, g->user_id, g->username, sizeof(g->username), g->display_name,
                   sizeof(g->display_name));
}

int store_signature_list(struct store *st, const struct memo *m, bool include_void,
                         struct signature **out, size_t *count)
{
    struct names names = {.n = 0};
    size_t kept = 0;
    bool ok = false;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = sql_signature_list(st, m->id, include_void, out, count)) != 0)
        return rc;
    for (size_t i = 0; i < *count; i++) {
        struct signature *g = &(*out)[i];
        if (rc == 0 && (rc = signature_open(st, m, &names, g, &ok)) == 0 && ok) {
            (*out)[kept++] = *g;
            continue;
        }
        mem_free(g->note);
        mem_free(g->vkey);
        mem_free(g->void_reason);
    }
    if (rc != 0) {
        store_signature_list_free(*out, kept);
        *out = NULL;
        *count = 0;
        return rc;
    }
    *count = kept;
    return 0;
}

int store_comment_add(struct store *st, int64_t memo_id, struct memo_comment *c)
{
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_who_seal(st, STORE_WHO_COMMENT, memo_id, c->at, NULL, c->author_id,
                             c->author)) != 0)
        return rc;
    c->has_author = true;
    return written(st, sql_comment_add(st, memo_id, c));
}

int store_comment_list(struct store *st, int64_t memo_id, struct memo_comment **out, size_t *count)
{
    struct names names = {.n = 0};
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = sql_comment_list(st, memo_id, out, count)) != 0)
        return rc;
    for (size_t i = 0; i < *count && rc == 0; i++) {
        struct memo_comment *c = &(*out)[i];
        if ((rc = open_actor(st, STORE_WHO_COMMENT, memo_id, c->at, NULL, c->has_author, c->author,
                             &c->author_id)) == 0)
            rc = name_of(st, &names, c->author_id, c->username, sizeof(c->username),
                         c->display_name, sizeof(c->display_name));
    }
    if (rc != 0) {
        store_comment_list_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return rc;
}

int store_event_add(struct store *st, int64_t memo_id, const char *kind, int64_t actor_id,
                    const char *detail, int64_t at)
{
    uint8_t who[STORE_WHO_LEN];
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_who_seal(st, STORE_WHO_EVENT, memo_id, at, kind, actor_id, who)) != 0)
        return rc;
    return written(st, sql_event_add(st, memo_id, kind, who, detail, at));
}

int store_event_list(struct store *st, int64_t memo_id, struct memo_event **out, size_t *count)
{
    struct names names = {.n = 0};
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = sql_event_list(st, memo_id, out, count)) != 0)
        return rc;
    for (size_t i = 0; i < *count && rc == 0; i++) {
        struct memo_event *e = &(*out)[i];
        if ((rc = open_actor(st, STORE_WHO_EVENT, memo_id, e->at, e->kind, e->has_actor, e->actor,
                             &e->actor_id)) != 0 ||
            (rc = name_of(st, &names, e->actor_id, e->username, sizeof(e->username), NULL, 0)) != 0)
            break;
        struct legacy_text t = {.table = STORE_LEGACY_EVENT,
                                .id = e->id,
                                .memo_id = memo_id,
                                .who = e->actor_id,
                                .at = e->at};
        str_copy(t.kind, sizeof(t.kind), e->kind);
        rc = legacy_open(st, &t, e->detail, &e->detail_clear);
    }
    if (rc != 0) {
        store_event_list_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return rc;
}

/* Put the server's MAC on every older clear text (store_trust_adopt()). */
static int adopt_legacy_texts(struct store *st, int64_t *rows)
{
    struct legacy_text *t = NULL;
    uint8_t mac[STORE_MAC_LEN];
    size_t n = 0;
    int rc;

    if ((rc = sql_legacy_texts(st, &t, &n)) != 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t len = strlen(t[i].text), b64 = b64_encoded_len(sizeof(mac), true);
        char *marked = mem_alloc(sizeof(LEGACY_PREFIX) + b64 + len + 1);
        if (marked == NULL) {
            rc = ERR_NOMEM;
            break;
        }
        if ((rc = integ_legacy(st, &t[i], mac)) == 0) {
            memcpy(marked, LEGACY_PREFIX, sizeof(LEGACY_PREFIX) - 1);
            b64_encode(marked + sizeof(LEGACY_PREFIX) - 1, b64, mac, sizeof(mac), true);
            marked[sizeof(LEGACY_PREFIX) - 1 + LEGACY_MAC_B64] = ':';
            memcpy(marked + sizeof(LEGACY_PREFIX) + LEGACY_MAC_B64, t[i].text, len + 1);
            if ((rc = sql_legacy_text_set(st, t[i].table, t[i].id, marked)) == 0)
                ++*rows;
        }
        mem_free(marked);
    }
    store_legacy_texts_free(t, n);
    return rc;
}

int store_memo_key_put(struct store *st, int64_t memo_id, const char *public_id, int64_t user_id,
                       const uint8_t sealed[STORE_SEALED_LEN], int64_t at)
{
    uint8_t mac[STORE_MAC_LEN];
    int64_t ref;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_envelope(st, INTEG_MEMO_KEY, memo_id, public_id, user_id, sealed, mac)) != 0 ||
        (rc = integ_ref(st, user_id, &ref)) != 0)
        return rc;
    return written(st, sql_memo_key_put(st, memo_id, ref, sealed, mac, at));
}

/* Check an envelope just read; a failing one is zeroed. */
static int envelope_checked(struct store *st, enum integ_envelope kind, int64_t memo_id,
                            const char *public_id, int64_t user_id,
                            uint8_t sealed[STORE_SEALED_LEN], const uint8_t mac[STORE_MAC_LEN])
{
    uint8_t want[STORE_MAC_LEN];
    int rc = integ_envelope(st, kind, memo_id, public_id, user_id, sealed, want);

    if (rc == 0)
        rc = integ_check(st, want, mac,
                         kind == INTEG_MEMO_KEY ? "memo key envelope of memo" : "channel grant of",
                         kind == INTEG_MEMO_KEY ? memo_id : user_id);
    if (rc != 0)
        memset(sealed, 0, STORE_SEALED_LEN);
    return rc;
}

int store_memo_key_get(struct store *st, int64_t memo_id, const char *public_id, int64_t user_id,
                       uint8_t sealed[STORE_SEALED_LEN])
{
    uint8_t mac[STORE_MAC_LEN];
    int64_t ref;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_ref(st, user_id, &ref)) != 0 ||
        (rc = sql_memo_key_get(st, memo_id, ref, sealed, mac)) != 0)
        return rc;
    return envelope_checked(st, INTEG_MEMO_KEY, memo_id, public_id, user_id, sealed, mac);
}

int store_memo_key_delete(struct store *st, int64_t memo_id, int64_t user_id)
{
    int64_t ref;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_ref(st, user_id, &ref)) != 0)
        return rc;
    return written(st, sql_memo_key_delete(st, memo_id, ref));
}

int store_memo_keys_of(struct store *st, int64_t user_id, struct memo_key_row **out, size_t *count)
{
    int64_t ref;
    int rc;

    *out = NULL;
    *count = 0;
    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_ref(st, user_id, &ref)) != 0 ||
        (rc = sql_memo_keys_of(st, ref, out, count)) != 0)
        return rc;
    for (size_t i = 0; i < *count && rc == 0; i++)
        rc = envelope_checked(st, INTEG_MEMO_KEY, (*out)[i].memo_id, (*out)[i].public_id, user_id,
                              (*out)[i].sealed, (*out)[i].mac);
    if (rc != 0) {
        mem_free(*out);
        *out = NULL;
        *count = 0;
    }
    return rc;
}

int store_memo_keys_of_channel(struct store *st, int64_t holder, int64_t channel,
                               struct memo_key_row **out, size_t *count)
{
    int64_t ref;
    int rc;

    *out = NULL;
    *count = 0;
    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_ref(st, holder, &ref)) != 0 ||
        (rc = sql_memo_keys_of_channel(st, ref, channel, out, count)) != 0)
        return rc;
    for (size_t i = 0; i < *count && rc == 0; i++)
        rc = envelope_checked(st, INTEG_MEMO_KEY, (*out)[i].memo_id, (*out)[i].public_id, holder,
                              (*out)[i].sealed, (*out)[i].mac);
    if (rc != 0) {
        mem_free(*out);
        *out = NULL;
        *count = 0;
    }
    return rc;
}

/* A channel key's number: 1 to 64 (core/channels.h). */
static bool channel_ok(int64_t channel)
{
    return channel >= 1 && channel <= 64;
}

int store_channel_key_get(struct store *st, int64_t channel, uint8_t pk[STORE_PUB_LEN])
{
    if (store_fault(st))
        return ERR_DB;
    if (!channel_ok(channel))
        return ERR_INVALID;
    return sql_channel_key_get(st, channel, pk);
}

int store_channel_key_rotate(struct store *st, int64_t channel, const uint8_t pk[STORE_PUB_LEN],
                             int64_t by, int64_t at)
{
    if (store_fault(st))
        return ERR_DB;
    if (!channel_ok(channel))
        return ERR_INVALID;
    return written(st, sql_channel_key_rotate(st, channel, pk, by, at));
}

int store_channel_key_create(struct store *st, int64_t channel, const uint8_t pk[STORE_PUB_LEN],
                             int64_t by, int64_t at)
{
    if (store_fault(st))
        return ERR_DB;
    if (!channel_ok(channel))
        return ERR_INVALID;
    return written(st, sql_channel_key_create(st, channel, pk, by, at));
}

/* A grant's MAC names its channel by the envelope's memo id: 0 for channel 1 (as every grant
 * sealed before channels were), the channel's number for the others. */
static int64_t grant_slot(int64_t channel)
{
    return channel == 1 ? 0 : channel;
}

int store_channel_grant_put(struct store *st, int64_t channel, int64_t user_id,
                            const uint8_t sealed[STORE_SEALED_LEN], int64_t by, int64_t at)
{
    uint8_t mac[STORE_MAC_LEN];
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if (!channel_ok(channel))
        return ERR_INVALID;
    if ((rc = integ_envelope(st, INTEG_CHANNEL_GRANT, grant_slot(channel), NULL, user_id, sealed,
                             mac)) != 0)
        return rc;
    return written(st, sql_channel_grant_put(st, channel, user_id, sealed, mac, by, at));
}

int store_channel_grant_get(struct store *st, int64_t channel, int64_t user_id,
                            uint8_t sealed[STORE_SEALED_LEN])
{
    uint8_t mac[STORE_MAC_LEN];
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if (!channel_ok(channel))
        return ERR_INVALID;
    if ((rc = sql_channel_grant_get(st, channel, user_id, sealed, mac)) != 0)
        return rc;
    return envelope_checked(st, INTEG_CHANNEL_GRANT, grant_slot(channel), NULL, user_id, sealed,
                            mac);
}

int store_channel_grant_delete(struct store *st, int64_t channel, int64_t user_id)
{
    if (store_fault(st))
        return ERR_DB;
    if (!channel_ok(channel))
        return ERR_INVALID;
    return written(st, sql_channel_grant_delete(st, channel, user_id));
}

int store_channel_grants_of(struct store *st, int64_t user_id, uint64_t *channels)
{
    struct memo_key_row *rows = NULL;
    size_t n = 0;
    int rc;

    *channels = 0;
    if (store_fault(st))
        return ERR_DB;
    if ((rc = sql_channel_grants_of(st, user_id, &rows, &n)) != 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!channel_ok(rows[i].memo_id)) {
            rc = ERR_INTEGRITY;
            break;
        }
        rc = envelope_checked(st, INTEG_CHANNEL_GRANT, grant_slot(rows[i].memo_id), NULL, user_id,
                              rows[i].sealed, rows[i].mac);
        if (rc == 0)
            *channels |= UINT64_C(1) << (rows[i].memo_id - 1);
    }
    wipe(rows, n * sizeof(*rows));
    mem_free(rows);
    if (rc != 0)
        *channels = 0;
    return rc;
}

int store_user_revoke_keys(struct store *st, int64_t user_id, unsigned what)
{
    int64_t ref;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_ref(st, user_id, &ref)) != 0)
        return rc;
    return written(st, sql_user_revoke_keys(st, user_id, ref, what));
}

/* Keep @flag (STORE_USER_TOTP or STORE_USER_PASSKEY) in @user_id's row equal to @on (inside
 * the caller's write). */
static int user_flag(struct store *st, int64_t user_id, unsigned flag, bool on)
{
    struct user u;
    int rc;

    if ((rc = store_user_get_by_id(st, user_id, &u)) != 0)
        return rc == ERR_NOT_FOUND ? 0 : rc;
    if (((u.flags & flag) != 0) != on) {
        u.flags = on ? u.flags | flag : u.flags & ~flag;
        rc = store_user_update(st, &u);
    }
    memset(&u, 0, sizeof(u));
    return rc;
}

/* A write that keeps a flag of the account's row with it: in the caller's transaction, or one
 * of its own (*@own), which own_end() commits, or rolls back on @rc. */
static int own_begin(struct store *st, bool *own)
{
    *own = !st->in_txn;
    return *own ? store_begin(st) : 0;
}

static int own_end(struct store *st, bool own, int rc)
{
    if (own)
        return rc == 0 ? store_commit(st) : (store_rollback(st), rc);
    return written(st, rc);
}

int store_totp_get(struct store *st, int64_t user_id, struct user_totp *out)
{
    uint8_t want[STORE_MAC_LEN];
    struct user u;
    int rc, got;

    if (store_fault(st))
        return ERR_DB;
    struct store_cache *c = cache_get(st);
    size_t k = slot_of(&user_id, sizeof(user_id));
    long writes = st->writes;
    uint64_t gen = c != NULL ? c->gen : 0;
    if (c != NULL && c->totp[k].used && c->totp[k].id == user_id) {
        *out = c->totp[k].t; /* it passed the checks below when it was read */
        return c->totp[k].rc;
    }
    got = sql_totp_get(st, user_id, out);
    if (got != 0 && got != ERR_NOT_FOUND)
        return got;
    if (got == 0 && (rc = integ_totp(st, out, want)) == 0)
        rc = integ_check(st, want, out->mac, "two-factor (TOTP) row of account", user_id);
    else
        rc = got == 0 ? rc : 0;
    /* the account says whether it is on: a deleted row, or an older one put back, is caught */
    if (rc == 0 && (rc = store_user_get_by_id(st, user_id, &u)) == 0) {
        bool on = (u.flags & STORE_USER_TOTP) != 0;
        if (on != (got == 0 && out->enabled)) {
            log_error("integrity: two-factor (TOTP) row of account %lld is %s while the account "
                      "says it is %s: the database was changed outside Dissent",
                      (long long)user_id, got == 0 ? "present" : "missing", on ? "on" : "off");
            rc = ERR_INTEGRITY;
        }
        memset(&u, 0, sizeof(u));
    } else if (rc == ERR_NOT_FOUND) {
        rc = 0; /* no account: nothing to compare with */
    }
    if (rc != 0 || got != 0)
        memset(out, 0, sizeof(*out));
    /* kept only if nothing moved meanwhile (the account's read above may have found a change) */
    if (rc == 0 && c != NULL && c->valid && c->gen == gen && c->writes == writes &&
        st->writes == writes) {
        c->totp[k].used = true;
        c->totp[k].id = user_id;
        c->totp[k].rc = got;
        c->totp[k].t = *out;
    }
    return rc != 0 ? rc : got;
}

int store_totp_put(struct store *st, struct user_totp *t)
{
    int rc;

    if (store_fault(st))
        return ERR_DB;
    /* the row as the backend leaves it: a pending enrolment */
    t->enabled = false;
    t->last_step = 0;
    memset(t->codes, 0, sizeof(t->codes));
    if ((rc = integ_totp(st, t, t->mac)) != 0)
        return rc;
    return written(st, sql_totp_put(st, t));
}

int store_totp_update(struct store *st, struct user_totp *t)
{
    bool own;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_totp(st, t, t->mac)) != 0)
        return rc;
    /* the row and the account's flag change together */
    if ((rc = own_begin(st, &own)) != 0)
        return rc;
    if ((rc = sql_totp_update(st, t)) == 0)
        rc = user_flag(st, t->user_id, STORE_USER_TOTP, t->enabled);
    return own_end(st, own, rc);
}

/* Adopt one account's row, envelopes, grant and TOTP row (store_trust_adopt()). */
static int adopt_user(struct store *st, struct user *u, int64_t now, int64_t *rows)
{
    struct memo_key_row *keys = NULL;
    uint8_t mac[STORE_MAC_LEN];
    struct passkey_row *pks = NULL;
    struct user_totp t;
    int64_t ref = 0;
    size_t n = 0, npk = 0;
    int rc;

    rc = sql_totp_get(st, u->id, &t);
    if (rc != 0 && rc != ERR_NOT_FOUND)
        return rc;
    u->flags = rc == 0 && t.enabled ? u->flags | STORE_USER_TOTP : u->flags & ~STORE_USER_TOTP;
    memset(&t, 0, sizeof(t));
    /* its passkeys, re-MAC'd, and the account's flag for them */
    if ((rc = sql_passkey_list(st, u->id, &pks, &npk)) != 0)
        return rc;
    for (size_t i = 0; i < npk && rc == 0; i++)
        if ((rc = integ_passkey(st, &pks[i], pks[i].mac)) == 0 &&
            (rc = sql_passkey_used(st, &pks[i], pks[i].sign_count)) == 0)
            ++*rows;
    wipe(pks, npk * sizeof(*pks));
    mem_free(pks);
    if (rc != 0)
        return rc;
    u->flags = npk > 0 ? u->flags | STORE_USER_PASSKEY : u->flags & ~STORE_USER_PASSKEY;
    /* its single sign-on link, re-MAC'd (deleted and written again), and its flag */
    struct sso_link l;
    if ((rc = sql_sso_get(st, u->id, &l)) != 0 && rc != ERR_NOT_FOUND)
        return rc;
    u->flags = rc == 0 ? u->flags | STORE_USER_SSO : u->flags & ~STORE_USER_SSO;
    if (rc == 0 && (rc = integ_sso(st, &l, l.mac)) == 0 && (rc = sql_sso_delete(st, u->id)) == 0 &&
        (rc = sql_sso_add(st, &l)) == 0)
        ++*rows;
    if (rc != 0 && rc != ERR_NOT_FOUND)
        return rc;
    if ((rc = integ_user(st, u, u->mac)) != 0 || (rc = sql_user_update(st, u)) != 0)
        return rc;
    ++*rows;
    /* an earlier version's envelopes name the account in clear (store_trust_seal_people()
     * converts them next); a converted database's, by pseudonym */
    if ((rc = integ_ref(st, u->id, &ref)) != 0)
        return rc;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        int64_t col = pass == 0 ? u->id : ref;
        if ((rc = sql_memo_keys_of(st, col, &keys, &n)) != 0)
            return rc;
        for (size_t i = 0; i < n && rc == 0; i++)
            if ((rc = integ_envelope(st, INTEG_MEMO_KEY, keys[i].memo_id, keys[i].public_id, u->id,
                                     keys[i].sealed, mac)) == 0 &&
                (rc = sql_memo_key_put(st, keys[i].memo_id, col, keys[i].sealed, mac, now)) == 0)
                ++*rows;
        mem_free(keys);
        keys = NULL;
    }
    if (rc != 0)
        return rc;
    /* its channel grants, one per channel (the MAC names the channel: grant_slot()) */
    if ((rc = sql_channel_grants_of(st, u->id, &keys, &n)) != 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        int64_t c = keys[i].memo_id;
        if (!channel_ok(c))
            rc = ERR_INTEGRITY;
        else if ((rc = integ_envelope(st, INTEG_CHANNEL_GRANT, grant_slot(c), NULL, u->id,
                                      keys[i].sealed, mac)) == 0 &&
                 (rc = sql_channel_grant_put(st, c, u->id, keys[i].sealed, mac, u->id, now)) == 0)
            ++*rows;
    }
    wipe(keys, n * sizeof(*keys));
    mem_free(keys);
    keys = NULL;
    if (rc != 0)
        return rc;
    rc = sql_totp_get(st, u->id, &t);
    if (rc == 0 && (rc = integ_totp(st, &t, t.mac)) == 0 && (rc = sql_totp_update(st, &t)) == 0)
        ++*rows;
    memset(&t, 0, sizeof(t));
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

int store_trust_adopt(struct store *st, int64_t now, int64_t *rows)
{
    struct memo_key_row *keys = NULL;
    uint8_t mac[STORE_MAC_LEN];
    char after[USERNAME_MAX + 1] = "";
    struct user *page = NULL;
    size_t n = 0;
    int rc = 0;

    *rows = 0;
    if (store_fault(st))
        return ERR_DB;
    if (!st->in_txn || st->trust_key == NULL)
        return ERR_INTERNAL;
    st->adopting = true;
    st->writes++; /* the read cache holds nothing across an adoption */
    do {
        if ((rc = sql_user_list(st, after, 200, &page, &n)) != 0)
            break;
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = adopt_user(st, &page[i], now, rows);
        if (n > 0)
            memcpy(after, page[n - 1].username, sizeof(after));
        for (size_t i = 0; i < n; i++)
            memset(&page[i], 0, sizeof(page[i]));
        mem_free(page);
        page = NULL;
    } while (rc == 0 && n == 200);
    /* the memo keys sealed to the channel */
    if (rc == 0 && (rc = sql_memo_keys_of(st, 0, &keys, &n)) == 0) {
        for (size_t i = 0; i < n && rc == 0; i++)
            if ((rc = integ_envelope(st, INTEG_MEMO_KEY, keys[i].memo_id, keys[i].public_id, 0,
                                     keys[i].sealed, mac)) == 0 &&
                (rc = sql_memo_key_put(st, keys[i].memo_id, 0, keys[i].sealed, mac, now)) == 0)
                ++*rows;
        mem_free(keys);
    }
    if (rc == 0)
        rc = adopt_legacy_texts(st, rows);
    if (rc == 0)
        rc = adopt_memos(st, rows);
    /* sessions carry no MAC yet: everyone signs in again */
    if (rc == 0)
        rc = sql_session_purge(st, INT64_MAX, INT64_MAX);
    st->adopting = false;
    return written(st, rc);
}

int store_trust_adopted(struct store *st, bool *yes)
{
    static const uint8_t zero[STORE_MAC_LEN];
    struct user *page = NULL;
    size_t n = 0;
    int rc;

    *yes = false;
    if (store_fault(st))
        return ERR_DB;
    if ((rc = sql_user_list(st, "", 200, &page, &n)) != 0)
        return rc;
    for (size_t i = 0; i < n && !*yes; i++)
        *yes = memcmp(page[i].mac, zero, sizeof(zero)) != 0;
    for (size_t i = 0; i < n; i++)
        memset(&page[i], 0, sizeof(page[i]));
    mem_free(page);
    return 0;
}

int store_totp_delete(struct store *st, int64_t user_id)
{
    bool own;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = own_begin(st, &own)) != 0)
        return rc;
    if ((rc = sql_totp_delete(st, user_id)) == 0)
        rc = user_flag(st, user_id, STORE_USER_TOTP, false);
    return own_end(st, own, rc);
}

int store_savepoint(struct store *st)
{
    if (store_fault(st))
        return ERR_DB;
    return sql_savepoint(st);
}

int store_savepoint_release(struct store *st)
{
    if (store_fault(st))
        return ERR_DB;
    return sql_savepoint_release(st);
}

int store_savepoint_rollback(struct store *st)
{
    st->audit_known = false; /* the append it undid may have been the last */
    return sql_savepoint_rollback(st);
}

int store_memo_head(struct store *st, const char *public_id, int *state, int64_t *version,
                    int *signer_count)
{
    if (store_fault(st))
        return ERR_DB;
    return sql_memo_head(st, public_id, state, version, signer_count);
}

int store_leader(struct store *st, bool *yes)
{
    return st->drv->leader(st, yes);
}

int store_tlog_size(struct store *st, uint64_t *size)
{
    if (store_fault(st))
        return ERR_DB;
    return sql_tlog_size(st, size);
}

int store_tlog_set_size(struct store *st, uint64_t size)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_tlog_set_size(st, size));
}

int store_tlog_tile_get(struct store *st, int level, uint64_t index, uint8_t **data, size_t *len,
                        unsigned *width)
{
    if (store_fault(st))
        return ERR_DB;
    return sql_tlog_tile_get(st, level, index, data, len, width);
}

int store_tlog_tile_put(struct store *st, int level, uint64_t index, unsigned width,
                        const uint8_t *data, size_t len)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_tlog_tile_put(st, level, index, width, data, len));
}

int store_tlog_checkpoint_latest(struct store *st, uint64_t *size, char **text)
{
    if (store_fault(st))
        return ERR_DB;
    return sql_tlog_checkpoint_latest(st, size, text);
}

int store_tlog_checkpoint_get(struct store *st, uint64_t size, char **text, int *cosigs)
{
    if (store_fault(st))
        return ERR_DB;
    return sql_tlog_checkpoint_get(st, size, text, cosigs);
}

int store_tlog_checkpoint_witnessed(struct store *st, int cosigs, uint64_t *size, char **text)
{
    if (store_fault(st))
        return ERR_DB;
    return sql_tlog_checkpoint_witnessed(st, cosigs, size, text);
}

int store_tlog_checkpoint_cosign(struct store *st, uint64_t size, const char *text, int cosigs)
{
    if (store_fault(st))
        return ERR_DB;
    return sql_tlog_checkpoint_cosign(st, size, text, cosigs);
}

int store_tlog_checkpoint_put(struct store *st, uint64_t size, const char *text, int64_t at)
{
    if (store_fault(st))
        return ERR_DB;
    return sql_tlog_checkpoint_put(st, size, text, at);
}

static int audit_open(struct store *st, struct names *names, struct audit_record *a)
{
    int rc = open_actor(st, STORE_WHO_AUDIT, a->memo_id, a->id, NULL, a->has_actor, a->actor,
                        &a->actor_id);

    return rc != 0 ? rc
                   : name_of(st, names, a->actor_id, a->username, sizeof(a->username), NULL, 0);
}

int store_audit_last(struct store *st, struct audit_record *out)
{
    int rc;

    if (store_fault(st))
        return ERR_DB;
    /* within a transaction that appended (holding the write lock, so no one else did), the
     * record it appended: a group commit's appends chain without a query each */
    if (st->in_txn && st->audit_known) {
        memset(out, 0, sizeof(*out));
        out->id = st->audit_id;
        memcpy(out->hash, st->audit_hash, sizeof(out->hash));
        return 0;
    }
    /* for chaining: the number and hash; the actor stays sealed (no lookup on every append) */
    if ((rc = sql_audit_last(st, out)) == 0) {
        out->actor_id = 0;
        out->username[0] = '\0';
    }
    return rc;
}

int store_keyed(const struct store *st, const char *label, const void *data, size_t len,
                uint8_t out[32])
{
    uint8_t key[32];
    int rc;

    memset(out, 0, 32);
    if ((rc = integ_derive(st, label, key)) != 0)
        return rc;
    hash_keyed(out, data, len, key);
    wipe(key, sizeof(key));
    return 0;
}

int store_audit_set_hash(struct store *st, int64_t id, const uint8_t hash[32])
{
    st->audit_known = false;
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_audit_set_hash(st, id, hash));
}

int store_audit_insert(struct store *st, const struct audit_record *rec)
{
    struct audit_record c = *rec;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_who_seal(st, STORE_WHO_AUDIT, c.memo_id, c.id, NULL, c.actor_id, c.actor)) != 0)
        return rc;
    c.has_actor = true;
    st->audit_known = false;
    if ((rc = written(st, sql_audit_insert(st, &c))) == 0 && st->in_txn) {
        st->audit_known = true;
        st->audit_id = c.id;
        memcpy(st->audit_hash, c.hash, sizeof(st->audit_hash));
    }
    return rc;
}

int store_audit_list(struct store *st, int64_t memo_id, int64_t after, int limit,
                     struct audit_record **out, size_t *count)
{
    struct names names = {.n = 0};
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = sql_audit_list(st, memo_id, after, limit, out, count)) != 0)
        return rc;
    for (size_t i = 0; i < *count && rc == 0; i++)
        rc = audit_open(st, &names, &(*out)[i]);
    if (rc != 0) {
        mem_free(*out);
        *out = NULL;
        *count = 0;
    }
    return rc;
}

int store_trust_seal_actors(struct store *st, int64_t *rows)
{
    struct legacy_actor *a = NULL;
    uint8_t who[STORE_WHO_LEN];
    size_t n = 0;
    int rc;

    *rows = 0;
    if (store_fault(st))
        return ERR_DB;
    if ((rc = store_begin(st)) != 0)
        return rc;
    /* the clear texts older versions wrote are marked first: their MAC names the clear actor */
    if ((rc = adopt_legacy_texts(st, rows)) == 0 && (rc = adopt_memos(st, rows)) == 0)
        rc = sql_legacy_actors(st, &a, &n);
    for (size_t i = 0; i < n && rc == 0; i++)
        if ((rc = integ_who_seal(st, a[i].table, a[i].memo_id, a[i].row, a[i].kind, a[i].who,
                                 who)) == 0 &&
            (rc = sql_legacy_actor_set(st, a[i].table, a[i].id, who)) == 0)
            ++*rows;
    mem_free(a);
    if (rc == 0)
        rc = store_commit(st);
    else
        store_rollback(st);
    return rc;
}

/* Give @p's row its pseudonym and sealed id (and seal a signature's note and vkey). */
static int seal_person(struct store *st, const struct legacy_person *p)
{
    static const enum store_who table[] = {[STORE_PERSON_DRAFTER] = STORE_WHO_DRAFTER,
                                           [STORE_PERSON_MEMBER] = STORE_WHO_MEMBER,
                                           [STORE_PERSON_SIGNER] = STORE_WHO_SIGNER};
    uint8_t who[STORE_WHO_LEN];
    char ad[160], *note = NULL, *vkey = NULL;
    int64_t ref;
    int rc;

    if ((rc = integ_ref(st, p->user_id, &ref)) != 0)
        return rc;
    if (p->table == STORE_PERSON_KEY)
        return sql_legacy_person_set(st, p, ref, NULL, NULL, NULL);
    /* (a drafter's seal is bound to the memo's id; its row's MAC binds the public id) */
    if ((rc = integ_who_seal(
             st, table[p->table], p->memo_id, p->table == STORE_PERSON_SIGNER ? p->at : 0,
             p->table == STORE_PERSON_DRAFTER ? NULL : p->public_id, p->user_id, who)) != 0)
        return rc;
    if (p->table == STORE_PERSON_SIGNER) {
        signature_ad(ad, sizeof(ad), p->memo_id, p->public_id, ref, p->at, "note");
        if ((rc = integ_text_seal(st, ad, p->note != NULL ? p->note : "", &note)) == 0) {
            signature_ad(ad, sizeof(ad), p->memo_id, p->public_id, ref, p->at, "vkey");
            rc = integ_text_seal(st, ad, p->vkey != NULL ? p->vkey : "", &vkey);
        }
    }
    if (rc == 0)
        rc = sql_legacy_person_set(st, p, ref, who, note, vkey);
    mem_free(note);
    mem_free(vkey);
    return rc;
}

static int outbox_seal(struct store *st, const struct outbox_item *it, char **out);

/* Seal every email an earlier version left in clear in the outbox, sent or not. */
static int seal_outbox(struct store *st, int64_t *rows)
{
    struct outbox_item *items = NULL;
    char *sealed = NULL;
    size_t n = 0;
    int rc;

    if ((rc = sql_outbox_legacy(st, &items, &n)) != 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if ((rc = outbox_seal(st, &items[i], &sealed)) == 0 &&
            (rc = sql_outbox_reseal(st, items[i].id, sealed)) == 0)
            ++*rows;
        mem_free(sealed);
        sealed = NULL;
    }
    store_outbox_list_free(items, n);
    return rc;
}

int store_trust_seal_people(struct store *st, int64_t *rows)
{
    struct legacy_person *p = NULL;
    size_t n = 0;
    int rc;

    *rows = 0;
    if (store_fault(st))
        return ERR_DB;
    if ((rc = store_begin(st)) != 0)
        return rc;
    rc = sql_legacy_people(st, &p, &n);
    for (size_t i = 0; i < n && rc == 0; i++)
        if ((rc = seal_person(st, &p[i])) == 0)
            ++*rows;
    store_legacy_people_free(p, n);
    if (rc == 0)
        rc = seal_outbox(st, rows);
    if (rc == 0)
        rc = store_commit(st);
    else
        store_rollback(st);
    return rc;
}

/*
 * An email in the outbox is stored sealed by the server (store.h, "Who"): the body column holds
 * one "sealed:" text of "<account id>\n<address>\n<subject>\n<body>", bound to the row's
 * de-duplication key; the account, address and subject columns hold nothing. Its MAC is of the
 * email in clear.
 */
static void outbox_ad(char *ad, size_t len, const char *dedupe)
{
    snprintf(ad, len, "dissent-outbox/1 %s", dedupe);
}

static int outbox_seal(struct store *st, const struct outbox_item *it, char **out)
{
    char ad[200], *text;
    const char *subject = it->subject != NULL ? it->subject : "",
               *body = it->body != NULL ? it->body : "";
    size_t len = 24 + strlen(it->rcpt) + strlen(subject) + strlen(body) + 4;
    int rc;

    *out = NULL;
    if ((text = mem_alloc(len)) == NULL)
        return ERR_NOMEM;
    snprintf(text, len, "%lld\n%s\n%s\n%s", (long long)it->user_id, it->rcpt, subject, body);
    outbox_ad(ad, sizeof(ad), it->dedupe);
    rc = integ_text_seal(st, ad, text, out);
    mem_free(text); /* wiped */
    return rc;
}

/* Open @it's sealed email in place; *@ok false (logged) when it does not open or does not
 * parse. An earlier version's row, in clear, is read as it is before the conversion only. */
static int outbox_open(struct store *st, struct outbox_item *it, bool *ok)
{
    char ad[200], *text = NULL, *rcpt, *subject, *body, *end;
    long long id;
    int rc;

    *ok = false;
    if (it->body == NULL || strncmp(it->body, INTEG_TEXT_PREFIX, strlen(INTEG_TEXT_PREFIX)) != 0) {
        *ok = st->actors_clear || st->adopting;
        if (!*ok)
            log_error("integrity: outbox row %lld is in clear: it was written outside Dissent; "
                      "it is never sent",
                      (long long)it->id);
        return 0;
    }
    outbox_ad(ad, sizeof(ad), it->dedupe);
    if ((rc = integ_text_open(st, ad, it->body, &text)) != 0 && rc != ERR_INTEGRITY)
        return rc;
    if (rc == 0 && (rcpt = strchr(text, '\n')) != NULL && (subject = strchr(rcpt + 1, '\n')) &&
        (body = strchr(subject + 1, '\n')) != NULL) {
        *rcpt++ = *subject++ = *body++ = '\0';
        id = strtoll(text, &end, 10);
        if (*end == '\0' && strlen(rcpt) < sizeof(it->rcpt) &&
            (it->subject == NULL || it->subject[0] == '\0')) {
            char *s = mem_strdup(subject), *b = mem_strdup(body);
            if (s == NULL || b == NULL) {
                mem_free(s);
                mem_free(b);
                mem_free(text);
                return ERR_NOMEM;
            }
            it->user_id = id;
            str_copy(it->rcpt, sizeof(it->rcpt), rcpt);
            mem_free(it->subject);
            mem_free(it->body);
            it->subject = s;
            it->body = b;
            *ok = true;
        }
    }
    mem_free(text);
    if (!*ok)
        log_error("integrity: outbox row %lld does not open: it was changed outside Dissent; it "
                  "is never sent",
                  (long long)it->id);
    return 0;
}

int store_outbox_add(struct store *st, const struct outbox_item *it)
{
    struct outbox_item c = *it;
    char *sealed = NULL;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_outbox(st, &c, c.mac)) != 0 || (rc = outbox_seal(st, it, &sealed)) != 0)
        return rc;
    c.user_id = 0;
    c.rcpt[0] = '\0';
    c.subject = NULL;
    c.body = sealed;
    rc = written(st, sql_outbox_add(st, &c));
    mem_free(sealed);
    return rc;
}

int store_outbox_due(struct store *st, int64_t now, int limit, struct outbox_item **out,
                     size_t *count)
{
    uint8_t want[STORE_MAC_LEN];
    size_t kept = 0;
    int rc;

    *out = NULL;
    *count = 0;
    if (store_fault(st))
        return ERR_DB;
    if ((rc = sql_outbox_due(st, now, limit, out, count)) != 0)
        return rc;
    /* an email the database was given (a recipient, a subject, a body) is never sent: it is
     * marked failed, and logged */
    for (size_t i = 0; i < *count; i++) {
        struct outbox_item *it = &(*out)[i];
        bool ok = false;
        if ((rc = outbox_open(st, it, &ok)) != 0 ||
            (ok && (rc = integ_outbox(st, it, want)) != 0)) {
            store_outbox_list_free(*out, *count);
            *out = NULL;
            *count = 0;
            return rc;
        }
        if (!ok || integ_check(st, want, it->mac, "outbox row", it->id) != 0) {
            (void)sql_outbox_finish(st, it->id, STORE_OUTBOX_FAILED, it->attempts, 0, 0);
            mem_free(it->subject);
            mem_free(it->body);
            memset(it, 0, sizeof(*it));
            continue;
        }
        if (kept != i) {
            (*out)[kept] = *it;
            memset(it, 0, sizeof(*it)); /* (moved: one owner of its texts) */
        }
        kept++;
    }
    for (size_t i = kept; i < *count; i++)
        memset(&(*out)[i], 0, sizeof((*out)[i]));
    *count = kept;
    return 0;
}

int store_outbox_claim(struct store *st, int64_t id, int64_t now, int64_t until)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_outbox_claim(st, id, now, until));
}

int store_outbox_finish(struct store *st, int64_t id, int status, int attempts, int64_t next_at,
                        int64_t sent_at)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_outbox_finish(st, id, status, attempts, next_at, sent_at));
}

int store_ops_figures(struct store *st, struct store_ops_figures *out)
{
    memset(out, 0, sizeof(*out));
    if (store_fault(st))
        return ERR_DB;
    return sql_ops_figures(st, out);
}

int store_outbox_list(struct store *st, int64_t after, int limit, struct outbox_item **out,
                      size_t *count)
{
    *out = NULL;
    *count = 0;
    if (store_fault(st))
        return ERR_DB;
    return sql_outbox_list(st, after, limit, out, count);
}

void store_outbox_list_free(struct outbox_item *arr, size_t count)
{
    for (size_t i = 0; arr != NULL && i < count; i++) {
        mem_free(arr[i].subject);
        mem_free(arr[i].body);
    }
    mem_free(arr);
}

int store_notify_prefs_get(struct store *st, int64_t user_id, unsigned *off)
{
    *off = 0;
    if (store_fault(st))
        return ERR_DB;
    return sql_notify_prefs_get(st, user_id, off);
}

int store_notify_prefs_set(struct store *st, int64_t user_id, unsigned off)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_notify_prefs_set(st, user_id, off));
}

int store_language_get(struct store *st, int64_t user_id, char *out, size_t len)
{
    if (len > 0)
        out[0] = '\0';
    if (store_fault(st))
        return ERR_DB;
    return sql_language_get(st, user_id, out, len);
}

int store_language_set(struct store *st, int64_t user_id, const char *code)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_language_set(st, user_id, code));
}

void store_memo_release(struct memo *m)
{
    if (m == NULL)
        return;
    mem_free(m->title);
    mem_free(m->body);
    mem_free(m->reason);
    mem_free(m->reply);
    mem_free(m->reply_note);
    m->title = m->body = m->reason = m->reply = m->reply_note = NULL;
    m->title_len = m->body_len = m->reason_len = m->reply_len = m->reply_note_len = 0;
}

void store_memo_list_free(struct memo *arr, size_t count)
{
    for (size_t i = 0; arr != NULL && i < count; i++)
        store_memo_release(&arr[i]);
    mem_free(arr);
}

void store_signature_list_free(struct signature *arr, size_t count)
{
    for (size_t i = 0; arr != NULL && i < count; i++) {
        mem_free(arr[i].note);
        mem_free(arr[i].vkey);
        mem_free(arr[i].void_reason);
    }
    mem_free(arr);
}

void store_comment_list_free(struct memo_comment *arr, size_t count)
{
    for (size_t i = 0; arr != NULL && i < count; i++)
        mem_free(arr[i].body);
    mem_free(arr);
}

int store_memo_page(struct store *st, int64_t after, int limit, struct memo **out, size_t *count)
{
    int rc = sql_memo_page(st, after, limit, out, count);

    for (size_t i = 0; rc == 0 && i < *count; i++) {
        int chk = integ_memo_check(st, &(*out)[i]);
        if (chk == ERR_INTEGRITY) {
            (*out)[i].tampered = true;
            log_error("integrity: memo %s was changed outside Dissent", (*out)[i].public_id);
        } else if (chk != 0) {
            rc = chk;
        }
    }
    if (rc != 0) {
        store_memo_list_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return rc;
}

int store_hold_add(struct store *st, struct store_hold *h)
{
    int rc;

    if (store_fault(st))
        return ERR_DB;
    /* the MAC binds the row's id: written once the insert gave it (the caller's transaction) */
    memset(h->mac, 0, sizeof(h->mac));
    if ((rc = sql_hold_add(st, h)) != 0 || (rc = integ_hold(st, h, h->mac)) != 0)
        return written(st, rc);
    return written(st, sql_hold_seal(st, h->id, h->mac));
}

int store_hold_list(struct store *st, struct store_hold **out, size_t *count)
{
    uint8_t want[STORE_MAC_LEN];
    int rc = sql_hold_list(st, out, count);

    for (size_t i = 0; rc == 0 && i < *count; i++) {
        struct store_hold *h = &(*out)[i];
        if ((rc = integ_hold(st, h, want)) != 0)
            break;
        if (!hash_equal(want, h->mac, STORE_MAC_LEN)) {
            h->tampered = true;
            log_error("integrity: legal hold %lld was changed outside Dissent: it is taken as "
                      "holding every memo",
                      (long long)h->id);
        }
    }
    return rc;
}

int store_hold_lift(struct store *st, struct store_hold *h)
{
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_hold(st, h, h->mac)) != 0)
        return rc;
    return written(st, sql_hold_lift(st, h));
}

int store_tombstone_add(struct store *st, const struct store_tombstone *t)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_tombstone_add(st, t));
}

int store_tombstone_list(struct store *st, int limit, struct store_tombstone **out, size_t *count)
{
    return sql_tombstone_list(st, limit, out, count);
}

int store_compact(struct store *st)
{
    return sql_compact(st);
}

void store_att_release(struct store_attachment *a)
{
    if (a == NULL)
        return;
    mem_free(a->meta);
    mem_free(a->stream);
    a->meta = a->stream = NULL;
    a->meta_len = a->stream_len = 0;
}

void store_att_list_free(struct store_attachment *arr, size_t count)
{
    for (size_t i = 0; arr != NULL && i < count; i++)
        store_att_release(&arr[i]);
    mem_free(arr);
}

int store_att_add(struct store *st, struct store_attachment *a)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_att_add(st, a));
}

int store_att_get(struct store *st, int64_t memo_id, const char *public_id,
                  struct store_attachment *out)
{
    return sql_att_get(st, memo_id, public_id, out);
}

int store_att_list(struct store *st, int64_t memo_id, struct store_attachment **out, size_t *count)
{
    return sql_att_list(st, memo_id, out, count);
}

int store_att_update(struct store *st, const struct store_attachment *a, int64_t was_received)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_att_update(st, a, was_received));
}

int store_att_delete(struct store *st, int64_t id)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_att_delete(st, id));
}

int store_chunk_put(struct store *st, int64_t att_id, int64_t seq, const uint8_t *data, size_t len)
{
    if (store_fault(st))
        return ERR_DB;
    return written(st, sql_chunk_put(st, att_id, seq, data, len));
}

int store_chunk_get(struct store *st, int64_t att_id, int64_t seq, uint8_t **data, size_t *len)
{
    return sql_chunk_get(st, att_id, seq, data, len);
}

void store_event_list_free(struct memo_event *arr, size_t count)
{
    for (size_t i = 0; arr != NULL && i < count; i++)
        mem_free(arr[i].detail);
    mem_free(arr);
}

void store_legacy_people_free(struct legacy_person *arr, size_t count)
{
    for (size_t i = 0; arr != NULL && i < count; i++) {
        mem_free(arr[i].note);
        mem_free(arr[i].vkey);
    }
    mem_free(arr);
}

void store_legacy_texts_free(struct legacy_text *arr, size_t count)
{
    for (size_t i = 0; arr != NULL && i < count; i++)
        mem_free(arr[i].text);
    mem_free(arr);
}

int store_calendar_add(struct store *st, struct calendar_row *r)
{
    int rc;

    if (store_fault(st))
        return ERR_DB;
    /* the MAC covers the id, which the insert gives: a placeholder first, then the MAC (the
     * caller's transaction holds both) */
    memset(r->mac, 0, sizeof(r->mac));
    if ((rc = written(st, sql_calendar_add(st, r))) != 0 ||
        (rc = integ_calendar(st, r, r->mac)) != 0)
        return rc;
    return written(st, sql_calendar_update(st, r));
}

int store_calendar_update(struct store *st, struct calendar_row *r)
{
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_calendar(st, r, r->mac)) != 0)
        return rc;
    return written(st, sql_calendar_update(st, r));
}

int store_calendar_list(struct store *st, struct calendar_row **out, size_t *count)
{
    uint8_t want[STORE_MAC_LEN];
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = sql_calendar_list(st, out, count)) != 0)
        return rc;
    for (size_t i = 0; i < *count && rc == 0; i++) {
        if ((rc = integ_calendar(st, &(*out)[i], want)) == 0)
            rc = integ_check(st, want, (*out)[i].mac, "calendar row", (*out)[i].id);
    }
    if (rc != 0) {
        mem_free(*out);
        *out = NULL;
        *count = 0;
    }
    return rc;
}

/* ---- channels ---- */

/* Row 1 as the migrations made it: accepted without a MAC while it is exactly that. */
static bool channel_seed(const struct channel_row *r)
{
    static const uint8_t none[STORE_MAC_LEN];

    return r->id == 1 && strcmp(r->slug, "main") == 0 && r->name[0] == '\0' &&
           r->settings != NULL && strcmp(r->settings, "{}") == 0 && r->created_at == 0 &&
           r->version == 0 && memcmp(r->mac, none, sizeof(none)) == 0;
}

int store_channel_add(struct store *st, struct channel_row *r)
{
    int rc;

    if (store_fault(st))
        return ERR_DB;
    /* the MAC covers the number, which the insert gives: a placeholder first, then the MAC
     * (the caller's transaction holds both) */
    memset(r->mac, 0, sizeof(r->mac));
    if ((rc = written(st, sql_channel_add(st, r))) != 0 || (rc = integ_channel(st, r, r->mac)) != 0)
        return rc;
    return written(st, sql_channel_update(st, r));
}

int store_channel_update(struct store *st, struct channel_row *r)
{
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_channel(st, r, r->mac)) != 0)
        return rc;
    return written(st, sql_channel_update(st, r));
}

int store_channel_list(struct store *st, struct channel_row **out, size_t *count)
{
    uint8_t want[STORE_MAC_LEN];
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = sql_channel_list(st, out, count)) != 0)
        return rc;
    for (size_t i = 0; i < *count && rc == 0; i++) {
        struct channel_row *r = &(*out)[i];
        if (r->settings == NULL) { /* the column is NOT NULL: changed outside Dissent */
            log_error("store: channel row %lld has no settings", (long long)r->id);
            rc = ERR_INTEGRITY;
            break;
        }
        if (channel_seed(r))
            continue;
        if ((rc = integ_channel(st, r, want)) == 0)
            rc = integ_check(st, want, r->mac, "channel row", r->id);
    }
    if (rc != 0) {
        store_channel_list_free(*out, *count);
        *out = NULL;
        *count = 0;
    }
    return rc;
}

void store_channel_list_free(struct channel_row *arr, size_t count)
{
    for (size_t i = 0; arr != NULL && i < count; i++)
        mem_free(arr[i].settings);
    mem_free(arr);
}

/* ---- passkeys ---- */

/* Check the MAC of a passkey row just read (ERR_INTEGRITY, logged). */
static int passkey_checked(struct store *st, const struct passkey_row *r)
{
    uint8_t want[STORE_MAC_LEN];
    int rc = integ_passkey(st, r, want);

    return rc != 0 ? rc : integ_check(st, want, r->mac, "passkey row", r->id);
}

/* Run @rc's write and the account's flag in one transaction (the caller's, or one of ours). */
static int passkey_write(struct store *st, bool own, int rc, int64_t user_id)
{
    struct passkey_row *rows = NULL;
    size_t n = 0;

    if (rc == 0 && (rc = sql_passkey_list(st, user_id, &rows, &n)) == 0)
        rc = user_flag(st, user_id, STORE_USER_PASSKEY, n > 0);
    if (rows != NULL)
        wipe(rows, n * sizeof(*rows));
    mem_free(rows);
    return own_end(st, own, rc);
}

int store_passkey_add(struct store *st, struct passkey_row *r)
{
    bool own;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_passkey(st, r, r->mac)) != 0)
        return rc;
    if ((rc = own_begin(st, &own)) != 0)
        return rc;
    return passkey_write(st, own, sql_passkey_add(st, r), r->user_id);
}

int store_passkey_list(struct store *st, int64_t user_id, struct passkey_row **out, size_t *count)
{
    struct user u;
    int rc;

    *out = NULL;
    *count = 0;
    if (store_fault(st))
        return ERR_DB;
    if ((rc = sql_passkey_list(st, user_id, out, count)) != 0)
        return rc;
    for (size_t i = 0; i < *count && rc == 0; i++)
        if ((*out)[i].user_id != user_id)
            rc = ERR_INTEGRITY;
        else
            rc = passkey_checked(st, &(*out)[i]);
    /* the account says whether it has any: rows deleted outside Dissent are caught */
    if (rc == 0 && (rc = store_user_get_by_id(st, user_id, &u)) == 0) {
        bool on = (u.flags & STORE_USER_PASSKEY) != 0;
        if (on != (*count > 0)) {
            log_error("integrity: account %lld has %zu passkey rows while it says it has %s: "
                      "the database was changed outside Dissent",
                      (long long)user_id, *count, on ? "some" : "none");
            rc = ERR_INTEGRITY;
        }
        memset(&u, 0, sizeof(u));
    } else if (rc == ERR_NOT_FOUND) {
        rc = 0; /* no account: nothing to compare with */
    }
    if (rc != 0) {
        wipe(*out, *count * sizeof(**out));
        mem_free(*out);
        *out = NULL;
        *count = 0;
    }
    return rc;
}

int store_passkey_find(struct store *st, const uint8_t *cred, size_t len, struct passkey_row *out)
{
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = sql_passkey_find(st, cred, len, out)) == 0 && (rc = passkey_checked(st, out)) != 0)
        wipe(out, sizeof(*out));
    return rc;
}

int store_passkey_used(struct store *st, struct passkey_row *r, int64_t before)
{
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_passkey(st, r, r->mac)) != 0)
        return rc;
    return written(st, sql_passkey_used(st, r, before));
}

int store_passkey_delete(struct store *st, int64_t user_id, int64_t id)
{
    bool own;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = own_begin(st, &own)) != 0)
        return rc;
    return passkey_write(st, own, sql_passkey_delete(st, user_id, id), user_id);
}

int store_passkey_delete_all(struct store *st, int64_t user_id)
{
    bool own;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = own_begin(st, &own)) != 0)
        return rc;
    return passkey_write(st, own, sql_passkey_delete_all(st, user_id), user_id);
}

int store_trust_flag_passkeys(struct store *st, int64_t *rows)
{
    char after[USERNAME_MAX + 1] = "";
    struct user *page = NULL;
    size_t n = 0;
    int rc;

    *rows = 0;
    if (store_fault(st))
        return ERR_DB;
    if ((rc = store_begin(st)) != 0)
        return rc;
    do {
        if ((rc = sql_user_list(st, after, 200, &page, &n)) != 0)
            break;
        for (size_t i = 0; i < n && rc == 0; i++) {
            struct passkey_row *pks = NULL;
            size_t npk = 0;
            if ((rc = sql_passkey_list(st, page[i].id, &pks, &npk)) == 0 && npk > 0 &&
                (page[i].flags & STORE_USER_PASSKEY) == 0) {
                rc = user_flag(st, page[i].id, STORE_USER_PASSKEY, true);
                if (rc == ERR_INTEGRITY)
                    rc = 0; /* a row that fails its MAC is refused wherever it is used (logged) */
                else if (rc == 0)
                    ++*rows;
            }
            if (pks != NULL)
                wipe(pks, npk * sizeof(*pks));
            mem_free(pks);
        }
        if (n > 0)
            memcpy(after, page[n - 1].username, sizeof(after));
        for (size_t i = 0; i < n; i++)
            memset(&page[i], 0, sizeof(page[i]));
        mem_free(page);
        page = NULL;
    } while (rc == 0 && n == 200);
    return rc == 0 ? store_commit(st) : (store_rollback(st), rc);
}

int store_challenge_put(struct store *st, const uint8_t hash[32], int64_t user_id, int purpose,
                        int64_t expires, int64_t now)
{
    uint8_t mac[STORE_MAC_LEN];
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_challenge(st, hash, user_id, purpose, expires, mac)) != 0)
        return rc;
    return written(st, sql_challenge_put(st, hash, user_id, purpose, expires, mac, now));
}

/* A challenge's row, MAC checked, deleted when @take. */
static int challenge_read(struct store *st, const uint8_t hash[32], bool take, int64_t now,
                          int64_t *user_id, int *purpose, int64_t *expires_out)
{
    uint8_t mac[STORE_MAC_LEN], want[STORE_MAC_LEN];
    int64_t expires = 0;
    int rc;

    *user_id = 0;
    *purpose = 0;
    if (store_fault(st))
        return ERR_DB;
    rc = sql_challenge_take(st, hash, take, user_id, purpose, &expires, mac);
    if (take)
        rc = written(st, rc);
    if (rc == 0 && (rc = integ_challenge(st, hash, *user_id, *purpose, expires, want)) == 0)
        rc = integ_check(st, want, mac, "WebAuthn challenge", *user_id);
    if (rc == 0 && expires < now)
        rc = ERR_NOT_FOUND;
    if (rc != 0) {
        *user_id = 0;
        *purpose = 0;
    }
    if (expires_out != NULL)
        *expires_out = rc == 0 ? expires : 0;
    return rc;
}

int store_challenge_take(struct store *st, const uint8_t hash[32], int64_t now, int64_t *user_id,
                         int *purpose, int64_t *expires)
{
    return challenge_read(st, hash, true, now, user_id, purpose, expires);
}

int store_challenge_peek(struct store *st, const uint8_t hash[32], int64_t now, int64_t *user_id,
                         int *purpose)
{
    return challenge_read(st, hash, false, now, user_id, purpose, NULL);
}

/* ---- single sign-on links ---- */

int store_sso_link(struct store *st, struct sso_link *l)
{
    bool own;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = integ_sso(st, l, l->mac)) != 0)
        return rc;
    if ((rc = own_begin(st, &own)) != 0)
        return rc;
    if ((rc = sql_sso_add(st, l)) == 0)
        rc = user_flag(st, l->user_id, STORE_USER_SSO, true);
    return own_end(st, own, rc);
}

static int sso_checked(struct store *st, int got, struct sso_link *out)
{
    uint8_t want[STORE_MAC_LEN];
    int rc;

    if (got != 0)
        return got;
    if ((rc = integ_sso(st, out, want)) == 0)
        rc = integ_check(st, want, out->mac, "single sign-on link of account", out->user_id);
    if (rc != 0)
        memset(out, 0, sizeof(*out));
    return rc;
}

int store_sso_get(struct store *st, int64_t user_id, struct sso_link *out)
{
    struct user u;
    int got, rc;

    if (store_fault(st))
        return ERR_DB;
    got = sql_sso_get(st, user_id, out);
    if (got != 0 && got != ERR_NOT_FOUND)
        return got;
    rc = got == 0 ? sso_checked(st, 0, out) : 0;
    if (rc == 0 && out->user_id != 0 && out->user_id != user_id)
        rc = ERR_INTEGRITY;
    /* the account says whether it is linked: a deleted link is caught */
    if (rc == 0 && (rc = store_user_get_by_id(st, user_id, &u)) == 0) {
        bool on = (u.flags & STORE_USER_SSO) != 0;
        if (on != (got == 0)) {
            log_error("integrity: the single sign-on link of account %lld is %s while the "
                      "account says it is %s: the database was changed outside Dissent",
                      (long long)user_id, got == 0 ? "present" : "missing",
                      on ? "linked" : "not linked");
            rc = ERR_INTEGRITY;
        }
        memset(&u, 0, sizeof(u));
    } else if (rc == ERR_NOT_FOUND) {
        rc = 0;
    }
    if (rc != 0 || got != 0)
        memset(out, 0, sizeof(*out));
    return rc != 0 ? rc : got;
}

int store_sso_find(struct store *st, const char *issuer, const char *subject, struct sso_link *out)
{
    if (store_fault(st))
        return ERR_DB;
    return sso_checked(st, sql_sso_find(st, issuer, subject, out), out);
}

int store_sso_unlink(struct store *st, int64_t user_id)
{
    bool own;
    int rc;

    if (store_fault(st))
        return ERR_DB;
    if ((rc = own_begin(st, &own)) != 0)
        return rc;
    if ((rc = sql_sso_delete(st, user_id)) == 0)
        rc = user_flag(st, user_id, STORE_USER_SSO, false);
    return own_end(st, own, rc);
}
