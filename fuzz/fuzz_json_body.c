/*
 * fuzz_json_body.c - every JSON request body the API accepts, through the real gate and
 * handlers: api_prepare() (routing, CSRF, session, roles, http_json_parse()) and api_run() for
 * slow routes, in process, on a SQLite store in a scratch directory with one signed-in user per
 * role, a draft memo and a filed, acknowledged one. The GET routes that read a query string
 * are driven the same way with the input as the query.
 *
 * Input: byte 0 picks the route (among those taking a body or a query), byte 1 the caller
 * (low three bits: 0..5 a user, 6..7 the route's natural caller), for routes on any visible
 * memo which memo (bit 3), and whether If-Match carries the memo's version (bit 4); the rest
 * is the body (or the query). The store is rebuilt every
 * RESET_EVERY inputs so that what the inputs create (memos, users, comments, sign-in failures)
 * stays bounded.
 */
#include "fuzz.h"
#include "routes.h"

#include "api/api.h"
#include "core/access.h"
#include "core/trust.h"
#include "core/workflow.h"
#include "crypto/random.h"
#include "util/log.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define RESET_EVERY 256
#define NUSERS 6
#define PASSWORD "password-1"
#define MAX_ROUTES 64

static const char *const names[NUSERS] = {"staff",   "officer", "principal",
                                          "auditor", "admin",   "bob"};
static const unsigned roles[NUSERS] = {ROLE_STAFF,   ROLE_OFFICER, ROLE_PRINCIPAL,
                                       ROLE_AUDITOR, ROLE_ADMIN,   ROLE_STAFF};

static struct {
    bool up;                   /* the world below exists */
    char dir[64];              /* scratch data directory */
    struct store *st;          /* its SQLite store */
    struct config cfg;         /* defaults, with cheap Argon2 */
    struct channel ch;         /* keys in dir */
    struct api_env env;        /* over st */
    char cookie[NUSERS][128];  /* "dissent_session=..." per user */
    char draft[32];            /* a draft memo of "staff" (who invited "bob") */
    char filed[32];            /* a filed, acknowledged memo of "staff" */
    unsigned runs;             /* inputs since the world was built */
    size_t routes[MAX_ROUTES]; /* indices into api_routes() of the routes fuzzed */
    size_t nroutes;            /* entries of routes */
} w;

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[512];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static void world_down(void)
{
    if (!w.up)
        return;
    api_env_release(&w.env);
    channel_release(&w.ch);
    store_close(w.st);
    remove_dir(w.dir);
    w.up = false;
}

/* One request as user @u (-1: none); the response is left in @resp for the caller. */
static int call(enum api_method m, const char *path, int u, const char *body, size_t len,
                const char *query, const char *if_match, struct api_req *req, struct api_resp *resp)
{
    memset(req, 0, sizeof(*req));
    memset(resp, 0, sizeof(*resp));
    req->method = m;
    req->method_name = "FUZZ";
    req->path = path;
    req->query = query;
    req->requested_with = "dissent";
    req->if_match = if_match != NULL && if_match[0] != '\0' ? if_match : NULL;
    if (body != NULL) {
        req->body = body;
        req->body_len = len;
        req->content_type = "application/json";
    }
    if (u >= 0 && w.cookie[u][0] != '\0')
        req->cookie = w.cookie[u];
    snprintf(req->addr, sizeof(req->addr), "192.0.2.%d", u + 2);
    if (api_prepare(&w.env, req, resp) == API_SLOW)
        api_run(&w.env, req, resp);
    return resp->status;
}

/* A setup request that must answer @want (aborts otherwise); the body's "id" goes to @id and
 * the session cookie set to @cookie (128 bytes), each when not NULL. */
static void must(enum api_method m, const char *path, int u, const char *body, int want, char *id,
                 size_t idlen, char *cookie)
{
    struct api_req req;
    struct api_resp resp;
    int status = call(m, path, u, body, body ? strlen(body) : 0, NULL, NULL, &req, &resp);

    if (status != want) {
        char *dump = resp.body ? json_dumps(resp.body, 0) : NULL;
        fprintf(stderr, "fuzz_json_body setup: %s as %s: %d, wanted %d: %s\n", path,
                u >= 0 ? names[u] : "-", status, want, dump ? dump : "");
        abort();
    }
    if (id != NULL)
        snprintf(id, idlen, "%s", json_string_value(json_object_get(resp.body, "id")));
    if (cookie != NULL) /* "dissent_session=TOKEN; HttpOnly; ..." */
        snprintf(cookie, 128, "%.*s", (int)strcspn(resp.set_cookie, ";"), resp.set_cookie);
    api_req_release(&req);
    api_resp_release(&resp);
}

static void world_up(void)
{
    char err[256] = "", path[128], body[256];

    memset(w.cookie, 0, sizeof(w.cookie));
    memcpy(w.dir, "/tmp/dissent-fuzz-api-XXXXXX", 29);
    if (access("/dev/shm", W_OK) == 0) /* SQLite syncs: keep the store in memory */
        memcpy(w.dir, "/dev/shm/dissent-fuzz-XXXXXX", 29);
    if (mkdtemp(w.dir) == NULL || store_open(w.dir, &w.st, err, sizeof(err)) != 0)
        goto fail;
    config_defaults(&w.cfg);
    snprintf(w.cfg.timezone, sizeof(w.cfg.timezone), "UTC");
    w.cfg.argon2_ops = 1;
    w.cfg.argon2_mem = 8192;
    /* no role needs TOTP here (the state-dept preset would ask it of officers and admins) */
    snprintf(w.cfg.require_2fa, sizeof(w.cfg.require_2fa), "none");
    if (channel_init(&w.ch, &w.cfg, w.dir, err, sizeof(err)) != 0 ||
        trust_open(w.st, w.ch.key, w.ch.log_key, w.dir, 0, err, sizeof(err)) != 0)
        goto fail;
    api_env_init(&w.env, w.st, &w.cfg, &w.ch);
    w.up = true;
    for (int i = 0; i < NUSERS; i++)
        if (user_create_enrolled(w.st, &w.env.pw, names[i], roles[i], "", "", PASSWORD,
                                 strlen(PASSWORD), channel_now(&w.ch), NULL, err, sizeof(err)) != 0)
            goto fail;
    /* the channel key, for the officer (as `dissent channel init` makes it) */
    {
        struct user o;
        uint64_t made = 0;
        if (store_user_get_by_name(w.st, names[1], &o) != 0 ||
            access_channel_setup(w.st, &o, channel_now(&w.ch), &made) != 0 || !made)
            goto fail;
    }
    /* signing in through the API */
    for (int i = 0; i < NUSERS; i++) {
        snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"" PASSWORD "\"}",
                 names[i]);
        must(API_POST, "/api/v1/session", -1, body, 200, NULL, 0, w.cookie[i]);
    }
    must(API_POST, "/api/v1/memos", 0, "{\"title\":\"A draft\",\"body\":\"We *dissent*.\\n\"}", 201,
         w.draft, sizeof(w.draft), NULL);
    snprintf(path, sizeof(path), "/api/v1/memos/%s/invitations", w.draft);
    must(API_POST, path, 0, "{\"usernames\":[\"bob\"]}", 200, NULL, 0, NULL);
    must(API_POST, "/api/v1/memos", 0, "{\"title\":\"Filed\",\"body\":\"# Dissent\\n\\nText.\\n\"}",
         201, w.filed, sizeof(w.filed), NULL);
    snprintf(path, sizeof(path), "/api/v1/memos/%s/finalize", w.filed);
    must(API_POST, path, 0, NULL, 200, NULL, 0, NULL);
    snprintf(path, sizeof(path), "/api/v1/memos/%s/signatures", w.filed);
    must(API_POST, path, 0, NULL, 201, NULL, 0, NULL);
    snprintf(path, sizeof(path), "/api/v1/memos/%s/file", w.filed);
    must(API_POST, path, 0, NULL, 200, NULL, 0, NULL);
    snprintf(path, sizeof(path), "/api/v1/memos/%s/acknowledge", w.filed);
    must(API_POST, path, 1, NULL, 200, NULL, 0, NULL);
    w.runs = 0;
    return;
fail:
    fprintf(stderr, "fuzz_json_body setup: %s\n", err);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (random_init() != 0)
        abort();
    log_set_level(LOG_ERROR);
    w.nroutes = fuzz_api_routes(w.routes, MAX_ROUTES);
    atexit(world_down);
    return 0;
}

/* The caller a route is meant for. */
static int natural_user(const struct api_route *r)
{
    if (r->roles == 0 || (r->roles & ROLE_STAFF))
        return (r->rel & WF_OFFICER) && !(r->rel & WF_DRAFTER) ? 1 : 0;
    for (int i = 0; i < NUSERS; i++)
        if (r->roles & roles[i])
            return i;
    return 0;
}

/* @pattern with {id} and {username} filled in, into @out. */
static void fill(const char *pattern, const char *id, char *out, size_t len)
{
    size_t o = 0;

    for (const char *p = pattern; *p != '\0' && o + 32 < len; p++) {
        if (*p != '{') {
            out[o++] = *p;
            continue;
        }
        o += (size_t)snprintf(out + o, len - o, "%s", p[1] == 'i' ? id : "bob");
        p = strchr(p, '}');
    }
    out[o] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct api_route *all, *r;
    struct api_req req;
    struct api_resp resp;
    char path[256], if_match[32], *query = NULL;
    const char *id;
    size_t n;
    int u;

    if (size < 2)
        return 0;
    if (!w.up || w.runs >= RESET_EVERY) {
        world_down();
        world_up();
    }
    w.runs++;
    all = api_routes(&n);
    r = &all[w.routes[data[0] % w.nroutes]];
    u = (data[1] & 7) < NUSERS ? (data[1] & 7) : natural_user(r);
    if (r->rel & WF_DRAFTER)
        id = (r->rel & WF_OFFICER) && (data[1] & 8) ? w.filed : w.draft;
    else
        id = (r->rel & WF_OFFICER) || (data[1] & 8) ? w.filed : w.draft;
    fill(r->pattern, id, path, sizeof(path));
    /* bit 4: If-Match with the memo's current version (edits need it) */
    if_match[0] = '\0';
    if ((data[1] & 16) && r->rel != 0) {
        struct memo m;
        if (store_memo_get(w.st, id, &m) == 0) {
            snprintf(if_match, sizeof(if_match), "\"%lld\"", (long long)m.version);
            store_memo_release(&m);
        }
    }
    if (r->methods == API_GET) {
        query = fuzz_cstr(data + 2, size - 2);
        call(API_GET, path, u, NULL, 0, query, if_match, &req, &resp);
    } else {
        call((enum api_method)r->methods, path, u, (const char *)data + 2, size - 2, NULL, if_match,
             &req, &resp);
    }
    if (getenv("FUZZ_VERBOSE") != NULL) {
        char *dump = resp.body ? json_dumps(resp.body, 0) : NULL;
        fprintf(stderr, "%s %s as %s: %d %.200s\n", req.method_name, r->pattern, names[u],
                resp.status, dump ? dump : "");
        free(dump);
    }
    if (resp.status < 200 || resp.status > 599 || resp.status == 500)
        abort(); /* never an internal error, whatever the body */
    api_req_release(&req);
    api_resp_release(&resp);
    free(query);
    return 0;
}
