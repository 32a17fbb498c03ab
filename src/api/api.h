/*
 * api.h - the JSON API: one route table, authorization, handlers, errors.
 *
 * The HTTP layer turns each request into a struct api_req, calls api_prepare() on its event-loop
 * thread and, when that answers API_SLOW, calls api_run() on a pool thread (with the pool thread's
 * own environment); then it renders the struct api_resp. Only api/ knows HTTP status codes.
 *
 * Every route declares the roles it needs in the one table in api.c; api_prepare() enforces it,
 * together with the session, the CSRF rule and body parsing, before any handler runs.
 */
#ifndef DISSENT_API_API_H
#define DISSENT_API_API_H

#include "core/access.h"
#include "core/channel.h"
#include "core/housekeeping.h"
#include "core/passkey.h"
#include "core/session.h"
#include "core/user.h"
#include "http/route.h"
#include "store/store.h"
#include "util/config.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum api_method {
    API_GET = 1 << 0,
    API_POST = 1 << 1,
    API_PUT = 1 << 2,
    API_PATCH = 1 << 3,
    API_DELETE = 1 << 4,
    API_HEAD = 1 << 5,
    API_OPTIONS = 1 << 6,
};

/* Per-thread context: every event-loop and pool thread has its own. */
/*
 * The answers to GET /api/v1/me this thread made last (every page of the web interface asks
 * it first), each kept under its session (the SHA-256 of the token) and the store's stamp
 * (store_cache_stamp()): served again only while nothing it was made from may have changed.
 * Only on SQLite, whose read cache gives the stamp.
 */
#define API_ME_SLOTS 8

struct api_me_cache {
    uint8_t session[HASH_SHA256_LEN];
    uint64_t stamp;
    char *text; /* the JSON answer, newline included (owned; NULL: an empty slot) */
    size_t len;
};

struct api_env {
    struct store *st;                     /* this thread's database connection */
    const struct config *cfg;             /* shared, read-only */
    struct session_policy policy;         /* from cfg */
    struct pw_params pw;                  /* from cfg */
    const struct channel *ch;             /* shared, read-only: deadlines, calendar, key, clock */
    struct housekeeping hk;               /* the periodic work's state (api_tick()) */
    struct api_me_cache me[API_ME_SLOTS]; /* api/session.c */
};

struct api_route;

/* One request, as the HTTP layer saw it. Strings are owned by the HTTP layer and stay valid
 * until the response is sent. */
struct api_req {
    enum api_method method;  /* HEAD is matched as GET */
    const char *method_name; /* "GET", ... for the log */
    const char *path;        /* the path without the query */
    const char *query;       /* raw query string or NULL */
    const char *body;        /* request body bytes (may be NULL when empty) */
    size_t body_len;
    const char *content_type; /* header values, NULL when absent */
    const char *cookie;
    const char *requested_with;
    const char *origin;
    const char *host;
    const char *if_match;
    const char *authorization;   /* the Authorization header: only API_R_METRICS routes read it */
    const char *accept_language; /* the Accept-Language header: the messages' language */
    char addr[64];               /* the peer address */
    int64_t now;                 /* unix seconds at arrival */

    /* Filled by api_prepare(). */
    const struct api_route *route;     /* matched route */
    struct route_params params;        /* captured path parameters */
    bool authed;                       /* a live session was found */
    struct session session;            /* that session */
    struct user user;                  /* its account */
    char token[SESSION_TOKEN_LEN + 1]; /* the cookie's token (for logout) */
    json_t *json;                      /* the parsed body object, or NULL */
    bool has_memo;                     /* the route's {id} memo was loaded into @memo */
    struct memo memo;                  /* that memo */
    unsigned rel;                      /* the caller's WF_* relation bits to it */
    const struct channel *ch;          /* the rules of its channel (channel_of()), or NULL */
    const struct channel *chs[CHANNELS_MAX + 1]; /* each channel's rules as this request read
                                                    them (api_channel_of()), by number */
    struct keyring kr; /* what the caller can decrypt (opened lazily, wiped at release) */
    uint8_t *mkey;     /* the memo's content key (secure memory), for content routes */
};

#define API_HEADER_MAX 320

/* One response. The HTTP layer renders it and then calls api_resp_release(). */
struct api_resp {
    int status;                      /* HTTP status */
    json_t *body;                    /* owned; NULL means no body (204) */
    const char *route;               /* matched pattern for the log, "-" when none */
    char set_cookie[API_HEADER_MAX]; /* Set-Cookie value or "" */
    char allow[64];                  /* Allow value for 405, or "" */
    char location[API_HEADER_MAX];   /* Location value or "" */
    char etag[32];                   /* ETag value or "" */
    int64_t retry_after;             /* seconds for Retry-After, 0 for none */
    uint8_t *raw;                    /* a body made already (malloc'd, owned): a file, or JSON
                                        text (api_ok_text()); or NULL */
    size_t raw_len;                  /* bytes of @raw */
    const char *content_type;        /* Content-Type of @raw */
    const char *cache_control;       /* Cache-Control, or NULL for no-store */
    const char *vary;                /* Vary, or NULL */
    char *disposition;               /* Content-Disposition of a download (malloc'd), or NULL */
    /* a body streamed from the pool (a file): @stream_len bytes, each piece from
     * @more(env, @stream_arg, ...) on whichever pool thread; @stream_free(@stream_arg) after */
    bool stream;
    uint64_t stream_len;
    int (*more)(struct api_env *env, void *arg, uint8_t *buf, size_t cap, size_t *n);
    void *stream_arg;
    void (*stream_free)(void *arg);
};

enum api_next {
    API_DONE = 0, /* the response is ready */
    API_SLOW = 1, /* call api_run() on a pool thread, then render */
};

/** api_method_name() - "GET", "POST", ... for one API_* method bit; "" for anything else. */
const char *api_method_name(unsigned method);

/** api_env_release() - what api_env_init() and the requests left in @env (not the store). */
void api_env_release(struct api_env *env);

/** api_env_init() - fill @env for a thread owning @st; @ch may be NULL (no memo routes). */
void api_env_init(struct api_env *env, struct store *st, const struct config *cfg,
                  const struct channel *ch);

/**
 * api_prepare() - route, check CSRF, session and roles, parse the body; run the handler now
 * unless the route is slow. Always leaves @resp consistent. Event-loop safe.
 */
enum api_next api_prepare(struct api_env *env, struct api_req *req, struct api_resp *resp);

/** api_run() - run the matched (slow) handler. Pool threads only. */
void api_run(struct api_env *env, struct api_req *req, struct api_resp *resp);

/** api_req_release() - free what api_prepare() attached to @req. */
void api_req_release(struct api_req *req);

/** api_resp_release() - free the body. */
void api_resp_release(struct api_resp *resp);

/* ---- used by handlers (api/helpers.c) ---- */

/** api_error() - set an error response {"error":{"code","message"}}. */
void api_error(struct api_resp *resp, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** api_error_field() - a 422 naming @field: {"error":{"code":"invalid_field","field",...}}. */
void api_error_field(struct api_resp *resp, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** api_error_rc() - the response for a core/store error code, through the one mapping table. */
void api_error_rc(struct api_resp *resp, int rc, const char *message);

/** api_ok() - set @status with @body (reference stolen). NULL is no body for 204; for any
 *  other status it is a body that could not be built: the out-of-memory answer (503
 *  "out_of_memory", the one code for it). */
void api_ok(struct api_resp *resp, int status, json_t *body);

/** api_json_text() - @body as the API sends it: compact, then a newline; *@len bytes, owned
 *  (mem_alloc'd, NUL-terminated), or NULL when out of memory. */
char *api_json_text(const json_t *body, size_t *len);

/** api_ok_text() - set @status with the JSON @text (@len bytes, copied; api_json_text()); out
 *  of memory, the out-of-memory answer as api_ok(). */
void api_ok_text(struct api_resp *resp, int status, const char *text, size_t len);

/** api_user_json() - the public JSON form of an account (no password hash). */
json_t *api_user_json(const struct user *u);

/** api_iso_time() - "YYYY-MM-DDTHH:MM:SSZ" for unix seconds @t into @out (21 bytes). */
void api_iso_time(char out[21], int64_t t);

/**
 * api_fields_allowed() - 0 when every key of @obj is in the NULL-terminated @allowed list;
 * otherwise sets a 422 naming the first unknown key and returns ERR_INVALID.
 */
int api_fields_allowed(struct api_resp *resp, json_t *obj, const char *const *allowed);

/**
 * api_get_string() - the string field @key of @obj. Absent: *@out = NULL and 0 unless @required
 * (then 422). Present but not a string, or longer than @max bytes: 422. Returns 0 or ERR_INVALID.
 */
int api_get_string(struct api_resp *resp, json_t *obj, const char *key, bool required, size_t max,
                   const char **out);

/**
 * api_query() - the query parameter @key, percent-decoded, into @out (@outlen bytes with the
 * NUL). Returns 0 when present, ERR_NOT_FOUND when absent, ERR_INVALID after answering 422
 * naming @key (longer than @outlen allows, a bad escape or a NUL): a malformed filter is never
 * silently dropped.
 */
int api_query(struct api_req *req, struct api_resp *resp, const char *key, char *out,
              size_t outlen);

#define API_STARTS_PER_MINUTE 30 /* sign-ins started per client address a minute */

/**
 * api_start_throttle() - public routes that store something per call (a passkey's sign-in
 * challenge, a single sign-on's state) answer at most API_STARTS_PER_MINUTE a minute per client
 * address together: plenty for people signing in, and a bound on what one address can fill the
 * database with. 0, or an error after answering it (429 with Retry-After).
 */
int api_start_throttle(struct api_env *env, struct api_req *req, struct api_resp *resp);

/** api_sso_ticket() - this browser's single sign-on ticket (core/oidc.h), or ERR_NOT_FOUND. */
int api_sso_ticket(struct api_env *env, struct api_req *req, char ticket[44]);

/**
 * api_body_user() - the account named by the body {"username"} (its only field) into @u.
 * Returns 0, or the error it answered (422 for the body or an unknown username, or the store's).
 */
int api_body_user(struct api_env *env, struct api_req *req, struct api_resp *resp, struct user *u);

/** api_memo_key() - open req->memo's content key into req->mkey; on failure a 403 (or other
 *  error) response is set. Returns 0 or the error. */
int api_memo_key(struct api_env *env, struct api_req *req, struct api_resp *resp);

/** api_error_state() - 409 wrong_state with @msg and the memo's current "state". */
void api_error_state(struct api_resp *resp, const char *msg, int state);

/** api_error_wf() - the response for a workflow error @rc with its message @msg. */
void api_error_wf(struct api_resp *resp, int rc, const char *msg, const struct memo *m);

/** api_if_match() - If-Match "N" or N: 0 with *@v, ERR_NOT_FOUND when absent, ERR_INVALID when
 *  malformed. */
int api_if_match(const char *h, int64_t *v);

/**
 * api_channel_of() - the rules in effect for channel @id's memos (core/channels.h channel_of()),
 * read once per request and channel. 0, or the error (the caller answers it).
 */
int api_channel_of(struct api_env *env, struct api_req *req, int64_t id,
                   const struct channel **out);

struct wf_ctx;

/** api_wf_init() - a workflow context for the request's user, memo key and clock, and the rules
 *  of the route's memo's channel (the deployment's without one); messages go to @err (@errlen
 *  bytes, emptied). */
void api_wf_init(struct wf_ctx *c, struct api_env *env, struct api_req *req, char *err,
                 size_t errlen);

/** api_after_action() - answer a memo action: the error for @rc (with @err), else the memo as the
 *  caller now sees it, with @status. */
void api_after_action(struct api_env *env, struct api_req *req, struct api_resp *resp, int rc,
                      const char *err, int status);

/* What the caller may do in @m's review (core/review.h), for the memo's "actions". */
struct api_review_flags {
    bool edit;   /* save a version of the reply's draft: the case officer, a clearer, a head */
    bool ask;    /* ask for clearance: the case officer, a head */
    bool clear;  /* asked to clear, and the current version is not yet cleared by them */
    bool submit; /* the case officer, with a version not yet submitted */
    bool decide; /* a submission awaits a head's approval */
    bool own;    /* ... and the caller made it, or wrote its version */
};

/** api_review_json() - the officers' "internal" section of @m's view (core/review.h), opened
 *  with the caller's keyring, and what the caller may do there in *@f; NULL on failure (*@rc). */
json_t *api_review_json(struct api_env *env, struct api_req *req, const struct memo *m,
                        struct api_review_flags *f, int *rc);

/**
 * api_own_origin() - the server's origin: [server] origin, else (a loopback server) the scheme
 * and the request's Host. 0, or ERR_INVALID (no Host, or longer than @len).
 */
int api_own_origin(const struct api_env *env, const struct api_req *req, char *out, size_t len);

/** api_passkey_rp() - the Relying Party of passkeys: the server's own origin. */
int api_passkey_rp(struct api_env *env, const struct api_req *req, struct passkey_rp *rp);

/* A passkey's answer in a request, decoded (large: allocate it). */
struct api_passkey_answer {
    struct passkey_assertion a; /* views into the buffers below */
    struct passkey_rp rp;
    uint8_t cred_id[WEBAUTHN_CRED_ID_MAX];
    char client_data[WEBAUTHN_CLIENT_DATA_MAX + 1];
    uint8_t auth_data[WEBAUTHN_AUTHDATA_MAX];
    uint8_t sig[WEBAUTHN_SIG_MAX];
    uint8_t prf[PASSKEY_PRF_LEN];
};

/**
 * api_passkey_assertion() - decode the "passkey" object @o of a sign-in ({"id",
 * "client_data_json", "authenticator_data", "signature"[, "prf"]}, base64url) into *@out: 0, or
 * the 422 is set.
 */
int api_passkey_assertion(struct api_env *env, struct api_req *req, struct api_resp *resp,
                          json_t *o, struct api_passkey_answer *out);

/* Handlers, one file per resource. */
void api_health(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_channels_list(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_channels_create(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_channels_patch(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_ready(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_session_create(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_session_delete(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_me(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_me_patch(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_users_list(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_users_create(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_users_reset(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_users_patch(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_users_key(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_users_search(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_list(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_create(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_get(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_patch(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_delete(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_assign(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_action(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_invite(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_reshare(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_decline_invitation(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_sign(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_unsign(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_decline(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_distribute(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_extend(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_reply(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_interim(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_clarify(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_addendum(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_reopen(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_passkey_options(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_passkey_register(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_passkey_list(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_passkey_delete(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_passkey_signin_options(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_sso_get(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_sso_start(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_sso_callback(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_note(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_review_save(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_review_ask(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_review_step(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_review_return(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_review_approve(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_comments_list(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_comments_create(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_bundle(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_deadlines(struct api_env *env, struct api_req *req, struct api_resp *resp);
/**
 * api_stats_json() - the document GET /api/v1/stats answers for @s (docs/api.md, "Statistics"),
 * or NULL when out of memory: the server's, and what `dissent log monitor` recomputes to compare.
 */
struct ledger_stats;
json_t *api_stats_json(const struct ledger_stats *s);

/**
 * api_stats_compute() - the statistics of the published log (the entries of the checkpoint
 * /log/checkpoint serves), judged on the organisation's day at @now, into @s (stats_release()):
 * the deployment's (@channel 0), or channel @channel's memos (docs/channels.md). 0 or an error.
 */
int api_stats_compute(struct api_env *env, int64_t now, int64_t channel, struct ledger_stats *s);

/**
 * api_stats_channel() - the channel a request's ?channel=SLUG names into *@channel (0: none
 * named, the deployment's figures). 0, or an error answered (422 naming "channel").
 */
int api_stats_channel(struct api_env *env, struct api_req *req, struct api_resp *resp,
                      int64_t *channel);
void api_stats(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_calendar_get(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_calendar_closure_add(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_calendar_closure_remove(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_calendar_stop_start(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_calendar_stop_end(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_channel_key(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_channel_status(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_log_checkpoint(struct api_env *env, struct api_req *req, struct api_resp *resp);
/* GET /metrics: Prometheus text for the operator's monitoring (api/metrics.c) */
void api_metrics(struct api_env *env, struct api_req *req, struct api_resp *resp);
/* GET /public: the statistics the log proves, as a page (api/public.c) */
void api_public(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_log_tile(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_receipt(struct api_env *env, struct api_req *req, struct api_resp *resp);

/**
 * api_receipt_json() - the filing receipt of @m (filed) as JSON, with a proof against the newest
 * checkpoint. NULL on failure, with the error code in *@rc: ERR_BUSY while no checkpoint covers
 * the filing yet (one is signed every [tlog] checkpoint_interval seconds).
 */
json_t *api_receipt_json(struct api_env *env, const struct memo *m, int64_t now, int *rc);

/** api_receipt_pending() - 409 receipt_pending, with "retry_after" in seconds. */
void api_receipt_pending(struct api_env *env, struct api_resp *resp);

/**
 * api_tick() - the periodic work (core/housekeeping.h), on @env's connection, at @now; the HTTP
 * server's tick (api/serve.c) calls it once a second on one thread.
 */
void api_tick(struct api_env *env, int64_t now);
void api_channel_grant(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_channel_resets(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_channel_reset_confirm(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_memos_audit(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_me_password(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_recovery(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_enrol(struct api_env *env, struct api_req *req, struct api_resp *resp);

/**
 * api_password_check() - the signed-in caller's password @pw, checked as a throttled attempt
 * (core/session.h session_password_check()). 0 when right; otherwise the answer is set (429,
 * 422 naming @field, or a store error) and the error is returned.
 */
int api_password_check(struct api_env *env, struct api_req *req, struct api_resp *resp,
                       const char *pw, const char *field);
void api_preview(struct api_env *env, struct api_req *req, struct api_resp *resp);
/* TOTP two-factor sign-in (api/totp.c). */
void api_totp_enrol(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_totp_qr(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_totp_confirm(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_totp_recovery_codes(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_totp_disable(struct api_env *env, struct api_req *req, struct api_resp *resp);

/**
 * api_totp_needed() - whether @req's signed-in user holds a role that must use TOTP ([security]
 * require_2fa) and has not turned it on; *@needed is set. Returns 0 or a store error.
 */
int api_totp_needed(struct api_env *env, const struct api_req *req, bool *needed);

/**
 * api_totp_check_code() - check the TOTP "code" (or, when @allow_recovery, a "recovery_code") of
 * the request's body against the caller's enabled TOTP, throttled like a sign-in: 0 with @t
 * holding the row with the code used up (the caller stores it); otherwise the answer is set.
 */
int api_totp_check_code(struct api_env *env, struct api_req *req, struct api_resp *resp,
                        bool allow_recovery, struct user_totp *t);

/**
 * api_factor_needed() - whether @req's user must still set up a second factor (*@needed): a
 * role of [security] require_2fa with neither TOTP on nor a passkey; or one of its "role:passkey"
 * roles without a passkey (*@passkey too).
 */
int api_factor_needed(struct api_env *env, const struct api_req *req, bool *needed, bool *passkey);
void api_outbox_list(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_me_notifications(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_me_notifications_patch(struct api_env *env, struct api_req *req, struct api_resp *resp);

/**
 * api_markdown_html() - the CommonMark @src[0..@len) rendered by cmark in its safe mode (raw
 * HTML and javascript:/vbscript:/file:/data: links dropped), as POST /api/v1/preview answers.
 * Returns a malloc'd NUL-terminated string the caller frees, or NULL when out of memory.
 * Thread safe.
 */
char *api_markdown_html(const char *src, size_t len);
/* The embedded web interface (api/web.c): GET / and GET /assets/{*path}. */
void api_web_index(struct api_env *env, struct api_req *req, struct api_resp *resp);
/* A memo's files (api/attach.c). */
void api_att_create(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_att_get(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_att_part(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_att_delete(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_att_download(struct api_env *env, struct api_req *req, struct api_resp *resp);
/** api_memo_view() - everything @req's caller may see of @m, as GET /api/v1/memos/{id} answers
 *  (*@out; a store or integrity error otherwise). */
int api_memo_view(struct api_env *env, struct api_req *req, const struct memo *m, json_t **out);
/* The records officer's routes (api/records.c). */
void api_records_holds(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_records_hold(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_records_lift(struct api_env *env, struct api_req *req, struct api_resp *resp);
void api_records_schedule(struct api_env *env, struct api_req *req, struct api_resp *resp);
/* GET /api/v1/memos/{id}/record.pdf (api/record.c). */
void api_memos_record(struct api_env *env, struct api_req *req, struct api_resp *resp);
/** api_attachments_json() - @m's files as the memo's JSON lists them ([] without its key);
 *  NULL with *@rc on failure. */
json_t *api_attachments_json(struct api_env *env, struct api_req *req, const struct memo *m,
                             int *rc);
void api_web_asset(struct api_env *env, struct api_req *req, struct api_resp *resp);

/* The route table, exposed for the authorization tests. */
struct api_route {
    unsigned methods;    /* exactly one enum api_method bit */
    const char *pattern; /* "/api/v1/users/{username}" */
    void (*handler)(struct api_env *env, struct api_req *req, struct api_resp *resp);
    unsigned roles; /* enum role bits allowed; 0 = any signed-in user */
    unsigned flags; /* API_R_* */
    unsigned rel;   /* WF_* relations to the {id} memo allowed; 0 = no memo */
    /* the query parameters it reads, space-separated; any other, or one given twice, is 422
     * (NULL: none); "*" for the web interface's pages, whose script reads its own */
    const char *query;
};

#define API_R_PUBLIC 1u     /* no session needed */
#define API_R_SLOW 2u       /* runs on the pool (password hashing) */
#define API_R_JSON 4u       /* takes a JSON object body */
#define API_R_JSON_OPT 8u   /* takes an optional JSON object body */
#define API_R_NOKEY 16u     /* a memo route that needs no content key (signatures, audit) */
#define API_R_LOG 32u       /* public when [tlog] public is set, else for auditors */
#define API_R_RAW 256u      /* takes raw bytes (application/octet-stream): a file's part */
#define API_R_METRICS 512u  /* no session: the [metrics] token as a bearer; 404 without one set */
#define API_R_2FA_SETUP 64u /* open to a session whose role needs TOTP before it is enrolled */
#define API_R_REKEY                                                                                \
    128u /* open to a session whose account must choose a new password                             \
            first: keys an administrator's password wrapped (core/enrol.h) */

/** api_routes() - the table and its length. */
const struct api_route *api_routes(size_t *count);

/**
 * api_route_allows() - whether the route @method @pattern (exactly as in the table) lets a caller
 * with @roles and relation @rel (WF_*) to its memo through, as dispatch decides; false for a
 * route that is not in the table.
 */
bool api_route_allows(unsigned method, const char *pattern, unsigned roles, unsigned rel);

#endif
