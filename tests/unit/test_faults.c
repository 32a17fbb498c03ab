/*
 * Fault injection over the main request paths.
 *
 * Every request below runs through the API exactly as the server runs it (api_prepare(), and
 * api_run() for slow routes) against a real SQLite store. For n = 1, 2, ... the n-th allocation
 * of the request is made to fail (util/mem.h: our code, jansson, SQLite and secure blocks all
 * allocate through one wrapper), and then, separately, the n-th store call (store_fault_at()).
 * Each failed request must give a clean error (a 5xx with a JSON error object), leave no block
 * allocated, and leave the stored data exactly as it was; the loop ends at the first n that the
 * request does not reach, where it must succeed. A failure the code can absorb (the request
 * still succeeds) is accepted too.
 *
 * One failure may leave a change behind: one that comes after the last commit the request makes
 * (counted on a successful run first). The change is then complete and only the answer is lost,
 * as when the connection drops after a commit; a client retrying a create then makes a second
 * memo. Content reads commit their audit record before they decrypt anything, so a read that
 * fails later leaves the record: the attempt is logged rather than hidden.
 *
 * A refused allocation of our own (or jansson's) never ends in a success: api.c turns such an
 * answer into 503, since jansson drops what it cannot allocate without a word. Only SQLite may
 * absorb a failure (it retries some allocations itself), and filing may answer without its
 * receipt (docs/api.md); both are counted as "absorbed".
 *
 * Each path runs in a fresh world (setup()). FAULT_ONLY=NAME runs one path; FAULT_TRACE=1 prints
 * the stack of an injected failure that a check rejects.
 */
#include "testutil.h"

#include "api/api.h"
#include "core/access.h"
#include "core/enrol.h"
#include "core/ledger.h"
#include "core/totp.h"
#include "core/trust.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <execinfo.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#define N_MAX 20000 /* a request that allocates more than this is a bug in itself */

static char dir[64];
static struct store *st;
static struct config cfg;
static struct channel ch;
static struct api_env env;

/* Cookies of the signed-in cast. */
static char c_alice[128], c_bob[128], c_olga[128], c_aud[128], c_root[128];

/* What a test needs to know about one run of a request. */
struct result {
    int status;
    char error[64];   /* error.code, if any */
    char memo_id[64]; /* memo_id or id of the body, if any */
    char cookie[128]; /* "dissent_session=TOKEN" from Set-Cookie, if any */
};

static enum api_method method_of(const char *m)
{
    if (strcmp(m, "POST") == 0)
        return API_POST;
    if (strcmp(m, "PATCH") == 0)
        return API_PATCH;
    if (strcmp(m, "DELETE") == 0)
        return API_DELETE;
    return API_GET;
}

/* One request through the API; everything it allocated is released before returning. */
static void call(const char *method, const char *path, const char *cookie, const char *body,
                 const char *if_match, struct result *out)
{
    struct api_req req;
    struct api_resp resp;
    char pathbuf[512], *q;
    json_t *e;

    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    memset(out, 0, sizeof(*out));
    snprintf(pathbuf, sizeof(pathbuf), "%s", path);
    if ((q = strchr(pathbuf, '?')) != NULL)
        *q++ = '\0';
    req.method = method_of(method);
    req.method_name = method;
    req.path = pathbuf;
    req.query = q;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    req.content_type = body ? "application/json" : NULL;
    req.cookie = cookie && *cookie ? cookie : NULL;
    req.requested_with = "dissent";
    req.host = "localhost";
    req.if_match = if_match;
    snprintf(req.addr, sizeof(req.addr), "127.0.0.1");
    req.now = channel_now(&ch);
    if (api_prepare(&env, &req, &resp) == API_SLOW)
        api_run(&env, &req, &resp);
    out->status = resp.status;
    if (resp.body != NULL) {
        if ((e = json_object_get(resp.body, "error")) != NULL)
            snprintf(out->error, sizeof(out->error), "%s",
                     json_string_value(json_object_get(e, "code")) ?: "");
        if (json_string_value(json_object_get(resp.body, "id")) != NULL)
            snprintf(out->memo_id, sizeof(out->memo_id), "%s",
                     json_string_value(json_object_get(resp.body, "id")));
        else if (json_string_value(json_object_get(resp.body, "memo_id")) != NULL)
            snprintf(out->memo_id, sizeof(out->memo_id), "%s",
                     json_string_value(json_object_get(resp.body, "memo_id")));
    }
    if (strncmp(resp.set_cookie, "dissent_session=", 16) == 0) {
        size_t n = strcspn(resp.set_cookie, ";");
        snprintf(out->cookie, sizeof(out->cookie), "%.*s", (int)n, resp.set_cookie);
    }
    api_resp_release(&resp);
    api_req_release(&req);
}

/* Like call(), for set-up steps: must answer @want. */
static void must(int want, const char *method, const char *path, const char *cookie,
                 const char *body, struct result *out)
{
    struct result r;

    call(method, path, cookie, body, NULL, out ? out : &r);
    if ((out ? out : &r)->status != want)
        fail_msg("%s %s: %d (%s), want %d", method, path, (out ? out : &r)->status,
                 (out ? out : &r)->error, want);
}

static void login(const char *user, char cookie[128])
{
    char body[128];
    struct result r;

    snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"password-1\"}", user);
    must(200, "POST", "/api/v1/session", NULL, body, &r);
    assert_true(r.cookie[0] != '\0');
    memcpy(cookie, r.cookie, 128);
}

/* ---- a digest of every stored row, the way migrate sees the tables ---- */

struct digest_ctx {
    crypto_generichash_state h;
    size_t table;
    bool sessions;
};

static int digest_row(void *vctx, const struct store_value *row, size_t n)
{
    struct digest_ctx *ctx = vctx;

    for (size_t i = 0; i < n; i++) {
        /* sessions.last_seen moves on every authenticated request, failed or not */
        if (ctx->sessions && i == 3)
            continue;
        crypto_generichash_update(&ctx->h, (const uint8_t *)&row[i].kind, sizeof(row[i].kind));
        if (row[i].kind == STORE_VAL_INT)
            crypto_generichash_update(&ctx->h, (const uint8_t *)&row[i].i, sizeof(row[i].i));
        else if (row[i].kind != STORE_VAL_NULL) {
            crypto_generichash_update(&ctx->h, (const uint8_t *)&row[i].len, sizeof(row[i].len));
            crypto_generichash_update(&ctx->h, row[i].p, row[i].len);
        }
    }
    return 0;
}

#define TABLES_MAX 32

/* Digest of each table into @out (one per table). */
static void db_digest(uint8_t out[TABLES_MAX][32])
{
    struct digest_ctx ctx;

    assert_true(store_table_count() <= TABLES_MAX);
    memset(out, 0, TABLES_MAX * 32);
    for (size_t t = 0; t < store_table_count(); t++) {
        const char *name = store_table_name(t);
        crypto_generichash_init(&ctx.h, NULL, 0, 32);
        ctx.table = t;
        ctx.sessions = strcmp(name, "sessions") == 0;
        /* an attempt at a secret is counted before it is checked (core/session.h): a request
         * that fails afterwards leaves it counted, as intended */
        if (strcmp(name, "login_failures") == 0)
            continue;
        assert_int_equal(store_table_dump(st, t, digest_row, &ctx), 0);
        crypto_generichash_final(&ctx.h, out[t], 32);
    }
}

/* The first table whose digest differs, or NULL. */
static const char *db_changed(uint8_t a[TABLES_MAX][32], uint8_t b[TABLES_MAX][32])
{
    for (size_t t = 0; t < store_table_count(); t++)
        if (memcmp(a[t], b[t], 32) != 0)
            return store_table_name(t);
    return NULL;
}

/* ---- the request paths ---- */

/* A request path: @prepare (unarmed) sets up what the request needs and fills its pieces. */
struct path {
    const char *name;
    void (*prepare)(char *path, size_t len, const char **cookie, const char **body,
                    const char **if_match);
    const char *method;
    int want; /* the status of a successful run */
};

static int memo_seq;

/* A fresh draft by alice; its id in @id. */
static void new_draft(char id[64])
{
    char body[128];
    struct result r;

    memo_seq++;
    snprintf(body, sizeof(body), "{\"title\":\"Fault %d\",\"body\":\"Body of memo %d.\"}", memo_seq,
             memo_seq);
    must(201, "POST", "/api/v1/memos", c_alice, body, &r);
    memcpy(id, r.memo_id, 64);
}

static void memo_path(char *out, size_t len, const char *id, const char *suffix)
{
    snprintf(out, len, "/api/v1/memos/%s%s", id, suffix);
}

/* A memo in @state ("draft", "open" with bob invited, "filed", "acknowledged", "replied"). */
static void memo_in(const char *state, char id[64])
{
    char p[256];

    new_draft(id);
    if (strcmp(state, "draft") == 0)
        return;
    memo_path(p, sizeof(p), id, "/invitations");
    must(200, "POST", p, c_alice, "{\"usernames\":[\"bob\"]}", NULL);
    memo_path(p, sizeof(p), id, "/finalize");
    must(200, "POST", p, c_alice, NULL, NULL);
    if (strcmp(state, "open") == 0)
        return;
    memo_path(p, sizeof(p), id, "/signatures");
    must(201, "POST", p, c_alice, NULL, NULL);
    memo_path(p, sizeof(p), id, "/file");
    must(200, "POST", p, c_alice, NULL, NULL);
    if (strcmp(state, "filed") == 0)
        return;
    memo_path(p, sizeof(p), id, "/acknowledge");
    must(200, "POST", p, c_olga, NULL, NULL);
    if (strcmp(state, "acknowledged") == 0)
        return;
    memo_path(p, sizeof(p), id, "/reply");
    must(200, "POST", p, c_olga, "{\"body\":\"The reply.\"}", NULL);
}

static char cur[64];

static void p_login(char *path, size_t len, const char **cookie, const char **body,
                    const char **if_match)
{
    snprintf(path, len, "/api/v1/session");
    *body = "{\"username\":\"bob\",\"password\":\"password-1\"}";
}

/* Sign in with a second factor: paul has TOTP on, and a fresh recovery code for every run. */
static void p_login_2fa(char *path, size_t len, const char **cookie, const char **body,
                        const char **if_match)
{
    static char text[256];
    char codes[STORE_TOTP_CODES][TOTP_RECOVERY_TEXT_LEN + 1];
    uint8_t secret[TOTP_SECRET_LEN];
    struct user_totp t;
    struct user u;

    assert_int_equal(store_user_get_by_name(st, "paul", &u), 0);
    if (store_totp_get(st, u.id, &t) == ERR_NOT_FOUND) {
        assert_int_equal(totp_enrol(st, &u, 1, secret), 0);
        assert_int_equal(store_totp_get(st, u.id, &t), 0);
        t.enabled = true;
    }
    totp_recovery_issue(&t, codes);
    assert_int_equal(store_totp_update(st, &t), 0);
    snprintf(path, len, "/api/v1/session");
    snprintf(text, sizeof(text),
             "{\"username\":\"paul\",\"password\":\"password-1\",\"recovery_code\":\"%s\"}",
             codes[0]);
    *body = text;
}

static void p_me(char *path, size_t len, const char **cookie, const char **body,
                 const char **if_match)
{
    snprintf(path, len, "/api/v1/me");
    *cookie = c_alice;
}

static void p_create(char *path, size_t len, const char **cookie, const char **body,
                     const char **if_match)
{
    snprintf(path, len, "/api/v1/memos");
    *cookie = c_alice;
    *body = "{\"title\":\"New memo\",\"body\":\"# Heading\\n\\nText.\"}";
}

static void p_patch(char *path, size_t len, const char **cookie, const char **body,
                    const char **if_match)
{
    memo_in("draft", cur);
    memo_path(path, len, cur, "");
    *cookie = c_alice;
    *body = "{\"body\":\"Changed body.\",\"title\":\"Changed\"}";
    *if_match = "\"1\"";
}

static void p_invite(char *path, size_t len, const char **cookie, const char **body,
                     const char **if_match)
{
    memo_in("draft", cur);
    memo_path(path, len, cur, "/invitations");
    *cookie = c_alice;
    *body = "{\"usernames\":[\"bob\"]}";
}

static void p_finalize(char *path, size_t len, const char **cookie, const char **body,
                       const char **if_match)
{
    memo_in("draft", cur);
    memo_path(path, len, cur, "/finalize");
    *cookie = c_alice;
}

static void p_sign(char *path, size_t len, const char **cookie, const char **body,
                   const char **if_match)
{
    char p[256];

    memo_in("open", cur);
    memo_path(p, sizeof(p), cur, "/signatures");
    must(201, "POST", p, c_alice, NULL, NULL); /* the drafter signs first */
    memo_path(path, len, cur, "/signatures");
    *cookie = c_bob;
}

static void p_file(char *path, size_t len, const char **cookie, const char **body,
                   const char **if_match)
{
    char p[256];

    memo_in("open", cur);
    memo_path(p, sizeof(p), cur, "/signatures");
    must(201, "POST", p, c_alice, NULL, NULL);
    memo_path(path, len, cur, "/file");
    *cookie = c_alice;
}

static void p_ack(char *path, size_t len, const char **cookie, const char **body,
                  const char **if_match)
{
    memo_in("filed", cur);
    memo_path(path, len, cur, "/acknowledge");
    *cookie = c_olga;
}

static void p_reply(char *path, size_t len, const char **cookie, const char **body,
                    const char **if_match)
{
    memo_in("acknowledged", cur);
    memo_path(path, len, cur, "/reply");
    *cookie = c_olga;
    *body = "{\"body\":\"We have considered it.\"}";
}

static void p_comment(char *path, size_t len, const char **cookie, const char **body,
                      const char **if_match)
{
    memo_in("filed", cur);
    memo_path(path, len, cur, "/comments");
    *cookie = c_olga;
    *body = "{\"body\":\"A comment.\"}";
}

/* The read paths share one replied memo. */
static char replied[64];

static void p_get(char *path, size_t len, const char **cookie, const char **body,
                  const char **if_match)
{
    memo_path(path, len, replied, "");
    *cookie = c_alice;
}

static void p_list(char *path, size_t len, const char **cookie, const char **body,
                   const char **if_match)
{
    snprintf(path, len, "/api/v1/memos?limit=4");
    *cookie = c_olga;
}

/*
 * A filtered list skips what does not wait (the newest memo here) and reads only the titles it
 * shows. The list changes nothing but the audit, so its memos are made once per world.
 */
static void p_list_waiting(char *path, size_t len, const char **cookie, const char **body,
                           const char **if_match)
{
    static char world[sizeof(dir)];
    char id[64];

    if (strcmp(world, dir) != 0) {
        memo_in("filed", id);
        memo_in("acknowledged", id);
        memo_in("replied", id);
        memcpy(world, dir, sizeof(world));
    }
    snprintf(path, len, "/api/v1/memos?deadline=waiting&limit=2");
    *cookie = c_olga;
}

static void p_bundle(char *path, size_t len, const char **cookie, const char **body,
                     const char **if_match)
{
    memo_path(path, len, replied, "/bundle");
    *cookie = c_bob;
}

static void p_receipt(char *path, size_t len, const char **cookie, const char **body,
                      const char **if_match)
{
    memo_path(path, len, replied, "/receipt");
    *cookie = c_alice;
}

static void p_stats(char *path, size_t len, const char **cookie, const char **body,
                    const char **if_match)
{
    snprintf(path, len, "/api/v1/stats");
    *cookie = c_aud;
}

static void p_checkpoint(char *path, size_t len, const char **cookie, const char **body,
                         const char **if_match)
{
    snprintf(path, len, "/log/checkpoint");
    *cookie = c_aud;
}

static int user_seq;
static char user_body[160];

static void p_user_add(char *path, size_t len, const char **cookie, const char **body,
                       const char **if_match)
{
    snprintf(path, len, "/api/v1/users");
    *cookie = c_root;
    snprintf(user_body, sizeof(user_body), "{\"username\":\"new%d\",\"roles\":[\"staff\"]}",
             ++user_seq);
    *body = user_body;
}

/* A new account awaiting enrolment (made here, outside the walked request), and its code. */
static void p_enrol(char *path, size_t len, const char **cookie, const char **body,
                    const char **if_match)
{
    char code[ENROL_CODE_TEXT_LEN + 1], name[32];

    snprintf(name, sizeof(name), "enr%d", ++user_seq);
    if (enrol_create(st, name, ROLE_STAFF, 0, "", "", 1, 4000000000LL, NULL, code, NULL, 0) != 0)
        fail_msg("enrol_create %s", name);
    snprintf(path, len, "/api/v1/enrol");
    snprintf(user_body, sizeof(user_body),
             "{\"username\":\"%s\",\"code\":\"%s\",\"password\":\"password-1\"}", name, code);
    *body = user_body;
}

static const struct path paths[] = {
    {"sign in", p_login, "POST", 200},
    {"sign in with a recovery code", p_login_2fa, "POST", 200},
    {"me", p_me, "GET", 200},
    {"create memo", p_create, "POST", 201},
    {"edit memo", p_patch, "PATCH", 200},
    {"invite", p_invite, "POST", 200},
    {"finalize", p_finalize, "POST", 200},
    {"co-sign", p_sign, "POST", 201},
    {"file", p_file, "POST", 200},
    {"acknowledge", p_ack, "POST", 200},
    {"reply", p_reply, "POST", 200},
    {"comment", p_comment, "POST", 201},
    {"read memo", p_get, "GET", 200},
    {"list memos", p_list, "GET", 200},
    {"list waiting memos", p_list_waiting, "GET", 200},
    {"bundle", p_bundle, "GET", 200},
    {"receipt", p_receipt, "GET", 200},
    {"statistics", p_stats, "GET", 200},
    {"log checkpoint", p_checkpoint, "GET", 200},
    {"add account", p_user_add, "POST", 201},
    {"enrol", p_enrol, "POST", 200},
};
#define NPATHS (sizeof(paths) / sizeof(paths[0]))

enum injector { INJ_MEM, INJ_STORE };

static void arm(enum injector inj, long n)
{
    if (inj == INJ_MEM)
        mem_fault_at(n);
    else
        store_fault_at(st, n);
}

static bool fired(enum injector inj)
{
    return inj == INJ_MEM ? mem_fault_fired() : store_fault_fired(st);
}

/* Commits of the store when the armed failure fired (mem_fault_hook()). */
static long commits_at_fault;
static void *trace[16];
static int trace_n;

static void note_commits(void)
{
    commits_at_fault = st->commits;
    if (getenv("FAULT_TRACE") != NULL)
        trace_n = backtrace(trace, 16);
}

/* Commits made before the failure fired, counted from @start. */
static long commits_before_fault(enum injector inj, long start)
{
    return (inj == INJ_MEM ? commits_at_fault : st->fault_commits) - start;
}

/*
 * Walk n over one path; returns the number of injected failures. A failed request must leave
 * the stored data as it was, unless the failure came after every commit the request makes
 * when it succeeds (counted first): then the change is complete and only the answer was lost,
 * as when a connection drops after a commit.
 */
static long walk(const struct path *p, enum injector inj, long *absorbed, long *late)
{
    static const char *const names[] = {"allocation", "store call"};
    char path[256];
    uint8_t before[TABLES_MAX][32], after[TABLES_MAX][32];
    const char *changed, *cookie = NULL, *body = NULL, *if_match = NULL;
    struct result r;
    long n, start, commits;
    unsigned long refused;

    /* how many commits a successful run makes */
    p->prepare(path, sizeof(path), &cookie, &body, &if_match);
    start = st->commits;
    call(p->method, path, cookie, body, if_match, &r);
    if (r.status != p->want)
        fail_msg("%s: %d (%s), want %d", p->name, r.status, r.error, p->want);
    commits = st->commits - start;

    for (n = 1; n <= N_MAX; n++) {
        long live;

        cookie = body = if_match = NULL;
        p->prepare(path, sizeof(path), &cookie, &body, &if_match);
        db_digest(before);
        /* the answers the API keeps (GET /api/v1/me's) are forgotten around each run: every
         * run makes its answer whole, and what it keeps is not counted as leaked */
        api_env_release(&env);
        live = mem_live();
        start = st->commits;
        refused = mem_failures();
        arm(inj, n);
        call(p->method, path, cookie, body, if_match, &r);
        arm(inj, 0);
        api_env_release(&env);
        if (!fired(inj)) {
            /* past the request's last allocation (or store call): it must simply work */
            if (r.status != p->want)
                fail_msg("%s: %d (%s) without a fault, want %d", p->name, r.status, r.error,
                         p->want);
            assert_int_equal(mem_live(), live);
            return n - 1;
        }
        if (mem_live() != live)
            fail_msg("%s: %s %ld failed: %ld blocks leaked", p->name, names[inj], n,
                     mem_live() - live);
        if (r.status == p->want && mem_failures() != refused)
            fail_msg("%s: allocation %ld was refused but the request succeeded", p->name, n);
        if (r.status == p->want) {
            if (getenv("FAULT_TRACE") != NULL) {
                fprintf(stderr, "--- absorbed %s %ld status %d\n", p->name, n, r.status);
                backtrace_symbols_fd(trace, trace_n, 2);
            }
            (*absorbed)++;
            continue;
        }
        if ((r.status < 500 || r.error[0] == '\0') && getenv("FAULT_TRACE") != NULL)
            backtrace_symbols_fd(trace, trace_n, 2);
        if (r.status < 500 || r.error[0] == '\0')
            fail_msg("%s: %s %ld failed: status %d error \"%s\", want a 5xx JSON error", p->name,
                     names[inj], n, r.status, r.error);
        if (commits > 0 && commits_before_fault(inj, start) == commits) {
            (*late)++;
            continue;
        }
        db_digest(after);
        if ((changed = db_changed(before, after)) != NULL && getenv("FAULT_TRACE") != NULL)
            backtrace_symbols_fd(trace, trace_n, 2);
        if (changed != NULL)
            fail_msg("%s: %s %ld failed (%d %s) but table %s changed", p->name, names[inj], n,
                     r.status, r.error, changed);
    }
    fail_msg("%s: more than %d %ss", p->name, N_MAX, names[inj]);
    return n;
}

/* One test: one path, one injector (cmocka state: a struct walk_case). */
struct walk_case {
    const struct path *path;
    enum injector inj;
    char name[64];
};

static void walk_test(void **state)
{
    const struct walk_case *wc = *state;
    struct timespec t0, t1;
    long absorbed = 0, late = 0, n;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    n = walk(wc->path, wc->inj, &absorbed, &late);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("# %-15s %4ld %s failures: %ld absorbed, %ld after the last commit (%.1f s)\n",
           wc->path->name, n, wc->inj == INJ_MEM ? "allocation" : "store call", absorbed, late,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    assert_true(n > 0);
}

/* GET /api/v1/me's answer as text (kept or made: its raw body, else its JSON), into @out. */
static int me_text(char *out, size_t len)
{
    struct api_req req;
    struct api_resp resp;
    int status;

    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    req.method = API_GET;
    req.method_name = "GET";
    req.path = "/api/v1/me";
    req.cookie = c_alice;
    req.requested_with = "dissent";
    req.host = "localhost";
    snprintf(req.addr, sizeof(req.addr), "127.0.0.1");
    req.now = channel_now(&ch);
    if (api_prepare(&env, &req, &resp) == API_SLOW)
        api_run(&env, &req, &resp);
    status = resp.status;
    out[0] = '\0';
    if (resp.raw != NULL)
        snprintf(out, len, "%.*s", (int)resp.raw_len, (const char *)resp.raw);
    else if (resp.body != NULL) {
        char *t = json_dumps(resp.body, JSON_COMPACT);
        snprintf(out, len, "%s\n", t ? t : "");
        free(t);
    }
    api_resp_release(&resp);
    api_req_release(&req);
    return status;
}

/* An answer to /me made while an allocation failed (jansson leaves a part out silently) is never
 * kept: the next one, without a failure, is the whole answer. */
static void kept_me_is_whole(void **state)
{
    static char want[8192], got[8192];
    int n;

    (void)state;
    assert_int_equal(me_text(want, sizeof(want)), 200);
    assert_non_null(strstr(want, "\"passkeys\""));
    for (n = 1; n < 400; n++) {
        api_env_release(&env); /* made again, each time */
        mem_fault_at(n);
        (void)me_text(got, sizeof(got));
        mem_fault_at(0);
        if (!mem_fault_fired())
            break;
        assert_int_equal(me_text(got, sizeof(got)), 200);
        if (strcmp(got, want) != 0)
            fail_msg("allocation %d failed: the next answer is %s, want %s", n, got, want);
    }
    assert_true(n > 10 && n < 400);
}

/* The harness itself: a failure it cannot see would make the walks above vacuous. */
static void injection_is_real(void **state)
{
    struct result r;

    mem_fault_at(1);
    call("GET", "/api/v1/me", c_alice, NULL, NULL, &r);
    mem_fault_at(0);
    assert_true(mem_fault_fired());
    assert_true(r.status >= 500);
    store_fault_at(st, 1);
    call("GET", "/api/v1/me", c_alice, NULL, NULL, &r);
    store_fault_at(st, 0);
    assert_true(store_fault_fired(st));
    assert_true(r.status >= 500);
    call("GET", "/api/v1/me", c_alice, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
}

/* A fresh world for each test: store, channel keys, the cast signed in, one replied memo. */
static int setup(void **state)
{
    static const struct {
        const char *name;
        unsigned roles;
    } cast[] = {{"alice", ROLE_STAFF},    {"bob", ROLE_STAFF},   {"olga", ROLE_OFFICER},
                {"paul", ROLE_PRINCIPAL}, {"aud", ROLE_AUDITOR}, {"root", ROLE_ADMIN}};
    char err[256] = "";

    /* thousands of small transactions: keep their fsyncs off the disk when /dev/shm exists */
    memcpy(dir,
           access("/dev/shm", W_OK) == 0 ? "/dev/shm/dissent-fault-XXXXXX"
                                         : "/tmp/dissent-fault-XXXXXXXX",
           30);
    if (mkdtemp(dir) == NULL || store_open(dir, &st, err, sizeof(err)) != 0)
        return -1;
    config_defaults(&cfg);
    snprintf(cfg.timezone, sizeof(cfg.timezone), "UTC"); /* the times below are UTC's */
    cfg.argon2_ops = 1;
    cfg.argon2_mem = 8192;
    /* every walked sign-in that fails counts as a failed attempt (core/session.h): room for all
     * of them, or the walk would measure the throttle */
    cfg.login_max_failures = 1000;
    /* no role needs TOTP here (the state-dept preset would ask it of officers and admins) */
    snprintf(cfg.require_2fa, sizeof(cfg.require_2fa), "none");
    cfg.reply_approval = 0; /* the officer sends the reply (state-dept has the head approve it) */
    /* the outbox rows join the transactions of the changes they tell of */
    cfg.mail_enabled = true;
    str_copy(cfg.mail_base_url, sizeof(cfg.mail_base_url), "https://dissent.example");
    if (channel_init(&ch, &cfg, dir, NULL, 0) != 0 ||
        trust_open(st, ch.key, ch.log_key, dir, 0, NULL, 0) != 0)
        return -1;
    api_env_init(&env, st, &cfg, &ch);
    for (size_t i = 0; i < sizeof(cast) / sizeof(cast[0]); i++) {
        char addr[64];
        snprintf(addr, sizeof(addr), "%s@example.org", cast[i].name);
        if (user_create_enrolled(st, &env.pw, cast[i].name, cast[i].roles, "", addr, "password-1",
                                 10, 1, NULL, NULL, 0) != 0)
            return -1;
    }
    login("alice", c_alice);
    login("bob", c_bob);
    /* the channel key, for the first officer (as `dissent channel init` makes it) */
    {
        struct user o;
        uint64_t made = 0;
        if (store_user_get_by_name(st, "olga", &o) != 0 ||
            access_channel_setup(st, &o, 0, &made) != 0 || !made)
            return -1;
    }
    login("olga", c_olga);
    login("aud", c_aud);
    login("root", c_root);
    memo_in("replied", replied);
    /* the scheduled checkpoint that covers it (api_tick() signs them; here, once) */
    {
        uint64_t size = 0;
        if (ledger_sign(st, ch.log_key, ch.log_origin, 0, &size) != 0)
            return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    api_env_release(&env);
    channel_release(&ch);
    store_close(st);
    testutil_rmdir(dir);
    return 0;
}

int main(void)
{
    static struct walk_case cases[2 * NPATHS];
    struct CMUnitTest tests[2 + 2 * NPATHS];
    const char *only = getenv("FAULT_ONLY"); /* one path by name, when debugging */
    size_t n = 0;

    mem_install();
    mem_fault_hook(note_commits);
    if (random_init() != 0)
        return 1;
    tests[n++] =
        (struct CMUnitTest)cmocka_unit_test_setup_teardown(injection_is_real, setup, teardown);
    tests[n++] =
        (struct CMUnitTest)cmocka_unit_test_setup_teardown(kept_me_is_whole, setup, teardown);
    for (int inj = INJ_MEM; inj <= INJ_STORE; inj++) {
        for (size_t i = 0; i < NPATHS; i++) {
            struct walk_case *wc = &cases[inj * NPATHS + i];
            if (only != NULL && strcmp(only, paths[i].name) != 0)
                continue;
            wc->path = &paths[i];
            wc->inj = (enum injector)inj;
            snprintf(wc->name, sizeof(wc->name), "%s failures: %s",
                     inj == INJ_MEM ? "allocation" : "store call", paths[i].name);
            tests[n++] = (struct CMUnitTest){wc->name, walk_test, setup, teardown, wc};
        }
    }
    return _cmocka_run_group_tests("faults", tests, n, NULL, NULL);
}
