/*
 * witness.c - `dissent witness key|serve`: a transparency log witness (c2sp.org/tlog-witness),
 * run by someone other than the channel's operator (witness/witness.h).
 *
 *   dissent witness key --data DIR [--name NAME]
 *   dissent witness serve --data DIR --log VKEY [--log VKEY ...] [--listen HOST:PORT]
 *
 * key makes DIR/witness.skey the first time (NAME, a schema-less URL such as
 * witness.example.org/w1, names it) and prints the witness's verifier key, which the channel's
 * [tlog] witnesses setting and every verifier (dissent log verify --witness) are given. serve
 * answers add-checkpoint for the logs whose keys it is given (each log's origin is its key's
 * name; `dissent log key` prints the channel's) and serves each log's latest cosigned checkpoint.
 * Exit status 0, 1 (failed), 2 (usage).
 */
#include "cmd/cmd.h"

#include "crypto/note.h"
#include "http/server.h"
#include "util/config.h"
#include "util/err.h"
#include "witness/serve.h"
#include "witness/witness.h"

#include <stdio.h>
#include <string.h>

static const char synopsis[] =
    "dissent witness key --data DIR [--name NAME]\n"
    "       dissent witness serve --data DIR --log VKEY [--log VKEY ...] [--listen HOST:PORT]\n"
    "A transparency log witness (c2sp.org/tlog-witness): key makes its key the first time and\n"
    "prints its verifier key; serve cosigns the checkpoints of the logs given, each only when it\n"
    "is consistent with the last one it cosigned.";

int cmd_witness(int argc, char **argv)
{
    const char *data = NULL, *name = NULL, *listen = NULL;
    struct cmd_list logs = {0};
    const struct cmd_opt opts[] = {
        {"data", "DIR", "the witness's directory (key, state)", &data, NULL, NULL},
        {"name", "NAME", "key: the witness's name, the first time", &name, NULL, NULL},
        {"log", "VKEY", "serve: a log to witness, by its key (repeat for more)", NULL, NULL, &logs},
        {"listen", "HOST:PORT", "serve: where to listen (default 127.0.0.1:8090)", &listen, NULL,
         NULL},
        {NULL, NULL, NULL, NULL, NULL, NULL}};
    struct note_vkey keys[CMD_LIST_MAX];
    struct witness_serve ws = {0};
    struct http_handler h;
    struct config cfg;
    char **rest = NULL, err[512] = "", vkey[NOTE_VKEY_MAX];
    int nrest = 0, c, rc = 1;

    if ((c = cmd_parse(synopsis, opts, argc, argv, 1, &rest, &nrest)) != 0)
        return c == 1 ? 0 : 2;
    if (nrest != 1 || data == NULL ||
        (strcmp(rest[0], "key") != 0 && strcmp(rest[0], "serve") != 0)) {
        fprintf(stderr, "usage: %s\n", synopsis);
        return 2;
    }
    if (strcmp(rest[0], "key") == 0) {
        if (witness_key_create(data, name, vkey, sizeof(vkey), err, sizeof(err)) != 0) {
            fprintf(stderr, "dissent witness: %s\n", err);
            return 1;
        }
        printf("%s\n", vkey);
        return 0;
    }
    if (logs.n == 0) {
        fprintf(stderr, "dissent witness: serve needs at least one --log VKEY\n");
        return 2;
    }
    for (int i = 0; i < logs.n; i++) {
        if (note_vkey_parse(logs.v[i], strlen(logs.v[i]), &keys[i]) != 0) {
            fprintf(stderr, "dissent witness: --log %s is not a log's verifier key\n", logs.v[i]);
            return 2;
        }
    }
    config_defaults(&cfg);
    if (config_set(&cfg, "server", "listen", listen != NULL ? listen : "127.0.0.1:8090", err,
                   sizeof(err)) != 0 ||
        config_set(&cfg, "server", "max_body", "65536", err, sizeof(err)) != 0) {
        fprintf(stderr, "dissent witness: --listen: %s\n", err);
        return 2;
    }
    if ((c = witness_open(data, keys, (size_t)logs.n, &ws.w, err, sizeof(err))) != 0) {
        fprintf(stderr, "dissent witness: %s\n", err);
        return 1;
    }
    witness_vkey(ws.w, vkey, sizeof(vkey));
    fprintf(stderr, "dissent witness: %s, witnessing %d log%s\n", vkey, logs.n,
            logs.n == 1 ? "" : "s");
    witness_handler(&ws, &h);
    if (server_run(&cfg, &h, NULL) == 0)
        rc = 0;
    witness_close(ws.w);
    return rc;
}
