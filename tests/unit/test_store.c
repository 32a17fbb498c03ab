/*
 * The store contract, run against a fresh database: $DISSENT_TEST_STORE names one (a store URI);
 * otherwise a temporary SQLite directory is used. "{n}" in that URI is replaced by the number of
 * the database opened (1, 2, ...) so that every test starts from an empty one.
 */
#include "testutil.h"

#include "util/err.h"
#include "util/mem.h"

#include <stdio.h>
#include <sys/stat.h>

static char dir[64];

static struct store *open_store(void)
{
    const char *uri = getenv("DISSENT_TEST_STORE");
    struct store *st = NULL;
    char err[256] = "";

    static int opened;
    char fresh[1024];
    const char *at;

    if (uri == NULL || *uri == '\0')
        return testutil_store(dir);
    dir[0] = '\0';
    /* each test needs an empty database: "{n}" in the URI becomes 1, 2, ... (scripts/test.sh
     * creates that many databases) */
    if ((at = strstr(uri, "{n}")) != NULL) {
        snprintf(fresh, sizeof(fresh), "%.*s%d%s", (int)(at - uri), uri, ++opened, at + 3);
        uri = fresh;
    }
    if (store_open(uri, &st, err, sizeof(err)) != 0)
        fail_msg("store_open: %s", err);
    /* the pin of what the database cannot change lives in a directory of its own */
    memcpy(dir, "/tmp/dissent-unit-XXXXXX", 25);
    assert_non_null(mkdtemp(dir));
    testutil_trust(st, dir);
    return st;
}

static void close_store(struct store *st)
{
    store_close(st);
    if (dir[0] != '\0')
        testutil_rmdir(dir);
}

static struct user mkuser(const char *name)
{
    struct user u;

    memset(&u, 0, sizeof(u));
    snprintf(u.username, sizeof(u.username), "%s", name);
    snprintf(u.pwhash, sizeof(u.pwhash), "$argon2id$fake");
    u.roles = 1;
    u.created_at = 100;
    return u;
}

static void users(void **state)
{
    struct store *st = open_store();
    struct user a = mkuser("alice"), b = mkuser("bob"), got, *list = NULL;
    size_t n = 0;
    int64_t count = -1;

    assert_int_equal(store_ping(st), 0);
    assert_int_equal(store_user_count(st, &count), 0);
    assert_int_equal(count, 0);
    assert_int_equal(store_user_create(st, &b), 0);
    assert_int_equal(store_user_create(st, &a), 0);
    assert_true(a.id != b.id);
    assert_int_equal(store_user_create(st, &a), ERR_EXISTS);
    assert_int_equal(store_user_count(st, &count), 0);
    assert_int_equal(count, 2);

    assert_int_equal(store_user_get_by_id(st, a.id, &got), 0);
    assert_string_equal(got.username, "alice");
    assert_int_equal(got.version, 1);
    assert_int_equal(store_user_get_by_name(st, "carol", &got), ERR_NOT_FOUND);
    assert_int_equal(got.id, 0);

    assert_int_equal(store_user_list(st, "", 1, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].username, "alice");
    free(list);
    assert_int_equal(store_user_list(st, "alice", 10, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].username, "bob");
    free(list);

    got = a;
    snprintf(got.display_name, sizeof(got.display_name), "Alice A.");
    got.roles = 3;
    got.disabled = true;
    assert_int_equal(store_user_update(st, &got), 0);
    assert_int_equal(got.version, 2);
    /* a stale version is refused and changes nothing */
    a.roles = 16;
    assert_int_equal(store_user_update(st, &a), ERR_CONFLICT);
    assert_int_equal(store_user_get_by_name(st, "alice", &got), 0);
    assert_string_equal(got.display_name, "Alice A.");
    assert_int_equal(got.roles, 3);
    assert_true(got.disabled);
    close_store(st);
}

/* The account fields of issue 14 (log tag, last reset, first confirmation), clearing relation
 * bits, and replacing the channel key: the same on both backends. */
static void accounts_and_channel(void **state)
{
    struct store *st = open_store();
    struct user a = mkuser("alice"), got;
    uint8_t pk[STORE_PUB_LEN], pk2[STORE_PUB_LEN], back[STORE_PUB_LEN];
    struct memo m;
    unsigned rel = 0;

    (void)state;
    memset(a.log_tag, 0xa5, sizeof(a.log_tag));
    a.has_log_tag = true;
    a.reset_at = 1234;
    a.confirm_by = 77;
    a.flags = STORE_USER_RESET | STORE_USER_HELD;
    assert_int_equal(store_user_create(st, &a), 0);
    assert_int_equal(store_user_get_by_id(st, a.id, &got), 0);
    assert_true(got.has_log_tag);
    assert_memory_equal(got.log_tag, a.log_tag, sizeof(a.log_tag));
    assert_int_equal(got.reset_at, 1234);
    assert_int_equal(got.confirm_by, 77);
    assert_int_equal(got.flags, STORE_USER_RESET | STORE_USER_HELD);
    got.confirm_by = 0;
    got.flags = 0;
    got.reset_at = 99;
    assert_int_equal(store_user_update(st, &got), 0);
    assert_int_equal(store_user_get_by_id(st, a.id, &got), 0);
    assert_int_equal(got.confirm_by, 0);
    assert_int_equal(got.reset_at, 99);
    assert_memory_equal(got.log_tag, a.log_tag, sizeof(a.log_tag));

    /* relation bits: dropping one keeps the others; dropping on nothing is no error */
    memset(&m, 0, sizeof(m));
    snprintf(m.public_id, sizeof(m.public_id), "00112233445566778899aabb");
    m.drafter_id = a.id;
    m.created_at = 1;
    assert_int_equal(store_memo_create(st, &m), 0);
    assert_int_equal(store_member_add(st, &m, a.id, STORE_REL_INVITED | STORE_REL_DECLINED, 1), 0);
    assert_int_equal(store_member_drop(st, m.id, a.id, STORE_REL_DECLINED), 0);
    assert_int_equal(store_member_get(st, &m, a.id, &rel), 0);
    assert_int_equal(rel, STORE_REL_INVITED);
    assert_int_equal(store_member_drop(st, m.id + 1, a.id, STORE_REL_DECLINED), 0);
    store_memo_release(&m);

    /* the channel key: no rotation before it exists; afterwards the new one is read back */
    memset(pk, 1, sizeof(pk));
    memset(pk2, 2, sizeof(pk2));
    assert_int_equal(store_channel_key_rotate(st, 1, pk2, a.id, 10), ERR_NOT_FOUND);
    assert_int_equal(store_channel_key_create(st, 1, pk, a.id, 10), 0);
    assert_int_equal(store_channel_key_rotate(st, 1, pk2, a.id, 11), 0);
    assert_int_equal(store_channel_key_get(st, 1, back), 0);
    assert_memory_equal(back, pk2, sizeof(pk2));
    close_store(st);
}

static void sessions(void **state)
{
    struct store *st = open_store();
    struct user a = mkuser("alice");
    struct session s = {.created_at = 10, .last_seen = 20}, got;

    assert_int_equal(store_user_create(st, &a), 0);
    memset(s.hash, 0xab, sizeof(s.hash));
    s.user_id = a.id;
    assert_int_equal(store_session_create(st, &s), 0);
    assert_int_equal(store_session_get(st, s.hash, &got), 0);
    assert_int_equal(got.user_id, a.id);
    assert_int_equal(got.last_seen, 20);
    assert_int_equal(store_session_touch(st, s.hash, 30), 0);
    assert_int_equal(store_session_get(st, s.hash, &got), 0);
    assert_int_equal(got.last_seen, 30);

    assert_int_equal(store_session_purge(st, 25, 0), 0);
    assert_int_equal(store_session_get(st, s.hash, &got), 0);
    assert_int_equal(store_session_purge(st, 31, 0), 0);
    assert_int_equal(store_session_get(st, s.hash, &got), ERR_NOT_FOUND);

    assert_int_equal(store_session_create(st, &s), 0);
    assert_int_equal(store_session_delete_user(st, a.id), 0);
    assert_int_equal(store_session_get(st, s.hash, &got), ERR_NOT_FOUND);
    assert_int_equal(store_session_create(st, &s), 0);
    assert_int_equal(store_session_delete(st, s.hash), 0);
    assert_int_equal(store_session_get(st, s.hash, &got), ERR_NOT_FOUND);
    close_store(st);
}

static void login_failures(void **state)
{
    struct store *st = open_store();
    int count = -1;
    int64_t newest = -1;

    assert_int_equal(store_login_failure_add(st, "u:x", 100), 0);
    assert_int_equal(store_login_failure_add(st, "u:x", 110), 0);
    assert_int_equal(store_login_failure_add(st, "u:y", 120), 0);
    assert_int_equal(store_login_failure_count(st, "u:x", 0, &count, &newest), 0);
    assert_int_equal(count, 2);
    assert_int_equal(newest, 110);
    assert_int_equal(store_login_failure_count(st, "u:x", 105, &count, &newest), 0);
    assert_int_equal(count, 1);
    assert_int_equal(newest, 110);
    /* taking back one reserved attempt leaves the others */
    assert_int_equal(store_login_failure_add(st, "u:y", 120), 0);
    assert_int_equal(store_login_failure_take(st, "u:y", 120), 0);
    assert_int_equal(store_login_failure_count(st, "u:y", 0, &count, &newest), 0);
    assert_int_equal(count, 1);
    assert_int_equal(store_login_failure_take(st, "u:y", 999), 0); /* none: no error */
    assert_int_equal(store_login_failure_clear(st, "u:x"), 0);
    assert_int_equal(store_login_failure_count(st, "u:x", 0, &count, &newest), 0);
    assert_int_equal(count, 0);
    assert_int_equal(store_login_failure_count(st, "u:y", 0, &count, &newest), 0);
    assert_int_equal(count, 1);
    assert_int_equal(newest, 120);
    close_store(st);
}

static void sqlite_files_private_and_reopen(void **state)
{
    char path[128], err[256];
    struct store *st, *st2 = NULL;
    struct stat sb;
    struct user a = mkuser("alice"), got;
    mode_t old = umask(077);

    if (getenv("DISSENT_TEST_STORE") != NULL) {
        umask(old);
        skip();
    }
    st = testutil_store(dir);
    assert_int_equal(store_user_create(st, &a), 0);
    snprintf(path, sizeof(path), "%s/dissent.db", dir);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 077, 0);
    /* a second connection sees the first one's committed rows; migrations are idempotent */
    assert_int_equal(store_open(dir, &st2, err, sizeof(err)), 0);
    testutil_trust(st2, dir);
    assert_int_equal(store_user_get_by_name(st2, "alice", &got), 0);
    store_close(st2);
    assert_int_equal(store_open("mysql://nowhere", &st2, err, sizeof(err)), ERR_INVALID);
    assert_null(st2);
    umask(old);
    close_store(st);
}

/* Rows of one table, copied by export_import(). */
struct copy {
    struct store *to;
    size_t table;
    int64_t rows;
};

static int copy_row(void *ctx, const struct store_value *row, size_t n)
{
    struct copy *c = ctx;
    int rc = store_table_load(c->to, c->table, row, n);

    c->rows += rc == 0;
    return rc;
}

/* Every table dumped from one database and loaded into another (dissent migrate): the same row
 * counts, blobs and text byte for byte, ids kept, the id generators moved past them. */
static void export_import(void **state)
{
    struct store *a = open_store(), *b;
    char dir_a[64];
    struct user u = mkuser("alice"), v = mkuser("bob"), got, w = mkuser("carol");
    struct session se, se2;
    struct store_value bad[1];
    uint64_t size = 7;
    int64_t ra = 0, rb = 0;

    memcpy(dir_a, dir, sizeof(dir_a));
    dir[0] = '\0';
    b = open_store();
    snprintf(u.display_name, sizeof(u.display_name), "Alice \xc3\xa9");
    assert_int_equal(store_user_create(a, &u), 0);
    assert_int_equal(store_user_create(a, &v), 0);
    u.has_keys = true;
    for (size_t i = 0; i < sizeof(u.keys_wrapped); i++)
        u.keys_wrapped[i] = (uint8_t)i; /* a NUL byte and every other value */
    memset(u.sign_pk, 0, sizeof(u.sign_pk));
    snprintf(u.key_binding, sizeof(u.key_binding), "a binding (core/trust.h)");
    assert_int_equal(store_user_update(a, &u), 0);
    memset(&se, 0, sizeof(se));
    memset(se.hash, 0xab, sizeof(se.hash));
    se.user_id = v.id;
    se.created_at = se.last_seen = 50;
    assert_int_equal(store_session_create(a, &se), 0);
    assert_int_equal(store_login_failure_add(a, "bob", 60), 0);

    assert_true(store_table_count() > 10);
    assert_int_equal(store_begin(b), 0);
    for (size_t t = 0; t < store_table_count(); t++) {
        struct copy c = {b, t, 0};
        assert_non_null(store_table_name(t));
        assert_int_equal(store_table_dump(a, t, copy_row, &c), 0);
        assert_int_equal(store_table_rows(a, t, &ra), 0);
        assert_int_equal(c.rows, ra);
    }
    assert_int_equal(store_load_finish(b), 0);
    assert_int_equal(store_commit(b), 0);
    for (size_t t = 0; t < store_table_count(); t++) {
        assert_int_equal(store_table_rows(a, t, &ra), 0);
        assert_int_equal(store_table_rows(b, t, &rb), 0);
        assert_int_equal(ra, rb);
    }
    assert_int_equal(store_user_get_by_name(b, "alice", &got), 0);
    assert_int_equal(got.id, u.id);
    assert_string_equal(got.display_name, "Alice \xc3\xa9");
    assert_true(got.has_keys);
    assert_memory_equal(got.keys_wrapped, u.keys_wrapped, sizeof(u.keys_wrapped));
    assert_int_equal(store_session_get(b, se.hash, &se2), 0);
    assert_int_equal(se2.user_id, v.id);
    assert_int_equal(store_tlog_size(b, &size), 0);
    assert_int_equal(size, 0);
    /* a new row gets an id after the copied ones */
    assert_int_equal(store_user_create(b, &w), 0);
    assert_true(w.id > v.id && w.id > u.id);
    /* a copied row again is a duplicate key; a row of the wrong width is refused */
    {
        struct copy c = {b, 0, 0};
        assert_int_equal(store_begin(b), 0);
        assert_int_equal(store_table_dump(a, 0, copy_row, &c), ERR_EXISTS);
        store_rollback(b);
    }
    memset(bad, 0, sizeof(bad));
    assert_int_equal(store_table_load(b, 0, bad, 1), ERR_INVALID);
    assert_int_equal(store_table_rows(b, store_table_count(), &rb), ERR_INVALID);

    close_store(b);
    memcpy(dir, dir_a, sizeof(dir));
    close_store(a);
    (void)state;
}

static void totp_rows(void **state)
{
    struct store *st = open_store();
    struct user a = mkuser("alice");
    struct user_totp t, got;

    assert_int_equal(store_user_create(st, &a), 0);
    assert_int_equal(store_totp_get(st, a.id, &got), ERR_NOT_FOUND);
    memset(&t, 0, sizeof(t));
    t.user_id = a.id;
    memset(t.sealed, 0x5a, sizeof(t.sealed));
    t.created_at = 100;
    assert_int_equal(store_totp_put(st, &t), 0);
    assert_int_equal(t.version, 1);
    assert_int_equal(store_totp_get(st, a.id, &got), 0);
    assert_false(got.enabled);
    assert_int_equal(got.last_step, 0);
    assert_int_equal(got.version, 1);
    assert_memory_equal(got.sealed, t.sealed, sizeof(t.sealed));
    /* a pending enrolment is replaced */
    memset(t.sealed, 0x6b, sizeof(t.sealed));
    t.created_at = 110;
    assert_int_equal(store_totp_put(st, &t), 0);
    assert_int_equal(store_totp_get(st, a.id, &got), 0);
    assert_int_equal(got.sealed[0], 0x6b);
    assert_int_equal(got.created_at, 110);
    /* turned on, with codes; a stale version loses */
    got.enabled = true;
    got.last_step = 12345;
    memset(got.codes[3], 0x77, sizeof(got.codes[3]));
    got.updated_at = 120;
    assert_int_equal(store_totp_update(st, &got), 0);
    assert_int_equal(got.version, 2);
    t = got;
    t.version = 1;
    t.last_step = 99999;
    assert_int_equal(store_totp_update(st, &t), ERR_CONFLICT);
    assert_int_equal(store_totp_get(st, a.id, &t), 0);
    assert_true(t.enabled);
    assert_int_equal(t.last_step, 12345);
    assert_int_equal(t.codes[3][0], 0x77);
    assert_int_equal(t.codes[2][0], 0);
    assert_int_equal(t.updated_at, 120);
    /* an enabled factor is not replaced by a new enrolment */
    assert_int_equal(store_totp_put(st, &t), ERR_EXISTS);
    assert_int_equal(store_totp_get(st, a.id, &got), 0);
    assert_true(got.enabled);
    assert_int_equal(store_totp_delete(st, a.id), 0);
    assert_int_equal(store_totp_get(st, a.id, &got), ERR_NOT_FOUND);
    close_store(st);
    (void)state;
}

/* The runtime calendar's rows: ids in order, every field back, an update of the last day and
 * the removal, each under a MAC the list checks. */
static void calendar_rows(void **state)
{
    struct store *st = open_store();
    struct calendar_row a = {0}, b = {0}, *rows = NULL;
    size_t n = 9;

    assert_int_equal(store_calendar_list(st, &rows, &n), 0);
    assert_int_equal(n, 0);
    mem_free(rows);
    a.kind = STORE_CAL_CLOSURE;
    a.first = a.last = 20725;
    snprintf(a.reason, sizeof(a.reason), "Storm: offices shut");
    a.created_at = 1000;
    b.kind = STORE_CAL_STOP;
    b.first = 20800;
    b.last = -1;
    snprintf(b.reason, sizeof(b.reason), "Funding lapse");
    b.created_at = 1001;
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_calendar_add(st, &a), 0);
    assert_int_equal(store_calendar_add(st, &b), 0);
    assert_int_equal(store_commit(st), 0);
    assert_true(a.id > 0 && b.id > a.id);
    b.last = 20810;
    a.removed_at = 1002;
    assert_int_equal(store_calendar_update(st, &b), 0);
    assert_int_equal(store_calendar_update(st, &a), 0);
    assert_int_equal(store_calendar_list(st, &rows, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].id, a.id);
    assert_int_equal(rows[0].kind, STORE_CAL_CLOSURE);
    assert_int_equal(rows[0].first, 20725);
    assert_int_equal(rows[0].last, 20725);
    assert_int_equal(rows[0].removed_at, 1002);
    assert_string_equal(rows[0].reason, "Storm: offices shut");
    assert_int_equal(rows[1].kind, STORE_CAL_STOP);
    assert_int_equal(rows[1].first, 20800);
    assert_int_equal(rows[1].last, 20810);
    assert_int_equal(rows[1].created_at, 1001);
    assert_int_equal(rows[1].removed_at, 0);
    assert_string_equal(rows[1].reason, "Funding lapse");
    mem_free(rows);
    close_store(st);
    (void)state;
}

/* Passkeys: every field back, credential ids unique across accounts, a counter update only from
 * the value read, deletion by their owner only; challenges taken once, never after expiry. */
static void sso_links(void **state)
{
    struct store *st = open_store();
    struct user a = mkuser("ssoa"), b = mkuser("ssob"), u;
    struct sso_link l = {0}, got;

    assert_int_equal(store_user_create(st, &a), 0);
    assert_int_equal(store_user_create(st, &b), 0);
    assert_int_equal(store_sso_get(st, a.id, &got), ERR_NOT_FOUND);
    l.user_id = a.id;
    snprintf(l.issuer, sizeof(l.issuer), "https://idp.example");
    snprintf(l.subject, sizeof(l.subject), "248289761001");
    l.linked_at = 1000;
    assert_int_equal(store_sso_link(st, &l), 0);
    assert_int_equal(store_sso_get(st, a.id, &got), 0);
    assert_string_equal(got.subject, "248289761001");
    assert_int_equal(got.linked_at, 1000);
    assert_int_equal(store_sso_find(st, "https://idp.example", "248289761001", &got), 0);
    assert_int_equal(got.user_id, a.id);
    assert_int_equal(store_sso_find(st, "https://idp.example", "other", &got), ERR_NOT_FOUND);
    assert_int_equal(store_sso_find(st, "https://other.example", "248289761001", &got),
                     ERR_NOT_FOUND);
    /* one link per account, one account per subject */
    l.user_id = b.id;
    assert_int_equal(store_sso_link(st, &l), ERR_EXISTS);
    assert_int_equal(store_sso_get(st, b.id, &got), ERR_NOT_FOUND);
    l.user_id = a.id;
    snprintf(l.subject, sizeof(l.subject), "another");
    assert_int_equal(store_sso_link(st, &l), ERR_EXISTS);
    /* the account's flag says it is linked: a link gone while it says so is caught */
    assert_int_equal(store_user_get_by_id(st, a.id, &u), 0);
    assert_int_equal(u.flags & STORE_USER_SSO, STORE_USER_SSO);
    assert_int_equal(store_sso_unlink(st, a.id), 0);
    assert_int_equal(store_sso_unlink(st, a.id), ERR_NOT_FOUND);
    assert_int_equal(store_user_get_by_id(st, a.id, &u), 0);
    assert_int_equal(u.flags & STORE_USER_SSO, 0);
    assert_int_equal(store_sso_get(st, a.id, &got), ERR_NOT_FOUND);
    u.flags |= STORE_USER_SSO;
    assert_int_equal(store_user_update(st, &u), 0);
    assert_int_equal(store_sso_get(st, a.id, &got), ERR_INTEGRITY);
    close_store(st);
    (void)state;
}

static void passkey_rows(void **state)
{
    struct store *st = open_store();
    struct user a = mkuser("pka"), b = mkuser("pkb");
    struct passkey_row p = {0}, q = {0}, got, *rows = NULL;
    uint8_t h1[32], h2[32], h3[32];
    struct user u;
    int64_t uid = 0, changed = -1;
    size_t n = 9;
    int purpose = 0;

    assert_int_equal(store_user_create(st, &a), 0);
    assert_int_equal(store_user_create(st, &b), 0);
    p.user_id = a.id;
    memset(p.cred_id, 0xc1, 40);
    p.cred_id_len = 40;
    p.alg = -8;
    memset(p.pk, 0x11, 32);
    p.pk_len = 32;
    p.sign_count = 3;
    snprintf(p.name, sizeof(p.name), "Laptop");
    p.has_prf = true;
    memset(p.prf_salt, 0x22, sizeof(p.prf_salt));
    memset(p.wrapped, 0x33, sizeof(p.wrapped));
    p.created_at = 1000;
    q = p;
    q.user_id = b.id;
    assert_int_equal(store_passkey_add(st, &p), 0);
    assert_true(p.id > 0);
    assert_int_equal(store_passkey_add(st, &q), ERR_EXISTS); /* the same credential id */
    q.cred_id[0] = 0xc2;
    q.alg = -7;
    q.pk_len = 64;
    q.has_prf = false;
    assert_int_equal(store_passkey_add(st, &q), 0);
    assert_int_equal(store_passkey_list(st, a.id, &rows, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].id, p.id);
    assert_int_equal(rows[0].cred_id_len, 40);
    assert_memory_equal(rows[0].pk, p.pk, 32);
    assert_int_equal(rows[0].pk_len, 32);
    assert_int_equal(rows[0].sign_count, 3);
    assert_string_equal(rows[0].name, "Laptop");
    assert_true(rows[0].has_prf);
    assert_memory_equal(rows[0].wrapped, p.wrapped, sizeof(p.wrapped));
    mem_free(rows);
    assert_int_equal(store_passkey_find(st, q.cred_id, q.cred_id_len, &got), 0);
    assert_int_equal(got.user_id, b.id);
    assert_int_equal(got.alg, -7);
    assert_false(got.has_prf);
    /* the counter moves only from the value read */
    got.sign_count = 5;
    got.last_used_at = 2000;
    assert_int_equal(store_passkey_used(st, &got, 3), 0);
    got.sign_count = 6;
    assert_int_equal(store_passkey_used(st, &got, 3), ERR_CONFLICT); /* it is 5 now */
    assert_int_equal(store_passkey_find(st, q.cred_id, q.cred_id_len, &got), 0);
    assert_int_equal(got.sign_count, 5);
    assert_int_equal(got.last_used_at, 2000);
    /* a row is its owner's to delete */
    assert_int_equal(store_passkey_delete(st, a.id, q.id), ERR_NOT_FOUND);
    assert_int_equal(store_passkey_delete(st, b.id, q.id), 0);
    assert_int_equal(store_passkey_find(st, q.cred_id, q.cred_id_len, &got), ERR_NOT_FOUND);
    /* the account's row says whether it has passkeys, and the rows must agree */
    assert_int_equal(store_user_get_by_id(st, b.id, &u), 0);
    assert_int_equal(u.flags & STORE_USER_PASSKEY, 0);
    assert_int_equal(store_user_get_by_id(st, a.id, &u), 0);
    assert_int_equal(u.flags & STORE_USER_PASSKEY, STORE_USER_PASSKEY);
    u.flags &= ~STORE_USER_PASSKEY; /* as an earlier version left it */
    assert_int_equal(store_user_update(st, &u), 0);
    assert_int_equal(store_passkey_list(st, a.id, &rows, &n), ERR_INTEGRITY);
    assert_null(rows);
    assert_int_equal(store_trust_flag_passkeys(st, &changed), 0); /* the conversion */
    assert_int_equal(changed, 1);
    assert_int_equal(store_trust_flag_passkeys(st, &changed), 0);
    assert_int_equal(changed, 0);
    assert_int_equal(store_passkey_list(st, a.id, &rows, &n), 0);
    assert_int_equal(n, 1);
    mem_free(rows);
    assert_int_equal(store_passkey_delete_all(st, a.id), 0);
    assert_int_equal(store_passkey_list(st, a.id, &rows, &n), 0);
    assert_int_equal(n, 0);
    mem_free(rows);
    assert_int_equal(store_user_get_by_id(st, a.id, &u), 0);
    assert_int_equal(u.flags & STORE_USER_PASSKEY, 0);
    u.flags |= STORE_USER_PASSKEY; /* rows deleted outside Dissent look like this */
    assert_int_equal(store_user_update(st, &u), 0);
    assert_int_equal(store_passkey_list(st, a.id, &rows, &n), ERR_INTEGRITY);
    /* challenges */
    memset(h1, 1, 32);
    memset(h2, 2, 32);
    memset(h3, 3, 32);
    assert_int_equal(store_challenge_put(st, h1, a.id, STORE_CHALLENGE_REGISTER, 1300, 1000), 0);
    assert_int_equal(store_challenge_put(st, h2, 0, STORE_CHALLENGE_SIGNIN, 1100, 1000), 0);
    assert_int_equal(store_challenge_take(st, h1, 1200, &uid, &purpose, NULL), 0);
    assert_int_equal(uid, a.id);
    assert_int_equal(purpose, STORE_CHALLENGE_REGISTER);
    assert_int_equal(store_challenge_take(st, h1, 1200, &uid, &purpose, NULL), ERR_NOT_FOUND);
    assert_int_equal(store_challenge_take(st, h2, 1200, &uid, &purpose, NULL), ERR_NOT_FOUND);
    assert_int_equal(store_challenge_take(st, h3, 1200, &uid, &purpose, NULL), ERR_NOT_FOUND);
    close_store(st);
    (void)state;
}

static struct outbox_item mkitem(const char *key, int64_t user_id, int64_t next_at)
{
    struct outbox_item it;

    memset(&it, 0, sizeof(it));
    snprintf(it.dedupe, sizeof(it.dedupe), "%s", key);
    snprintf(it.kind, sizeof(it.kind), "filed");
    snprintf(it.rcpt, sizeof(it.rcpt), "a@example.org");
    it.user_id = user_id;
    it.subject = "Dissent: memo x was filed";
    it.body = "body\r\n";
    it.next_at = next_at;
    it.created_at = next_at;
    return it;
}

static void outbox_rows(void **state)
{
    struct store *st = open_store();
    struct user a = mkuser("alice");
    struct outbox_item it, *items = NULL;
    size_t n = 0;
    unsigned off = 99;

    assert_int_equal(store_user_create(st, &a), 0);
    /* queued once per dedupe key, inside a transaction or not */
    it = mkitem("filed/m1/u1", a.id, 100);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_outbox_add(st, &it), 0);
    assert_int_equal(store_outbox_add(st, &it), 0);
    assert_int_equal(store_commit(st), 0);
    it = mkitem("escalation/m1/ack/2025-07-08/escalation", 0, 50);
    assert_int_equal(store_outbox_add(st, &it), 0);
    it = mkitem("later", a.id, 500);
    assert_int_equal(store_outbox_add(st, &it), 0);
    /* a rolled-back transaction queues nothing */
    it = mkitem("rolled-back", a.id, 10);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_outbox_add(st, &it), 0);
    assert_int_equal(store_rollback(st), 0);

    /* due at 100: the two due ones, earliest first, with their content */
    assert_int_equal(store_outbox_due(st, 100, 10, &items, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].dedupe, "escalation/m1/ack/2025-07-08/escalation");
    assert_int_equal(items[0].user_id, 0);
    assert_int_equal(items[1].user_id, a.id); /* opened from the sealed email */
    assert_string_equal(items[1].rcpt, "a@example.org");
    assert_string_equal(items[1].subject, "Dissent: memo x was filed");
    assert_string_equal(items[1].body, "body\r\n");
    assert_int_equal(items[1].status, STORE_OUTBOX_PENDING);
    /* claimed once: a second claim (another sender) loses */
    assert_int_equal(store_outbox_claim(st, items[1].id, 100, 200), 0);
    assert_int_equal(store_outbox_claim(st, items[1].id, 100, 200), ERR_CONFLICT);
    assert_int_equal(store_outbox_finish(st, items[1].id, STORE_OUTBOX_SENT, 0, 0, 101), 0);
    assert_int_equal(store_outbox_claim(st, items[0].id, 100, 200), 0);
    assert_int_equal(store_outbox_finish(st, items[0].id, STORE_OUTBOX_PENDING, 1, 160, 0), 0);
    store_outbox_list_free(items, n);
    assert_int_equal(store_outbox_due(st, 150, 10, &items, &n), 0);
    assert_int_equal(n, 0);
    store_outbox_list_free(items, n);
    assert_int_equal(store_outbox_due(st, 1000, 10, &items, &n), 0);
    assert_int_equal(n, 2); /* the retry and the later one; the sent one never again */
    store_outbox_list_free(items, n);

    /* the admin list: newest first, paged, without content */
    assert_int_equal(store_outbox_list(st, 0, 2, &items, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].dedupe, "later");
    assert_null(items[0].subject);
    assert_int_equal(items[1].attempts, 1);
    assert_int_equal(items[1].next_at, 160);
    int64_t after = items[1].id;
    store_outbox_list_free(items, n);
    assert_int_equal(store_outbox_list(st, after, 2, &items, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].status, STORE_OUTBOX_SENT);
    assert_int_equal(items[0].sent_at, 101);
    store_outbox_list_free(items, n);

    /* notification choices */
    assert_int_equal(store_notify_prefs_get(st, a.id, &off), 0);
    assert_int_equal(off, 0);
    assert_int_equal(store_notify_prefs_set(st, a.id, 0x12), 0);
    assert_int_equal(store_notify_prefs_set(st, a.id, 0x30), 0);
    assert_int_equal(store_notify_prefs_get(st, a.id, &off), 0);
    assert_int_equal(off, 0x30);
    close_store(st);
    (void)state;
}

/* A memo and every row that hangs off it, through the store's entry points, on either backend:
 * what is written reads back as written (the names, pseudonyms and seals of store.h's "Who"
 * included), and lookups answer for the right account only. */
static void memos_and_what_hangs_off_them(void **state)
{
    struct store *st = open_store();
    struct user d = mkuser("drafter"), c = mkuser("cosigner"), o = mkuser("outsider");
    struct memo m, got, *list = NULL;
    struct memo_filter f;
    struct memo_member *mem = NULL;
    struct signature sig, *sigs = NULL;
    struct memo_comment cm, *cms = NULL;
    struct memo_event *evs = NULL;
    struct memo_key_row *keys = NULL;
    struct audit_record rec, last, *recs = NULL;
    uint8_t sealed[STORE_SEALED_LEN], back[STORE_SEALED_LEN];
    unsigned rel = 0;
    int64_t version = 0, last_id = 0;
    int mstate = 0, signers = 0;
    size_t n = 0;
    bool yes = false;

    (void)state;
    assert_int_equal(store_user_create(st, &d), 0);
    assert_int_equal(store_user_create(st, &c), 0);
    assert_int_equal(store_user_create(st, &o), 0);
    assert_int_equal(store_user_last_id(st, &last_id), 0);
    assert_int_equal(last_id, o.id);

    /* the memo: created, read, updated, listed for its drafter only */
    memset(&m, 0, sizeof(m));
    snprintf(m.public_id, sizeof(m.public_id), "aabbccddeeff001122334455");
    m.drafter_id = d.id;
    m.title = (uint8_t *)"enc:title";
    m.title_len = 9;
    m.body = (uint8_t *)"enc:body";
    m.body_len = 8;
    m.created_at = 100;
    m.filed_day = m.ack_day = m.ack_due = m.reply_due = m.reply_max = m.replied_day = m.closed_day =
        STORE_DAY_NONE;
    m.log_index = -1;
    assert_int_equal(store_memo_create(st, &m), 0);
    assert_int_equal(store_memo_last_id(st, &last_id), 0);
    assert_int_equal(last_id, m.id);
    assert_int_equal(store_memo_get(st, m.public_id, &got), 0);
    assert_int_equal(got.drafter_id, d.id);
    assert_memory_equal(got.title, "enc:title", 9);
    got.state = 1;
    got.updated_at = 101;
    assert_int_equal(store_memo_update(st, &got), 0);
    assert_int_equal(store_memo_head(st, m.public_id, &mstate, &version, &signers), 0);
    assert_int_equal(mstate, 1);
    assert_int_equal(version, 2);
    assert_int_equal(signers, 0);
    store_memo_release(&got);
    memset(&f, 0, sizeof(f));
    f.user_id = d.id;
    f.drafted = true;
    f.state = -1;
    f.limit = 10;
    assert_int_equal(store_memo_list(st, &f, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].drafter_id, d.id);
    store_memo_list_free(list, n);
    f.user_id = o.id;
    assert_int_equal(store_memo_list(st, &f, &list, &n), 0);
    assert_int_equal(n, 0);
    store_memo_list_free(list, n);
    assert_int_equal(store_memo_get(st, m.public_id, &got), 0);

    /* a member: listed by name, found for that account only, and its memo listed to it */
    assert_int_equal(store_member_add(st, &got, c.id, STORE_REL_INVITED, 102), 0);
    assert_int_equal(store_member_get(st, &got, c.id, &rel), 0);
    assert_int_equal(rel, STORE_REL_INVITED);
    assert_int_equal(store_member_get(st, &got, o.id, &rel), 0);
    assert_int_equal(rel, 0);
    assert_int_equal(store_member_list(st, &got, STORE_REL_INVITED, &mem, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(mem[0].user_id, c.id);
    assert_string_equal(mem[0].username, "cosigner");
    mem_free(mem);
    memset(&f, 0, sizeof(f));
    f.user_id = c.id;
    f.relations = STORE_REL_INVITED;
    f.state = -1;
    f.limit = 10;
    assert_int_equal(store_memo_list(st, &f, &list, &n), 0);
    assert_int_equal(n, 1);
    store_memo_list_free(list, n);

    /* a signature: its note and vkey back in clear, its signer by name; withdrawn; voided */
    memset(&sig, 0, sizeof(sig));
    sig.memo_id = got.id;
    sig.user_id = c.id;
    sig.note = "a signed note\n";
    sig.vkey = "cosigner+01234567+AAAA";
    sig.created_at = 103;
    assert_int_equal(store_signature_add(st, &got, &sig), 0);
    assert_int_equal(store_signature_add(st, &got, &sig), ERR_EXISTS);
    assert_int_equal(store_signature_has(st, &got, c.id, &yes), 0);
    assert_true(yes);
    assert_int_equal(store_signature_has(st, &got, o.id, &yes), 0);
    assert_false(yes);
    assert_int_equal(store_signature_list(st, &got, false, &sigs, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(sigs[0].user_id, c.id);
    assert_string_equal(sigs[0].username, "cosigner");
    assert_string_equal(sigs[0].note, "a signed note\n");
    assert_string_equal(sigs[0].vkey, "cosigner+01234567+AAAA");
    store_signature_list_free(sigs, n);
    assert_int_equal(store_signature_withdraw(st, got.id, c.id), 0);
    assert_int_equal(store_signature_withdraw(st, got.id, c.id), ERR_NOT_FOUND);
    sig.created_at = 104;
    assert_int_equal(store_signature_add(st, &got, &sig), 0);
    assert_int_equal(store_signature_void_all(st, got.id, "enc:reason", 105), 0);
    assert_int_equal(store_signature_list(st, &got, false, &sigs, &n), 0);
    assert_int_equal(n, 0);
    store_signature_list_free(sigs, n);
    assert_int_equal(store_signature_list(st, &got, true, &sigs, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(sigs[0].voided_at, 105);
    assert_string_equal(sigs[0].void_reason, "enc:reason");
    store_signature_list_free(sigs, n);

    /* memo keys: the account's and the channel's; revoked with the account's keys */
    memset(sealed, 7, sizeof(sealed));
    assert_int_equal(store_memo_key_put(st, got.id, got.public_id, c.id, sealed, 106), 0);
    assert_int_equal(store_memo_key_put(st, got.id, got.public_id, STORE_CHANNEL, sealed, 106), 0);
    assert_int_equal(store_memo_key_get(st, got.id, got.public_id, c.id, back), 0);
    assert_memory_equal(back, sealed, sizeof(sealed));
    assert_int_equal(store_memo_key_get(st, got.id, got.public_id, o.id, back), ERR_NOT_FOUND);
    assert_int_equal(store_memo_keys_of(st, c.id, &keys, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(keys[0].public_id, got.public_id);
    mem_free(keys);
    assert_int_equal(store_user_revoke_keys(st, c.id, STORE_REVOKE_MEMO_KEYS), 0);
    assert_int_equal(store_memo_key_get(st, got.id, got.public_id, c.id, back), ERR_NOT_FOUND);
    assert_int_equal(store_memo_key_get(st, got.id, got.public_id, STORE_CHANNEL, back), 0);
    assert_int_equal(store_memo_key_put(st, got.id, got.public_id, d.id, sealed, 107), 0);
    assert_int_equal(store_memo_key_delete(st, got.id, d.id), 0);
    assert_int_equal(store_memo_key_get(st, got.id, got.public_id, d.id, back), ERR_NOT_FOUND);

    /* a channel grant */
    assert_int_equal(store_channel_grant_get(st, 1, o.id, back), ERR_NOT_FOUND);
    assert_int_equal(store_channel_grant_put(st, 1, o.id, sealed, d.id, 108), 0);
    assert_int_equal(store_channel_grant_get(st, 1, o.id, back), 0);
    assert_memory_equal(back, sealed, sizeof(sealed));

    /* a comment and an event, their authors by name */
    memset(&cm, 0, sizeof(cm));
    cm.author_id = c.id;
    cm.body = (uint8_t *)"enc:comment";
    cm.body_len = 11;
    cm.at = 109;
    assert_int_equal(store_comment_add(st, got.id, &cm), 0);
    assert_int_equal(store_comment_list(st, got.id, &cms, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(cms[0].author_id, c.id);
    assert_string_equal(cms[0].username, "cosigner");
    store_comment_list_free(cms, n);
    assert_int_equal(store_event_add(st, got.id, "invited", d.id, "enc:1", 110), 0);
    assert_int_equal(store_event_list(st, got.id, &evs, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(evs[0].actor_id, d.id);
    assert_string_equal(evs[0].kind, "invited");
    store_event_list_free(evs, n);

    /* the read audit: appended in a transaction, the last one, listed with its actor */
    memset(&rec, 0, sizeof(rec));
    rec.id = 1;
    rec.memo_id = got.id;
    rec.actor_id = c.id;
    snprintf(rec.action, sizeof(rec.action), "read");
    rec.at = 111;
    memset(rec.hash, 3, sizeof(rec.hash));
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_audit_insert(st, &rec), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_audit_last(st, &last), 0);
    assert_int_equal(last.id, 1);
    assert_memory_equal(last.hash, rec.hash, sizeof(rec.hash));
    assert_int_equal(store_audit_list(st, got.id, 0, 10, &recs, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(recs[0].actor_id, c.id);
    assert_string_equal(recs[0].username, "cosigner");
    mem_free(recs);

    /* savepoints: one kept, one undone */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_savepoint(st), 0);
    assert_int_equal(store_member_add(st, &got, o.id, STORE_REL_DISTRIBUTED, 112), 0);
    assert_int_equal(store_savepoint_rollback(st), 0);
    assert_int_equal(store_savepoint(st), 0);
    assert_int_equal(store_member_add(st, &got, d.id, STORE_REL_DISTRIBUTED, 112), 0);
    assert_int_equal(store_savepoint_release(st), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_member_get(st, &got, o.id, &rel), 0);
    assert_int_equal(rel, 0);
    assert_int_equal(store_member_get(st, &got, d.id, &rel), 0);
    assert_int_equal(rel, STORE_REL_DISTRIBUTED);

    /* deleted: not at a version it no longer has; then everything hanging off it goes, but the
     * read audit's record stays, and the next memo does not take its id (it was the highest) */
    store_memo_release(&got);
    assert_int_equal(store_memo_get(st, m.public_id, &got), 0);
    got.version--;
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_memo_delete(st, &got), ERR_CONFLICT);
    assert_int_equal(store_rollback(st), 0);
    got.version++;
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_memo_delete(st, &got), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_memo_get(st, m.public_id, &m), ERR_NOT_FOUND);
    assert_int_equal(store_memo_key_get(st, got.id, got.public_id, STORE_CHANNEL, back),
                     ERR_NOT_FOUND);
    assert_int_equal(store_comment_list(st, got.id, &cms, &n), 0);
    assert_int_equal(n, 0);
    store_comment_list_free(cms, n);
    assert_int_equal(store_event_list(st, got.id, &evs, &n), 0);
    assert_int_equal(n, 0);
    store_event_list_free(evs, n);
    assert_int_equal(store_member_get(st, &got, d.id, &rel), 0);
    assert_int_equal(rel, 0);
    assert_int_equal(store_memo_keys_of(st, c.id, &keys, &n), 0);
    assert_int_equal(n, 0);
    mem_free(keys);
    assert_int_equal(store_audit_list(st, got.id, 0, 10, &recs, &n), 0);
    assert_int_equal(n, 1);
    mem_free(recs);
    assert_int_equal(store_memo_last_id(st, &last_id), 0);
    assert_int_equal(last_id, 0);
    memset(&m, 0, sizeof(m));
    snprintf(m.public_id, sizeof(m.public_id), "aabbccddeeff001122334466");
    m.drafter_id = d.id;
    m.title = (uint8_t *)"enc:title";
    m.title_len = 9;
    m.body = (uint8_t *)"enc:body";
    m.body_len = 8;
    m.created_at = 113;
    m.filed_day = m.ack_day = m.ack_due = m.reply_due = m.reply_max = m.replied_day = m.closed_day =
        STORE_DAY_NONE;
    m.log_index = -1;
    assert_int_equal(store_memo_create(st, &m), 0);
    assert_true(m.id > got.id);
    assert_int_equal(store_audit_list(st, m.id, 0, 10, &recs, &n), 0);
    assert_int_equal(n, 0);
    mem_free(recs);

    store_memo_release(&got);
    close_store(st);
}

/* The transparency log's rows, the read audit's chain, the leader and the scrub. */
/* Attached files and their chunks, legal holds, tombstones, a memo deleted with its files. */
static void records_rows(void **state)
{
    struct store *st = open_store();
    struct user d = mkuser("drafter");
    struct memo m, got, *page = NULL;
    struct store_attachment a, b, back, *atts = NULL;
    struct store_hold h, h2, *holds = NULL;
    struct store_tombstone t = {.state = 5, .final_at = 20000, .shredded_at = 999}, *tombs = NULL;
    uint8_t *data = NULL, meta[3] = {1, 2, 3};
    size_t n = 0, len = 0;

    (void)state;
    assert_int_equal(store_user_create(st, &d), 0);
    memset(&m, 0, sizeof(m));
    snprintf(m.public_id, sizeof(m.public_id), "aabbccddeeff001122334455");
    m.drafter_id = d.id;
    m.title = (uint8_t *)"enc:title";
    m.title_len = 9;
    m.body = (uint8_t *)"enc:body";
    m.body_len = 8;
    m.created_at = 100;
    m.filed_day = m.ack_day = m.ack_due = m.reply_due = m.reply_max = m.replied_day = m.closed_day =
        STORE_DAY_NONE;
    m.log_index = -1;
    assert_int_equal(store_memo_create(st, &m), 0);

    /* two files, placed in the order added; a public id is taken once */
    memset(&a, 0, sizeof(a));
    a.memo_id = m.id;
    snprintf(a.public_id, sizeof(a.public_id), "0011223344556677");
    a.size = 70000;
    a.meta = meta;
    a.meta_len = sizeof(meta);
    a.stream = meta;
    a.stream_len = 2;
    a.created_at = 5;
    b = a;
    snprintf(b.public_id, sizeof(b.public_id), "8899aabbccddeeff");
    assert_int_equal(store_att_add(st, &a), 0);
    assert_int_equal(store_att_add(st, &b), 0);
    assert_int_equal(store_att_add(st, &b), ERR_EXISTS);
    assert_int_equal(store_att_list(st, m.id, &atts, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(atts[0].public_id, "0011223344556677");
    assert_true(atts[0].position < atts[1].position);
    assert_int_equal(atts[0].stream_len, 2);
    store_att_list_free(atts, n);
    /* chunks: once each; progress written only from where the row stands */
    assert_int_equal(store_chunk_put(st, a.id, 0, (const uint8_t *)"chunk-0", 7), 0);
    assert_int_equal(store_chunk_put(st, a.id, 0, (const uint8_t *)"again", 5), ERR_EXISTS);
    assert_int_equal(store_chunk_get(st, a.id, 0, &data, &len), 0);
    assert_memory_equal(data, "chunk-0", 7);
    mem_free(data);
    assert_int_equal(store_chunk_get(st, a.id, 1, &data, &len), ERR_NOT_FOUND);
    a.received = 65536;
    a.chunks = 1;
    assert_int_equal(store_att_update(st, &a, 0), 0);
    assert_int_equal(store_att_update(st, &a, 0), ERR_CONFLICT);
    a.received = 70000;
    a.chunks = 2;
    a.complete = true;
    a.stream = NULL;
    a.stream_len = 0;
    assert_int_equal(store_att_update(st, &a, 65536), 0);
    assert_int_equal(store_att_get(st, m.id, a.public_id, &back), 0);
    assert_true(back.complete && back.received == 70000 && back.stream == NULL);
    store_att_release(&back);
    assert_int_equal(store_att_update(st, &a, 70000), ERR_CONFLICT); /* complete: no more */
    assert_int_equal(store_att_delete(st, b.id), 0);
    assert_int_equal(store_att_delete(st, b.id), ERR_NOT_FOUND);

    /* holds: MAC'd, lifted once */
    memset(&h, 0, sizeof(h));
    snprintf(h.memo, sizeof(h.memo), "%s", m.public_id);
    h.from_day = h.to_day = -1;
    snprintf(h.reason, sizeof(h.reason), "case 1");
    h.placed_by = d.id;
    h.placed_at = 10;
    memset(&h2, 0, sizeof(h2));
    h2.from_day = 20000;
    h2.to_day = 20010;
    snprintf(h2.reason, sizeof(h2.reason), "range");
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_hold_add(st, &h), 0);
    assert_int_equal(store_hold_add(st, &h2), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_hold_list(st, &holds, &n), 0);
    assert_int_equal(n, 2);
    assert_false(holds[0].tampered || holds[1].tampered);
    assert_int_equal(holds[1].from_day, 20000);
    mem_free(holds);
    h.lifted_by = d.id;
    h.lifted_at = 11;
    snprintf(h.lift_reason, sizeof(h.lift_reason), "done");
    assert_int_equal(store_hold_lift(st, &h), 0);
    assert_int_equal(store_hold_lift(st, &h), ERR_CONFLICT);
    assert_int_equal(store_hold_list(st, &holds, &n), 0);
    assert_false(holds[0].tampered); /* (a row changed behind its MAC: tests/api/test_records.py) */
    assert_int_equal(holds[0].lifted_at, 11);
    assert_string_equal(holds[0].lift_reason, "done");
    mem_free(holds);

    /* the memo deleted: its files and chunks go with it; a tombstone stays */
    assert_int_equal(store_memo_get(st, m.public_id, &got), 0);
    snprintf(t.public_id, sizeof(t.public_id), "%s", m.public_id);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_tombstone_add(st, &t), 0);
    assert_int_equal(store_memo_delete(st, &got), 0);
    assert_int_equal(store_commit(st), 0);
    store_memo_release(&got);
    assert_int_equal(store_att_list(st, m.id, &atts, &n), 0);
    assert_int_equal(n, 0);
    store_att_list_free(atts, n);
    assert_int_equal(store_chunk_get(st, a.id, 0, &data, &len), ERR_NOT_FOUND);
    assert_int_equal(store_memo_page(st, 0, 10, &page, &n), 0);
    assert_int_equal(n, 0);
    store_memo_list_free(page, n);
    assert_int_equal(store_tombstone_list(st, 10, &tombs, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(tombs[0].public_id, m.public_id);
    assert_int_equal(tombs[0].final_at, 20000);
    mem_free(tombs);
    assert_int_equal(store_compact(st), 0);
    close_store(st);
}

static void log_rows(void **state)
{
    struct store *st = open_store();
    uint8_t narrow[64], wide[96], *data = NULL;
    struct audit_record rec, last;
    uint64_t size = 1;
    size_t len = 0;
    unsigned width = 0;
    char *text = NULL;
    bool lead = false;

    assert_int_equal(store_tlog_size(st, &size), 0);
    assert_int_equal(size, 0);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_tlog_set_size(st, 3), 0);
    assert_int_equal(store_commit(st), 0);
    assert_int_equal(store_tlog_size(st, &size), 0);
    assert_int_equal(size, 3);

    /* a tile: the widest version is kept, a narrower one never replaces it */
    memset(narrow, 1, sizeof(narrow));
    memset(wide, 2, sizeof(wide));
    assert_int_equal(store_tlog_tile_get(st, 0, 0, &data, &len, &width), ERR_NOT_FOUND);
    assert_int_equal(store_tlog_tile_put(st, 0, 0, 2, narrow, sizeof(narrow)), 0);
    assert_int_equal(store_tlog_tile_put(st, 0, 0, 3, wide, sizeof(wide)), 0);
    assert_int_equal(store_tlog_tile_put(st, 0, 0, 2, narrow, sizeof(narrow)), 0);
    assert_int_equal(store_tlog_tile_get(st, 0, 0, &data, &len, &width), 0);
    assert_int_equal(width, 3);
    assert_int_equal(len, sizeof(wide));
    assert_memory_equal(data, wide, sizeof(wide));
    mem_free(data);
    /* the entry bundle (level -1) is a tile of its own */
    assert_int_equal(store_tlog_tile_put(st, -1, 0, 2, narrow, sizeof(narrow)), 0);
    assert_int_equal(store_tlog_tile_get(st, -1, 0, &data, &len, &width), 0);
    assert_int_equal(width, 2);
    assert_memory_equal(data, narrow, sizeof(narrow));
    mem_free(data);

    /* checkpoints: one per size, the newest is the largest */
    assert_int_equal(store_tlog_checkpoint_latest(st, &size, &text), ERR_NOT_FOUND);
    assert_null(text);
    assert_int_equal(store_tlog_checkpoint_put(st, 2, "two\n", 10), 0);
    assert_int_equal(store_tlog_checkpoint_put(st, 3, "three\n", 11), 0);
    assert_int_equal(store_tlog_checkpoint_put(st, 3, "another three\n", 12), 0);
    assert_int_equal(store_tlog_checkpoint_latest(st, &size, &text), 0);
    assert_int_equal(size, 3);
    assert_string_equal(text, "three\n");
    mem_free(text);

    /* the audit chain: a second record with the same number is refused, a hash re-made */
    memset(&rec, 0, sizeof(rec));
    rec.id = 1;
    snprintf(rec.action, sizeof(rec.action), "read");
    rec.at = 5;
    memset(rec.hash, 7, sizeof(rec.hash));
    assert_int_equal(store_audit_last(st, &last), ERR_NOT_FOUND);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_audit_insert(st, &rec), 0);
    assert_int_equal(store_audit_insert(st, &rec), ERR_EXISTS);
    assert_int_equal(store_commit(st), 0);
    memset(rec.hash, 8, sizeof(rec.hash));
    assert_int_equal(store_audit_set_hash(st, 1, rec.hash), 0);
    assert_int_equal(store_audit_last(st, &last), 0);
    assert_int_equal(last.id, 1);
    assert_string_equal(last.action, "read");
    assert_memory_equal(last.hash, rec.hash, sizeof(rec.hash));

    /* one connection leads; a database of one process always has it */
    assert_int_equal(store_leader(st, &lead), 0);
    assert_true(lead);
    store_scrub(st);
    assert_int_equal(store_ping(st), 0);
    close_store(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(users),
        cmocka_unit_test(sessions),
        cmocka_unit_test(login_failures),
        cmocka_unit_test(sqlite_files_private_and_reopen),
        cmocka_unit_test(export_import),
        cmocka_unit_test(totp_rows),
        cmocka_unit_test(calendar_rows),
        cmocka_unit_test(passkey_rows),
        cmocka_unit_test(sso_links),
        cmocka_unit_test(outbox_rows),
        cmocka_unit_test(accounts_and_channel),
        cmocka_unit_test(memos_and_what_hangs_off_them),
        cmocka_unit_test(log_rows),
        cmocka_unit_test(records_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
