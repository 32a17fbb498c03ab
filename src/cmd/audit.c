/*
 * audit.c - `dissent audit verify`: walk the read audit's hash chain over the whole database,
 * and check it against the heads the transparency log anchored (core/audit.h).
 *
 *   dissent audit verify [--data DIR] [--db URI] [--config FILE]
 *                        [--log URL --vkey VKEY (--witness WVKEY ... [--quorum K] | --state FILE)
 *                         [--timeout SECONDS]]
 *
 * Without --log the anchors are read from the server's own log (each entry under its MAC, up to
 * the last signed checkpoint): enough against a database writer. With --log they are read from the
 * public log at URL, audited as `dissent log verify` does (signature by VKEY, every tile and
 * bundle, the witnesses' quorum, or its consistency with the checkpoint a monitor saved in FILE):
 * enough against an operator who holds the keys as well, since they cannot change what the
 * witnesses and monitors already hold. One or the other is required: a log checked against its
 * own key alone is one its key's holder can make again. Exit 0 when intact, 1 naming the first
 * failure, 2 usage.
 */
#include "cmd/cmd.h"

#include "core/audit.h"
#include "core/ledger.h"
#include "util/err.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#define ANCHORS_MAX (1u << 24) /* anchors read, at most */

/* The anchors found so far. */
struct anchors {
    struct audit_anchor *a;
    size_t n, cap;
    bool bad; /* an entry that does not parse */
};

static int anchor_add(struct anchors *x, const struct ledger_entry *e)
{
    if (e->event != LEDGER_AUDIT_HEAD)
        return 0;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 64;
        struct audit_anchor *grown;

        if (cap > ANCHORS_MAX || (grown = mem_realloc(x->a, cap * sizeof(*grown))) == NULL)
            return ERR_NOMEM;
        x->a = grown;
        x->cap = cap;
    }
    memcpy(x->a[x->n].head, e->head, sizeof(e->head));
    x->n++;
    return 0;
}

/* The entry callback of the public log's audit. */
static int on_entry(void *ctx, uint64_t index, const uint8_t *data, size_t len)
{
    struct anchors *x = ctx;
    struct ledger_entry e;

    (void)index;
    if (ledger_entry_parse((const char *)data, len, &e) != 0) {
        x->bad = true; /* not ours to judge here: `dissent log monitor` does */
        return 0;
    }
    return anchor_add(x, &e);
}

/* The anchors of the server's own log. */
static int local_anchors(struct store *st, struct anchors *x)
{
    struct ledger_entry *e = NULL;
    size_t n = 0;
    int rc = ledger_entries_load(st, &e, &n);

    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = anchor_add(x, &e[i]);
    mem_free(e);
    return rc;
}

int cmd_audit(int argc, char **argv)
{
    static const char synopsis[] =
        "dissent audit verify [--data DIR] [--db URI] [--config FILE]\n"
        "                     [--log URL --vkey VKEY (--witness WVKEY ... [--quorum K] |\n"
        "                      --state FILE)]\n"
        "Walk the read audit's chain, and check it against the heads the transparency log\n"
        "anchored: the server's own log, or with --log the public one (audited as `dissent log\n"
        "verify` does).";
    static struct cmd_log_check lc;
    struct cmd_store_args sa = {0};
    const char *log = NULL, *vkey = NULL, *quorum = NULL, *timeout = NULL, *state = NULL;
    struct cmd_list witnesses = {0};
    const struct cmd_opt opts[] = {
        CMD_STORE_OPTS(&sa),
        {"log", "URL", "the public log whose anchors to check against", &log, NULL, NULL},
        {"vkey", "VKEY", "with --log: the log's verifier key, or a file holding it", &vkey, NULL,
         NULL},
        {"witness", "WVKEY", "with --log: a witness's key (repeat)", NULL, NULL, &witnesses},
        {"quorum", "K", "with --log: cosignatures required (default: all)", &quorum, NULL, NULL},
        {"state", "FILE", "with --log: the checkpoint a monitor saved: the log must extend it",
         &state, NULL, NULL},
        {"timeout", "SECONDS", "with --log: the whole fetch's limit (default 300)", &timeout, NULL,
         NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    struct cmd_log_result res = {0};
    struct anchors x = {0};
    char err[VERIFY_ERR_MAX] = "", **rest = NULL;
    struct config cfg;
    struct store *st = NULL;
    int64_t count = 0;
    int nrest = 0, rc;
    bool curl = false;

    if ((rc = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return rc == 1 ? 0 : 2;
    if (nrest != 1 || strcmp(rest[0], "verify") != 0 ||
        (log == NULL &&
         (vkey != NULL || witnesses.n > 0 || quorum != NULL || timeout != NULL || state != NULL))) {
        fprintf(stderr, "usage: %s\n", synopsis);
        return 2;
    }
    if (log != NULL && cmd_log_check_setup(&lc, "dissent audit verify", log, vkey, &witnesses,
                                           quorum, timeout) != 0)
        return 2;
    if (log != NULL && lc.quorum == 0 && state == NULL) {
        /* whoever holds the log's key can serve a log made again without the anchors: only
         * witnesses, or a checkpoint saved before, tell it from the one everyone saw */
        fprintf(stderr, "dissent audit verify: --log needs --witness (a quorum of at least one) "
                        "or --state FILE: a log checked against its own key alone is one its "
                        "key's holder can make again\n");
        return 2;
    }
    lc.state = state;
    lc.state_given = state != NULL; /* a monitor's: it must be there, and is not moved */
    if ((rc = cmd_config_for_store(&cfg, sa.config, sa.data, sa.db)) != 0)
        return rc;
    if (log != NULL) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            fprintf(stderr, "FAILED: cannot initialise libcurl\n");
            return 1;
        }
        curl = true;
        lc.entry = on_entry;
        lc.ctx = &x;
        if ((rc = cmd_log_check(&lc, &res, err)) != 0) {
            fprintf(stderr, "FAILED: the log at %s: %s\n", log, err[0] ? err : err_str(rc));
            rc = 1;
            goto out;
        }
    }
    rc = 1;
    if (cmd_store_open(&cfg, &st) != 0)
        goto out;
    if (log == NULL && (rc = local_anchors(st, &x)) != 0) {
        fprintf(stderr, "FAILED: the server's log cannot be read (%s)%s\n", err_str(rc),
                rc == ERR_INTEGRITY ? ": an entry fails its MAC" : "");
        rc = 1;
        goto out;
    }
    rc = audit_verify_anchored(st, x.a, x.n, &count, err, sizeof(err));
    if (rc == ERR_CRYPTO) {
        fprintf(stderr, "FAILED: the audit chain is broken: %s\n", err);
        rc = 1;
        goto out;
    }
    if (rc != 0) {
        fprintf(stderr, "dissent: cannot read the audit records\n");
        rc = 1;
        goto out;
    }
    printf("OK: %lld audit records, chain intact\n", (long long)count);
    if (x.n > 0)
        printf("%zu anchor%s in the %s log checked\n", x.n, x.n == 1 ? "" : "s",
               log != NULL ? "public" : "server's");
    else
        printf("no anchor in the %s log yet\n", log != NULL ? "public" : "server's");
    rc = 0;
out:
    if (st != NULL)
        store_close(st);
    cmd_log_result_release(&res);
    if (curl)
        curl_global_cleanup();
    mem_free(x.a);
    return rc;
}
