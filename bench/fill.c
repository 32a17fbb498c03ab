/*
 * bench/fill.c - a channel's history at scale in a new data directory, for bench/scale.sh.
 *
 * Usage: fill DATA_DIR MEMOS RUNNING CYCLES
 *
 * Every step goes through the API in-process, as the server runs a request (api_prepare(), then
 * api_run() for a slow route), against a real SQLite store: the same code, keys, MACs, audit
 * chain and transparency log as over HTTP, without sockets or password hashing per request.
 * The cast: 20 drafters (staff), one officer (olga, who holds the channel key), one principal
 * (paul), one auditor (aud), an administrator (root); passwords "password-1", hashed at the
 * cheapest Argon2id (ops 1, 8 MiB), which the accounts keep.
 *
 * MEMOS memos are filed, their filing days spread over the two years before the real today.
 * All but the last RUNNING are then acknowledged, distributed to paul, extended, replied to,
 * asked for clarification and replied to again CYCLES times, and accepted: 6 + 2 * CYCLES log
 * entries each (filed, acknowledged, distributed, extended, replied, clarification and replied
 * per cycle, closed), besides the accounts'. The RUNNING last ones wait on the channel, half
 * acknowledged. Each memo's steps share one instant; the clock moves between memos.
 *
 * Progress goes to stderr; the last line on stdout is "filled N memos, E log entries".
 */
#include "api/api.h"
#include "core/access.h"
#include "core/ledger.h"
#include "core/trust.h"
#include "core/user.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DRAFTERS 20
#define SPAN (2 * 365 * 86400LL) /* the filings spread over two years */

static struct store *st;
static struct config cfg;
static struct channel ch;
static struct api_env env;

static char drafter_cookie[DRAFTERS][128], olga[128];

/* One request through the API: its status, and its JSON body in *@body when wanted (the caller
 * json_decref()s it). Exits when it does not answer @want. */
static void call(const char *method, const char *path, const char *cookie, const char *body,
                 int want, json_t **out, char *set_cookie, size_t cookie_len)
{
    struct api_req req;
    struct api_resp resp;
    char pathbuf[512], *q;

    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    str_copy(pathbuf, sizeof(pathbuf), path);
    if ((q = strchr(pathbuf, '?')) != NULL)
        *q++ = '\0';
    req.method = strcmp(method, "GET") == 0 ? API_GET : API_POST;
    req.method_name = method;
    req.path = pathbuf;
    req.query = q;
    req.body = body;
    req.body_len = body ? strlen(body) : 0;
    req.content_type = body ? "application/json" : NULL;
    req.cookie = cookie && *cookie ? cookie : NULL;
    req.requested_with = "dissent";
    req.host = "localhost";
    str_copy(req.addr, sizeof(req.addr), "127.0.0.1");
    req.now = channel_now(&ch);
    if (api_prepare(&env, &req, &resp) == API_SLOW)
        api_run(&env, &req, &resp);
    if (resp.status != want) {
        char *text = resp.body ? json_dumps(resp.body, JSON_COMPACT) : NULL;
        fprintf(stderr, "fill: %s %s: %d, want %d: %s\n", method, path, resp.status, want,
                text ? text : "");
        free(text);
        exit(1);
    }
    if (set_cookie != NULL) {
        size_t n = strcspn(resp.set_cookie, ";");
        if (strncmp(resp.set_cookie, "dissent_session=", 16) != 0 || n >= cookie_len) {
            fprintf(stderr, "fill: %s %s: no session cookie\n", method, path);
            exit(1);
        }
        memcpy(set_cookie, resp.set_cookie, n);
        set_cookie[n] = '\0';
    }
    if (out != NULL)
        *out = json_incref(resp.body);
    api_resp_release(&resp);
    api_req_release(&req);
}

static void login(const char *user, char cookie[128])
{
    char body[128];

    snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"password-1\"}", user);
    call("POST", "/api/v1/session", NULL, body, 200, NULL, cookie, 128);
}

static void login_all(void)
{
    login("olga", olga);
    for (int d = 0; d < DRAFTERS; d++) {
        char name[32];
        snprintf(name, sizeof(name), "drafter%02d", d);
        login(name, drafter_cookie[d]);
    }
}

static void memo_path(char *out, size_t len, const char *id, const char *suffix)
{
    snprintf(out, len, "/api/v1/memos/%s%s", id, suffix);
}

/* POST .../@suffix of memo @id with @body as @cookie, answering @want; the answer's JSON. */
static json_t *act(const char *id, const char *suffix, const char *cookie, const char *body,
                   int want)
{
    char p[256];
    json_t *r = NULL;

    memo_path(p, sizeof(p), id, suffix);
    call("POST", p, cookie, body, want, &r, NULL, 0);
    return r;
}

static void step(const char *id, const char *suffix, const char *cookie, const char *body, int want)
{
    json_decref(act(id, suffix, cookie, body, want));
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        unsigned roles;
    } cast[] = {{"olga", ROLE_OFFICER},
                {"paul", ROLE_PRINCIPAL},
                {"aud", ROLE_AUDITOR},
                {"root", ROLE_ADMIN}};
    char err[256] = "", text[1200], body[1400], id[64];
    long memos, running, cycles;
    int64_t start, signed_in;
    uint64_t size = 0;
    struct timespec t0, t1;

    if (argc != 5 || (memos = strtol(argv[2], NULL, 10)) < 1 ||
        (running = strtol(argv[3], NULL, 10)) < 0 || running > memos ||
        (cycles = strtol(argv[4], NULL, 10)) < 0 || cycles > 20) {
        fprintf(stderr, "usage: fill DATA_DIR MEMOS RUNNING CYCLES\n");
        return 2;
    }
    if (random_init() != 0 || store_open(argv[1], &st, err, sizeof(err)) != 0) {
        fprintf(stderr, "fill: %s\n", err[0] ? err : "cannot start");
        return 1;
    }
    config_defaults(&cfg);
    str_copy(cfg.timezone, sizeof(cfg.timezone), "UTC");
    cfg.argon2_ops = 1;
    cfg.argon2_mem = 8192;
    str_copy(cfg.require_2fa, sizeof(cfg.require_2fa), "none");
    cfg.reply_approval = 0;
    cfg.accept_window = 30;
    /* the clock runs two years in minutes: sessions as long as they may be, signed in again
     * before they end */
    cfg.session_idle = 30 * 86400;
    cfg.session_lifetime = 90 * 86400;
    if (channel_init(&ch, &cfg, argv[1], NULL, 0) != 0 ||
        trust_open(st, ch.key, ch.log_key, argv[1], 0, NULL, 0) != 0) {
        fprintf(stderr, "fill: cannot open the channel in %s\n", argv[1]);
        return 1;
    }
    api_env_init(&env, st, &cfg, &ch);
    start = (int64_t)time(NULL) - SPAN - 30 * 86400;
    ch.clock_offset = start - (int64_t)time(NULL);
    for (size_t i = 0; i < sizeof(cast) / sizeof(cast[0]) + DRAFTERS; i++) {
        char name[32], addr[64];
        unsigned roles = ROLE_STAFF;
        if (i < sizeof(cast) / sizeof(cast[0])) {
            str_copy(name, sizeof(name), cast[i].name);
            roles = cast[i].roles;
        } else {
            snprintf(name, sizeof(name), "drafter%02zu", i - sizeof(cast) / sizeof(cast[0]));
        }
        snprintf(addr, sizeof(addr), "%s@example.org", name);
        if (user_create_enrolled(st, &env.pw, name, roles, "", addr, "password-1", 10, 1, NULL,
                                 NULL, 0) != 0) {
            fprintf(stderr, "fill: cannot make the account %s\n", name);
            return 1;
        }
    }
    {
        struct user o;
        uint64_t made = 0;
        if (store_user_get_by_name(st, "olga", &o) != 0 ||
            access_channel_setup(st, &o, 0, &made) != 0 || !made) {
            fprintf(stderr, "fill: cannot make the channel key\n");
            return 1;
        }
    }
    login_all();
    signed_in = channel_now(&ch);
    /* a body of about a kilobyte, as a memo's text might be */
    for (size_t i = 0; i + 1 < sizeof(text) - 1; i++)
        text[i] = "The policy is wrong for these reasons. "[i % 39];
    text[sizeof(text) - 2] = '\0';
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < memos; i++) {
        const char *dc = drafter_cookie[i % DRAFTERS];
        bool waits = i >= memos - running;
        json_t *r;

        ch.clock_offset = start + (int64_t)(SPAN * (i + 1) / memos) - (int64_t)time(NULL);
        /* within the idle timeout of the drafter who filed last, whoever it was */
        if (channel_now(&ch) - signed_in > 25 * 86400) {
            login_all();
            signed_in = channel_now(&ch);
        }
        snprintf(body, sizeof(body), "{\"title\":\"Memo %ld on the policy\",\"body\":\"%s\"}", i,
                 text);
        call("POST", "/api/v1/memos", dc, body, 201, &r, NULL, 0);
        str_copy(id, sizeof(id), json_string_value(json_object_get(r, "id")));
        json_decref(r);
        step(id, "/finalize", dc, NULL, 200);
        step(id, "/signatures", dc, NULL, 201);
        step(id, "/file", dc, NULL, 200);
        if (waits && (i % 2) == 0)
            continue; /* waits for the acknowledgement */
        r = act(id, "/acknowledge", olga, NULL, 200);
        if (waits) {
            json_decref(r);
            continue; /* waits for the reply */
        }
        {
            /* extended by a day, up to the maximum the memo allows */
            json_t *reply = json_object_get(json_object_get(r, "deadlines"), "reply");
            const char *due = json_string_value(json_object_get(reply, "due"));
            const char *max = json_string_value(json_object_get(reply, "max"));
            snprintf(body, sizeof(body), "{\"until\":\"%s\",\"reason\":\"More time to consult.\"}",
                     max != NULL ? max : due);
        }
        json_decref(r);
        step(id, "/distribution", olga, "{\"usernames\":[\"paul\"]}", 200);
        step(id, "/extend", olga, body, 200);
        step(id, "/reply", olga, "{\"body\":\"The channel's reply.\"}", 200);
        for (long c = 0; c < cycles; c++) {
            step(id, "/clarify", dc, "{\"question\":\"What of the second point?\"}", 200);
            step(id, "/reply", olga, "{\"body\":\"The channel's reply, clarified.\"}", 200);
        }
        step(id, "/accept", dc, NULL, 200);
        if ((i + 1) % 1000 == 0 || i + 1 == memos) {
            double s;
            clock_gettime(CLOCK_MONOTONIC, &t1);
            s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
            fprintf(stderr, "fill: %ld memos in %.0f s (%.0f per second)\n", i + 1, s,
                    (double)(i + 1) / s);
        }
    }
    /* the checkpoint of everything (the server signs them on a schedule) */
    ch.clock_offset = 0;
    if (ledger_sign(st, ch.log_key, ch.log_origin, 0, &size) != 0) {
        fprintf(stderr, "fill: cannot sign the checkpoint\n");
        return 1;
    }
    printf("filled %ld memos, %llu log entries\n", memos, (unsigned long long)size);
    api_env_release(&env);
    channel_release(&ch);
    store_close(st);
    return 0;
}
