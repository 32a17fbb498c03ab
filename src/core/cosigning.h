/*
 * cosigning.h - the channel's witnesses ([tlog] witnesses, c2sp.org/tlog-witness): every new
 * checkpoint is submitted to each of them with a consistency proof from the size it cosigned
 * last, and the cosignatures they answer are added to the stored checkpoint (store.h:
 * store_tlog_checkpoint_cosign()). /log/checkpoint then serves the newest checkpoint that
 * carries [tlog] witness_quorum of them (ledger_checkpoint_public()).
 *
 * The leading server submits, on a thread of its own (core/runner.h), woken at each new
 * checkpoint and otherwise every COSIGNING_INTERVAL seconds; the witnesses are asked in
 * parallel, each with the HTTP deadline of net/fetch.h, so an unreachable one delays nothing but
 * its own cosignature (it is asked again later, backing off to COSIGNING_BACKOFF_MAX seconds).
 * Filing, signing and serving never wait for a witness.
 *
 * A witness that answers 422 refuses the checkpoint: it cosigned, for this log's origin, a tree
 * the log's is not consistent with. That is what a split view (a log showing one history to some
 * and another to others) looks like from here, and it is logged as an error, counted, and shown
 * in /readyz until the witness cosigns again. Cosignatures that do not verify are dropped.
 */
#ifndef DISSENT_CORE_COSIGNING_H
#define DISSENT_CORE_COSIGNING_H

#include "crypto/note.h"
#include "net/fetch.h"
#include "util/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COSIGNING_MAX 16          /* witnesses a channel lists */
#define COSIGNING_INTERVAL 10     /* seconds between rounds without a new checkpoint */
#define COSIGNING_BACKOFF_MAX 300 /* longest wait before asking a failing witness again */

struct channel;
struct runner;
struct store;

/* One configured witness. */
struct cosigner {
    char url[FETCH_URL_MAX]; /* the submission prefix, without a final "/" */
    struct note_vkey key;    /* its cosigner key (type 0x04) */
};

/* What the leading server last learnt of a witness. */
enum cosigner_state {
    COSIGNER_UNKNOWN = 0,  /* not asked yet (or this server does not lead) */
    COSIGNER_OK,           /* it cosigned the newest checkpoint */
    COSIGNER_UNREACHABLE,  /* no answer, or a server error */
    COSIGNER_REFUSED,      /* 422: not consistent with what it cosigned (a fork, or a rollback) */
    COSIGNER_MISCONFIGURED /* 403/404, or an answer that does not verify */
};

struct cosigner_status {
    char name[NOTE_NAME_MAX + 1];
    enum cosigner_state state;
    uint64_t size;     /* the size it cosigned last, as far as this server knows */
    int64_t last_ok;   /* when it last cosigned (POSIX seconds), 0: never here */
    uint64_t refusals; /* 422 answers since the start */
    uint64_t failures; /* failed attempts since the start (refusals included) */
    char error[160];   /* the last failure, "" when none */
};

/**
 * cosigning_parse() - the witnesses of the setting @v ("URL VKEY, URL VKEY", [tlog] witnesses)
 * into @out (COSIGNING_MAX), *@n of them. URLs as net/fetch.h allows them; keys of type 0x04;
 * no two with one name. 0, or ERR_INVALID with @err.
 */
int cosigning_parse(const char *v, struct cosigner *out, size_t *n, char *err, size_t errlen);

/** cosigning_check() - [tlog] witnesses and witness_quorum make sense together (start-up). */
int cosigning_check(const struct config *cfg, char *err, size_t errlen);

/** cosigning_quorum() - the cosignatures a checkpoint needs to be published: [tlog]
 *  witness_quorum, or a majority of the witnesses when 0; 0 when there are none. */
int cosigning_quorum(const struct config *cfg);

/**
 * cosigning_start() - the submitting thread for @cfg's witnesses (nothing when none: *@out NULL).
 * Call after fetch_init(). 0, or an error (logged).
 */
int cosigning_start(const struct config *cfg, const char *uri, const struct channel *ch,
                    struct runner **out);

/** cosigning_stop() - stop what cosigning_start() started; NULL no-op. */
void cosigning_stop(struct runner *r);

/** cosigning_wake() - a new checkpoint was signed: submit it now (any thread; no-op if none). */
void cosigning_wake(void);

/**
 * cosigning_status() - what this server knows of each witness, in the setting's order, into @out
 * (COSIGNING_MAX); returns how many. 0 when no submitting thread runs in this process.
 */
size_t cosigning_status(struct cosigner_status *out, size_t max);

/** cosigner_state_name() - "ok", "unreachable", ... for the API. */
const char *cosigner_state_name(enum cosigner_state s);

#endif
