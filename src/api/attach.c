/*
 * attach.c - a memo's files over HTTP (core/attach.h):
 *
 *   POST   /api/v1/memos/{id}/attachments                    add one (its details; the drafter)
 *   PUT    /api/v1/memos/{id}/attachments/{att}?offset=N     its next part, raw bytes
 *   GET    /api/v1/memos/{id}/attachments/{att}              where its upload stands
 *   DELETE /api/v1/memos/{id}/attachments/{att}              remove it from the draft
 *   GET    /api/v1/memos/{id}/attachments/{att}/content      download it (every reader)
 *
 * A download is streamed chunk by chunk from the database (http/handler.h's stream), so the
 * server's memory does not grow with the file; it is said as an attachment, never shown inline,
 * sandboxed, and recorded in the read audit.
 */
#include "api/api.h"

#include "core/attach.h"
#include "core/audit.h"
#include "crypto/hash.h"
#include "http/route.h"
#include "util/err.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/strutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The part size a client should send: the body limit, in whole chunks. */
static int64_t part_size(const struct api_env *env)
{
    int64_t n = env->cfg->max_body / ATTACH_CHUNK * ATTACH_CHUNK;

    return n > 0 ? n : 0;
}

static json_t *info_json(const struct api_env *env, const struct attach_info *a)
{
    char hex[2 * HASH_SHA256_LEN + 1];

    str_hex(hex, sizeof(hex), a->file.sha256, HASH_SHA256_LEN);
    return json_pack("{s:s, s:s, s:s, s:I, s:s, s:I, s:b, s:I}", "id", a->id, "name", a->file.name,
                     "type", a->file.type, "size", (json_int_t)a->file.size, "sha256", hex,
                     "received", (json_int_t)a->received, "complete", a->complete, "part_size",
                     (json_int_t)part_size(env));
}

json_t *api_attachments_json(struct api_env *env, struct api_req *req, const struct memo *m,
                             int *rc)
{
    struct attach_info *all = NULL;
    size_t n = 0;
    json_t *arr;

    *rc = 0;
    if (req->mkey == NULL)
        return json_array();
    if ((*rc = attach_list(env->st, req->mkey, m, &all, &n)) != 0)
        return NULL;
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, info_json(env, &all[i]));
    mem_free(all);
    return arr;
}

static void limits_of(const struct api_env *env, struct attach_limits *lim)
{
    lim->file_max = env->cfg->records_file_max;
    lim->memo_max = env->cfg->records_memo_max;
}

void api_att_create(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const fields[] = {"name", "type", "size", "sha256", NULL};
    json_t *name = json_object_get(req->json, "name"), *type = json_object_get(req->json, "type"),
           *size = json_object_get(req->json, "size"), *sha = json_object_get(req->json, "sha256");
    uint8_t digest[HASH_SHA256_LEN];
    struct attach_limits lim;
    struct attach_info info;
    struct wf_ctx c;
    char err[256] = "";
    int rc;

    if (api_fields_allowed(resp, req->json, fields) != 0)
        return;
    if (!json_is_string(name)) {
        api_error_field(resp, "name", "name: the file's name, a string");
        return;
    }
    if (!json_is_string(type)) {
        api_error_field(resp, "type",
                        "type: the file's media type, a string such as "
                        "application/pdf (application/octet-stream when unknown)");
        return;
    }
    if (!json_is_integer(size) || json_integer_value(size) < 0) {
        api_error_field(resp, "size", "size: the file's length in bytes, an integer");
        return;
    }
    if (!json_is_string(sha) || json_string_length(sha) != 2 * HASH_SHA256_LEN ||
        !str_hex_groups_parse(json_string_value(sha), digest, sizeof(digest)) ||
        strspn(json_string_value(sha), "0123456789abcdef") != 2 * HASH_SHA256_LEN) {
        api_error_field(resp, "sha256", "sha256: the file's SHA-256, 64 lowercase hex digits");
        return;
    }
    if (part_size(env) == 0) {
        api_error(resp, 409, "attachments_off",
                  "this server takes no files: its body limit ([server] max_body) is under "
                  "one chunk of %d bytes",
                  ATTACH_CHUNK);
        return;
    }
    if (env->cfg->records_file_max == 0) {
        api_error(resp, 409, "attachments_off", "this server takes no files ([records] file_max)");
        return;
    }
    limits_of(env, &lim);
    api_wf_init(&c, env, req, err, sizeof(err));
    rc = attach_begin(&c, &req->memo, &lim, json_string_value(name), json_string_value(type),
                      (int64_t)json_integer_value(size), digest, &info);
    if (rc == ERR_CONFLICT) {
        api_error(resp, 412, "version_mismatch", "the memo changed meanwhile; reload it");
        return;
    }
    if (rc == ERR_TOO_LARGE) {
        api_error(resp, 413, "too_large", "%s", err);
        return;
    }
    if (rc != 0) {
        api_error_wf(resp, rc, err, &req->memo);
        return;
    }
    api_ok(resp, 201, info_json(env, &info));
}

/* The route's {att}: 16 hex characters, or a 404. */
static const char *att_param(struct api_req *req, struct api_resp *resp)
{
    const char *id = http_route_param(&req->params, "att");

    if (id == NULL || strlen(id) != STORE_ATT_ID_LEN ||
        strspn(id, "0123456789abcdef") != STORE_ATT_ID_LEN) {
        api_error(resp, 404, "not_found", "no such file");
        return NULL;
    }
    return id;
}

void api_att_get(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    const char *id = att_param(req, resp);
    struct attach_info info;
    int rc;

    if (id == NULL)
        return;
    if ((rc = attach_get(env->st, req->mkey, &req->memo, id, &info)) != 0) {
        if (rc == ERR_NOT_FOUND)
            api_error(resp, 404, "not_found", "no such file");
        else
            api_error_rc(resp, rc, NULL);
        return;
    }
    api_ok(resp, 200, info_json(env, &info));
}

void api_att_part(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    const char *id = att_param(req, resp);
    struct attach_info info;
    struct wf_ctx c;
    char err[256] = "", off[24];
    int64_t offset = 0;
    int rc;

    if (id == NULL)
        return;
    if ((rc = api_query(req, resp, "offset", off, sizeof(off))) != 0 ||
        str_parse_i64(off, 0, INT64_C(1) << 53, &offset) != 0) {
        if (rc != ERR_INVALID)
            api_error_field(resp, "offset",
                            "offset: where the part starts in the file, bytes "
                            "(the query's ?offset=N)");
        return;
    }
    if (req->body_len == 0) {
        api_error_field(resp, "body", "body: the part's bytes are the request's body");
        return;
    }
    api_wf_init(&c, env, req, err, sizeof(err));
    rc = attach_part(&c, &req->memo, id, offset, (const uint8_t *)req->body, req->body_len, &info);
    if (rc == ERR_CONFLICT && info.id[0] != '\0') {
        api_error(resp, 409, "offset_mismatch", "%s", err[0] ? err : "another part came first");
        json_object_set_new(json_object_get(resp->body, "error"), "received",
                            json_integer((json_int_t)info.received));
        return;
    }
    if (rc == ERR_NOT_FOUND) {
        api_error(resp, 404, "not_found", "no such file");
        return;
    }
    if (rc != 0) {
        api_error_wf(resp, rc, err, &req->memo);
        return;
    }
    api_ok(resp, 200, info_json(env, &info));
}

void api_att_delete(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    const char *id = att_param(req, resp);
    struct wf_ctx c;
    char err[256] = "";
    int rc;

    if (id == NULL)
        return;
    api_wf_init(&c, env, req, err, sizeof(err));
    rc = attach_delete(&c, &req->memo, id);
    if (rc == ERR_NOT_FOUND) {
        api_error(resp, 404, "not_found", "no such file");
        return;
    }
    if (rc == ERR_CONFLICT) {
        api_error(resp, 412, "version_mismatch", "the memo changed meanwhile; reload it");
        return;
    }
    if (rc != 0) {
        api_error_wf(resp, rc, err, &req->memo);
        return;
    }
    api_ok(resp, 204, NULL);
}

/* A download in progress: the reader, on whichever pool thread asks for the next piece. */
struct download {
    struct attach_reader r;
};

static int download_more(struct api_env *env, void *arg, uint8_t *buf, size_t cap, size_t *n)
{
    struct download *d = arg;

    return attach_reader_next(env->st, &d->r, buf, cap, n);
}

static void download_free(void *arg)
{
    struct download *d = arg;

    if (d == NULL)
        return;
    attach_reader_close(&d->r);
    mem_free(d);
}

/*
 * RFC 6266's Content-Disposition for @name: attachment, an ASCII fallback (every byte outside
 * printable ASCII, and the quote and backslash, as '_') and RFC 8187's UTF-8 filename*.
 */
static char *disposition(const char *name)
{
    size_t n = strlen(name), cap = 64 + n + 3 * n, o;
    char *out = mem_alloc(cap);

    if (out == NULL)
        return NULL;
    o = (size_t)snprintf(out, cap, "attachment; filename=\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        out[o++] = (ch < 0x20 || ch >= 0x7F || ch == '"' || ch == '\\') ? '_' : (char)ch;
    }
    o += (size_t)snprintf(out + o, cap - o, "\"; filename*=UTF-8''");
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        /* RFC 8187 attr-char: ALPHA DIGIT ! # $ & + - . ^ _ ` | ~ */
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            strchr("!#$&+-.^_`|~", ch) != NULL)
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, cap - o, "%%%02X", ch);
    }
    out[o] = '\0';
    return out;
}

void api_att_download(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    const char *id = att_param(req, resp);
    const struct memo *m = &req->memo;
    struct attach_info info;
    struct download *d;
    int rc;

    if (id == NULL)
        return;
    /* a frozen memo's files are its signed text's: shown only when that text holds */
    if ((rc = workflow_digest_check(env->st, req->mkey, m)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    if ((d = mem_calloc(1, sizeof(*d))) == NULL) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        return;
    }
    rc = attach_reader_open(env->st, req->mkey, m, id, &d->r, &info);
    if (rc == 0 && (resp->disposition = disposition(info.file.name)) == NULL)
        rc = ERR_NOMEM;
    if (rc == 0 && req->method != API_HEAD) /* a HEAD request reads nothing */
        rc = audit_read(env->st, m->id, req->user.id, "read_file", req->now);
    if (rc != 0) {
        download_free(d);
        mem_free(resp->disposition); /* an error is no download */
        resp->disposition = NULL;
        if (rc == ERR_NOT_FOUND)
            api_error(resp, 404, "not_found", "no such file");
        else if (rc == ERR_STATE)
            api_error(resp, 409, "incomplete", "the file is still being uploaded");
        else
            api_error_rc(resp, rc, NULL);
        return;
    }
    resp->status = 200;
    resp->content_type = "application/octet-stream";
    resp->stream = true;
    resp->stream_len = info.file.size;
    resp->more = download_more;
    resp->stream_arg = d;
    resp->stream_free = download_free;
}
