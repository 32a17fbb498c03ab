/*
 * export.c - `dissent export`: memos produced for an inspector general, a court or an archive.
 *
 *   dissent export --as OFFICER --password-stdin --out FILE.tar --memo ID [ID ...]
 *   dissent export --as OFFICER --password-stdin --out FILE.tar --filed-between FROM TO
 *
 * By an officer who holds the channel key (their password on standard input opens it): each
 * memo they may act on (filed, not recused) goes into a tar archive (libarchive, POSIX pax) as
 *
 *   dissent-export/ID/bundle.json     its signatures over its canonical text (formats.md)
 *   dissent-export/ID/receipt.json    its filing receipt, once a checkpoint covers it
 *   dissent-export/ID/record.pdf      its record copy (api.md, "The record copy")
 *   dissent-export/ID/files/NAME      its attached files
 *   dissent-export/MANIFEST           every file's SHA-256 and size, signed with the log key
 *
 * `dissent verify FILE.tar --vkey LOGVKEY` checks all of it offline. Each memo exported is a read
 * in its audit ("exported"), and the export is one records entry in the transparency log
 * (`exported`, with the count: no memo, no name). Files are streamed from the database into the
 * archive, never held whole. The archive is written beside FILE and renamed into place once
 * complete (mode 0600).
 */
#include "cmd/cmd.h"

#include "api/api.h"
#include "core/access.h"
#include "core/attach.h"
#include "core/audit.h"
#include "core/channel.h"
#include "core/ledger.h"
#include "core/user.h"
#include "core/workdays.h"
#include "core/workflow.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "crypto/password.h"
#include "crypto/random.h"
#include "crypto/sha.h"
#include "util/err.h"
#include "util/mem.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXPORT_MAX 10000 /* memos in one export */
#define TOP "dissent-export/"

static const char synopsis[] =
    "dissent export --as OFFICER --password-stdin --out FILE.tar (--memo ID [ID ...] |\n"
    "       --filed-between FROM TO) [--data DIR] [--db URI] [--config FILE]\n"
    "Export filed memos for production: for each, its bundle, filing receipt, record copy and\n"
    "attached files, with a manifest of their SHA-256s signed with the log key, in a tar\n"
    "archive that `dissent verify FILE.tar --vkey LOGVKEY` checks offline. OFFICER holds the\n"
    "channel key; their password is read from standard input. FROM and TO are filing days,\n"
    "YYYY-MM-DD, both included.";

/* The archive being written, and the manifest's lines so far. */
struct exp {
    struct archive *a;
    char *manifest;
    size_t mlen, mcap;
    size_t files;
    int64_t now;
};

static int manifest_add(struct exp *x, const char *path, uint64_t size,
                        const uint8_t sha[HASH_SHA256_LEN])
{
    char b64[48], line[600];
    int n;

    b64_encode(b64, sizeof(b64), sha, HASH_SHA256_LEN, false);
    n = snprintf(line, sizeof(line), "file %s %llu %s\n", b64, (unsigned long long)size, path);
    if (n < 0 || (size_t)n >= sizeof(line))
        return ERR_TOO_LARGE;
    if (x->mlen + (size_t)n + 1 > x->mcap) {
        size_t cap = x->mcap ? 2 * x->mcap : 4096;
        char *p;
        while (cap < x->mlen + (size_t)n + 1)
            cap *= 2;
        if ((p = mem_realloc(x->manifest, cap)) == NULL)
            return ERR_NOMEM;
        x->manifest = p;
        x->mcap = cap;
    }
    memcpy(x->manifest + x->mlen, line, (size_t)n + 1);
    x->mlen += (size_t)n;
    x->files++;
    return 0;
}

/* Start entry @path (under TOP) of @size bytes. */
static int entry_begin(struct exp *x, const char *path, uint64_t size)
{
    return cmd_tar_file(x->a, TOP, path, size, 0644, x->now, "export");
}

static int entry_data(struct exp *x, const void *p, size_t n)
{
    if (n > 0 && archive_write_data(x->a, p, n) != (la_ssize_t)n) {
        fprintf(stderr, "dissent export: %s\n", archive_error_string(x->a));
        return ERR_IO;
    }
    return 0;
}

/* A file given whole: its entry and its manifest line. */
static int put_bytes(struct exp *x, const char *path, const void *p, size_t n)
{
    uint8_t sha[HASH_SHA256_LEN];
    int rc;

    hash_sha256(sha, p, n);
    if ((rc = entry_begin(x, path, n)) != 0 || (rc = entry_data(x, p, n)) != 0)
        return rc;
    return manifest_add(x, path, n, sha);
}

static int put_json(struct exp *x, const char *path, json_t *o)
{
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    int rc;

    if (text == NULL)
        return ERR_NOMEM;
    rc = put_bytes(x, path, text, strlen(text));
    mem_free(text);
    return rc;
}

/* One attached file, streamed from the database chunk by chunk. */
static int put_file(struct exp *x, struct api_env *env, struct api_req *req,
                    const struct attach_info *info)
{
    struct attach_reader r;
    struct sha256_ctx sha;
    uint8_t *buf = mem_alloc(ATTACH_CHUNK), digest[HASH_SHA256_LEN];
    char path[400];
    size_t n = 0;
    int rc;

    if (buf == NULL)
        return ERR_NOMEM;
    snprintf(path, sizeof(path), "%s/files/%s", req->memo.public_id, info->file.name);
    if ((rc = attach_reader_open(env->st, req->mkey, &req->memo, info->id, &r, NULL)) != 0) {
        mem_free(buf);
        return rc;
    }
    sha256_init(&sha);
    rc = entry_begin(x, path, info->file.size);
    while (rc == 0 && (rc = attach_reader_next(env->st, &r, buf, ATTACH_CHUNK, &n)) == 0 && n > 0) {
        sha256_update(&sha, buf, n);
        rc = entry_data(x, buf, n);
    }
    sha256_final(&sha, digest);
    attach_reader_close(&r);
    wipe(buf, ATTACH_CHUNK);
    mem_free(buf);
    return rc == 0 ? manifest_add(x, path, info->file.size, digest) : rc;
}

/* Everything of memo @id the officer @u may export, into @x. */
static int export_memo(struct exp *x, struct api_env *env, const struct user *u,
                       struct user_keys *k, const char *id)
{
    struct api_req req;
    struct api_resp resp;
    struct attach_info *files = NULL;
    char path[64];
    size_t nfiles = 0;
    json_t *receipt;
    int rc, status = ERR_FORBIDDEN;

    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    req.user = *u;
    req.now = x->now;
    req.authed = true;
    keyring_init(&req.kr, env->st, &req.user, NULL, NULL);
    req.kr.keys = k;
    if ((rc = store_memo_get(env->st, id, &req.memo)) != 0) {
        fprintf(stderr, "dissent export: memo %s: %s\n", id,
                rc == ERR_NOT_FOUND ? "no such memo" : err_str(rc));
        goto out;
    }
    req.has_memo = true;
    if ((rc = workflow_relation(env->st, &req.memo, &req.user, &req.rel)) != 0)
        goto out;
    if (!(req.rel & WF_OFFICER)) {
        fprintf(stderr, "dissent export: memo %s: %s\n", id,
                (req.rel & WF_RECUSED) ? "you are recused from it: another officer exports it"
                                       : "not filed with the channel: officers export filed "
                                         "memos only");
        rc = ERR_FORBIDDEN;
        goto out;
    }
    if ((rc = api_memo_key(env, &req, &resp)) != 0) {
        fprintf(stderr, "dissent export: memo %s: %s\n", id,
                json_string_value(json_object_get(json_object_get(resp.body, "error"), "message")));
        goto out;
    }
    /* the bundle, as GET .../bundle gives it */
    api_memos_bundle(env, &req, &resp);
    snprintf(path, sizeof(path), "%s/bundle.json", id);
    if (resp.status != 200 || (rc = put_json(x, path, resp.body)) != 0) {
        fprintf(stderr, "dissent export: memo %s: its bundle: %s\n", id,
                resp.status != 200 ? "refused (its text or signatures fail their checks)"
                                   : err_str(rc));
        rc = rc ? rc : ERR_INTEGRITY;
        goto out;
    }
    api_resp_release(&resp);
    memset(&resp, 0, sizeof(resp));
    /* the receipt, once a checkpoint covers the filing */
    receipt = api_receipt_json(env, &req.memo, x->now, &rc);
    if (receipt != NULL) {
        snprintf(path, sizeof(path), "%s/receipt.json", id);
        rc = put_json(x, path, receipt);
        json_decref(receipt);
        if (rc != 0)
            goto out;
    } else if (rc == ERR_BUSY) {
        fprintf(stderr,
                "dissent export: note: memo %s was filed after the newest checkpoint: "
                "no receipt yet (export it again in a minute for one)\n",
                id);
    } else {
        fprintf(stderr, "dissent export: memo %s: its receipt: %s\n", id,
                rc == ERR_NOT_FOUND ? "the memo has no entry in the log (changed outside "
                                      "Dissent?)"
                                    : err_str(rc));
        goto out;
    }
    /* the record copy */
    api_memos_record(env, &req, &resp);
    snprintf(path, sizeof(path), "%s/record.pdf", id);
    if (resp.status != 200 || resp.raw == NULL ||
        (rc = put_bytes(x, path, resp.raw, resp.raw_len)) != 0) {
        fprintf(stderr, "dissent export: memo %s: its record copy could not be made\n", id);
        rc = rc ? rc : ERR_INTERNAL;
        goto out;
    }
    /* its files */
    if ((rc = attach_list(env->st, req.mkey, &req.memo, &files, &nfiles)) != 0)
        goto out;
    for (size_t i = 0; i < nfiles && rc == 0; i++)
        rc = put_file(x, env, &req, &files[i]);
    if (rc != 0) {
        fprintf(stderr, "dissent export: memo %s: its files: %s\n", id, err_str(rc));
        goto out;
    }
    if ((rc = audit_read(env->st, req.memo.id, u->id, "exported", x->now)) != 0)
        goto out;
    status = 0;
out:
    mem_free(files);
    api_resp_release(&resp);
    api_req_release(&req);
    return status == 0 ? 0 : (rc ? rc : status);
}

/* The filed memos an officer may export, filed from @from to @to (day numbers), into @ids;
 * those they are recused from counted in *@skipped. */
static int filed_between(struct store *st, const struct user *u, int64_t from, int64_t to,
                         char (**ids)[STORE_MEMO_ID_LEN + 1], size_t *n, size_t *skipped)
{
    /* the memos of the officer's channels only (core/channels.h): another channel's are not
     * theirs to export, nor to count */
    struct memo_filter f = {.user_id = u->id,
                            .all_from = MEMO_FILED,
                            .state = -1,
                            .limit = 200,
                            .channels = u->channels != 0 ? u->channels : 1};
    struct memo *page = NULL;
    size_t k = 0, cap = 0;
    int rc;

    *ids = NULL;
    *n = 0;
    for (;;) {
        if ((rc = store_memo_list(st, &f, &page, &k)) != 0)
            return rc;
        for (size_t i = 0; i < k; i++) {
            unsigned rel = 0;
            if (page[i].filed_day < from || page[i].filed_day > to)
                continue;
            if ((rc = workflow_relation(st, &page[i], u, &rel)) != 0) {
                store_memo_list_free(page, k);
                return rc;
            }
            if (!(rel & WF_OFFICER)) { /* recused: another officer exports it */
                *skipped += (rel & WF_RECUSED) != 0;
                continue;
            }
            if (*n == EXPORT_MAX) {
                store_memo_list_free(page, k);
                return ERR_TOO_LARGE;
            }
            if (*n == cap) {
                size_t nc = cap ? 2 * cap : 64;
                void *p = mem_realloc(*ids, nc * sizeof(**ids));
                if (p == NULL) {
                    store_memo_list_free(page, k);
                    return ERR_NOMEM;
                }
                *ids = p;
                cap = nc;
            }
            memcpy((*ids)[(*n)++], page[i].public_id, STORE_MEMO_ID_LEN + 1);
        }
        if (k > 0)
            f.after = page[k - 1].id;
        store_memo_list_free(page, k);
        if (k < (size_t)f.limit)
            return 0;
    }
}

int cmd_export(int argc, char **argv)
{
    struct cmd_store_args sa = {0};
    const char *as = NULL, *out = NULL;
    bool pw_stdin = false, by_id = false, between = false;
    const struct cmd_opt opts[] = {
        CMD_STORE_OPTS(&sa),
        {"as", "OFFICER", "the officer who holds the channel key", &as, NULL, NULL},
        {"password-stdin", NULL, "read that officer's password from standard input", NULL,
         &pw_stdin, NULL},
        {"out", "FILE", "the archive to write (a tar file)", &out, NULL, NULL},
        {"memo", NULL, "export the memos whose ids follow", NULL, &by_id, NULL},
        {"filed-between", NULL, "export the memos filed between the two days that follow", NULL,
         &between, NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    char pw[PASSWORD_MAX_LEN + 2], tmp[4200] = "", **rest = NULL, *signed_manifest = NULL,
                                   head[256];
    char(*ids)[STORE_MEMO_ID_LEN + 1] = NULL;
    struct config cfg;
    struct channel ch;
    struct store *st = NULL;
    struct user officer;
    struct user_keys *k = NULL;
    struct api_env env = {0};
    struct exp x = {0};
    size_t n = 0, slen = 0, pwlen, skipped = 0;
    int64_t from = 0, to = 0;
    int nrest = 0, c, rc = 1;
    time_t now;
    struct tm tm;

    memset(&ch, 0, sizeof(ch));
    if ((c = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return c == 1 ? 0 : 2;
    if (as == NULL || !pw_stdin || out == NULL || by_id == between || (by_id && nrest < 1) ||
        (between && (nrest != 2 || workdays_day_parse(rest[0], &from) != 0 ||
                     workdays_day_parse(rest[1], &to) != 0 || to < from))) {
        fprintf(stderr, "usage: %s\n", synopsis);
        return 2;
    }
    if (by_id) {
        if (nrest > EXPORT_MAX) {
            fprintf(stderr, "dissent export: at most %d memos at once\n", EXPORT_MAX);
            return 2;
        }
        for (int i = 0; i < nrest; i++) {
            if (!memo_id_valid(rest[i])) {
                fprintf(stderr, "dissent export: not a memo id: %s\n", rest[i]);
                return 2;
            }
            for (int j = 0; j < i; j++)
                if (strcmp(rest[i], rest[j]) == 0) {
                    fprintf(stderr, "dissent export: memo %s is named twice\n", rest[i]);
                    return 2;
                }
        }
    }
    if (strlen(out) > sizeof(tmp) - 64) {
        fprintf(stderr, "dissent export: --out: the path is too long\n");
        return 2;
    }
    if ((c = cmd_config_for_store(&cfg, sa.config, sa.data, sa.db)) != 0)
        return c;
    if (fgets(pw, sizeof(pw), stdin) == NULL)
        pw[0] = '\0';
    pwlen = strcspn(pw, "\r\n");
    pw[pwlen] = '\0';
    if (channel_init(&ch, &cfg, cfg.data_dir, head, sizeof(head)) != 0) {
        fprintf(stderr, "dissent export: %s\n", head);
        goto out;
    }
    if (cmd_store_open(&cfg, &st) != 0)
        goto out;
    x.now = channel_now(&ch);
    if (store_user_get_by_name(st, as, &officer) != 0 || !(officer.roles & ROLE_OFFICER) ||
        officer.disabled) {
        fprintf(stderr, "dissent export: %s is not an active officer\n", as);
        goto out;
    }
    if (password_verify(officer.pwhash, pw, pwlen) != 0 || (k = keys_new()) == NULL) {
        fprintf(stderr, "dissent export: wrong password for %s\n", as);
        goto out;
    }
    {
        struct pw_params pp = {cfg.argon2_ops, cfg.argon2_mem};
        if (user_keys_open(&officer, &pp, pw, pwlen, k) != 0) {
            fprintf(stderr, "dissent export: cannot open the keys of %s\n", as);
            goto out;
        }
    }
    if (between) {
        if ((c = filed_between(st, &officer, from, to, &ids, &n, &skipped)) != 0) {
            fprintf(stderr, "dissent export: %s\n",
                    c == ERR_TOO_LARGE ? "more than 10000 memos: export a shorter period"
                                       : err_str(c));
            goto out;
        }
        if (skipped > 0)
            fprintf(stderr,
                    "dissent export: note: %zu memo%s filed then %s left out: you are recused "
                    "from %s (another officer exports %s)\n",
                    skipped, skipped == 1 ? "" : "s", skipped == 1 ? "is" : "are",
                    skipped == 1 ? "it" : "them", skipped == 1 ? "it" : "them");
        if (n == 0) {
            fprintf(stderr, "dissent export: no memo you may export was filed from %s to %s\n",
                    rest[0], rest[1]);
            goto out;
        }
    } else {
        if ((ids = mem_calloc((size_t)nrest, sizeof(*ids))) == NULL)
            goto out;
        for (int i = 0; i < nrest; i++)
            memcpy(ids[i], rest[i], STORE_MEMO_ID_LEN + 1);
        n = (size_t)nrest;
    }

    snprintf(tmp, sizeof(tmp), "%s.part-%ld", out, (long)getpid());
    if ((x.a = archive_write_new()) == NULL ||
        archive_write_set_format_pax_restricted(x.a) != ARCHIVE_OK ||
        archive_write_open_filename(x.a, tmp) != ARCHIVE_OK) {
        fprintf(stderr, "dissent export: cannot write %s: %s\n", tmp,
                x.a ? archive_error_string(x.a) : "out of memory");
        goto out;
    }
    chmod(tmp, 0600);
    api_env_init(&env, st, &cfg, &ch);
    for (size_t i = 0; i < n; i++)
        if (export_memo(&x, &env, &officer, k, ids[i]) != 0)
            goto out;
    /* the manifest, signed with the log key */
    now = (time_t)x.now;
    gmtime_r(&now, &tm);
    snprintf(head, sizeof(head), "dissent-export/v1\norigin %s\nexported ", ch.log_origin);
    strftime(head + strlen(head), sizeof(head) - strlen(head), "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(head + strlen(head), sizeof(head) - strlen(head), "\nmemos %zu\n", n);
    {
        size_t hl = strlen(head);
        char *text = mem_alloc(hl + x.mlen + 1);
        if (text == NULL)
            goto out;
        memcpy(text, head, hl);
        memcpy(text + hl, x.manifest ? x.manifest : "", x.mlen);
        text[hl + x.mlen] = '\0';
        c = note_sign(text, hl + x.mlen, ch.log_key, &signed_manifest, &slen);
        mem_free(text);
        if (c != 0 || entry_begin(&x, "MANIFEST", slen) != 0 ||
            entry_data(&x, signed_manifest, slen) != 0) {
            fprintf(stderr, "dissent export: cannot sign the manifest\n");
            goto out;
        }
    }
    if (archive_write_close(x.a) != ARCHIVE_OK) {
        fprintf(stderr, "dissent export: cannot write %s: %s\n", tmp, archive_error_string(x.a));
        goto out;
    }
    /* the export is on record: one entry, its count, before the archive takes its name */
    if ((c = store_begin(st)) != 0 ||
        (c = ledger_records_event(st, LEDGER_EXPORTED, (int64_t)n, x.now)) != 0 ||
        (c = store_commit(st)) != 0) {
        store_rollback(st);
        fprintf(stderr, "dissent export: cannot record the export in the log: %s\n", err_str(c));
        goto out;
    }
    if (rename(tmp, out) != 0) {
        fprintf(stderr, "dissent export: cannot rename %s to %s: %s\n", tmp, out, strerror(errno));
        goto out;
    }
    tmp[0] = '\0';
    printf("exported %zu memo%s (%zu files) to %s\n", n, n == 1 ? "" : "s", x.files + 1, out);
    rc = 0;
out:
    if (x.a != NULL)
        archive_write_free(x.a);
    if (rc != 0 && tmp[0] != '\0' && x.a != NULL)
        unlink(tmp);
    mem_free(x.manifest);
    mem_free(signed_manifest);
    mem_free(ids);
    keys_free(k);
    wipe(pw, sizeof(pw));
    api_env_release(&env);
    store_close(st);
    channel_release(&ch);
    return rc;
}
