/*
 * receipt.h - the filing receipt: one JSON document that proves, with the memo's canonical
 * text, that this exact text was filed on a given day in the channel's transparency log,
 * verifiable offline by `dissent verify` or by anyone following docs/formats.md:
 *
 *   {"format": "dissent-receipt/v1",
 *    "entry": "<base64 of the log entry's bytes (core/ledger.h), a filed entry>",
 *    "salt": "<base64 of the 32-byte commitment salt>",
 *    "digest": "<base64 of the memo digest, SHA-256 of its canonical text>",
 *    "index": N,
 *    "proof": "<c2sp.org/tlog-proof@v1 text: index, inclusion proof, signed checkpoint>"}
 *
 * The proof ties the entry to a checkpoint signed by the log key; the entry's commitment is
 * SHA-256(salt || digest), so whoever holds the receipt and the text can show the text was
 * filed, while the log alone reveals nothing about it.
 *
 * Pure functions, no I/O, thread safe (once random_init() has run).
 */
#ifndef DISSENT_CORE_RECEIPT_H
#define DISSENT_CORE_RECEIPT_H

#include "core/ledger.h"
#include "crypto/note.h"
#include "tlog/checkpoint.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECEIPT_FORMAT_TAG "dissent-receipt/v1" /* the "format" member */
#define RECEIPT_MAX_SIZE (256u << 10)           /* bytes of a receipt document */
#define RECEIPT_DIGEST_LEN 32                   /* bytes of a memo digest (SHA-256) */

/* What exactly is wrong with a receipt; receipt_fault_name() gives a stable name for each. */
enum receipt_fault {
    RECEIPT_OK = 0,               /* nothing (or an out-of-memory failure) */
    RECEIPT_MALFORMED,            /* not JSON, a member missing or of the wrong type, bad base64,
                                     a salt or digest not 32 bytes, an index out of range */
    RECEIPT_TOO_LARGE,            /* over RECEIPT_MAX_SIZE, or a member over its limit */
    RECEIPT_WRONG_FORMAT,         /* "format" is not RECEIPT_FORMAT_TAG */
    RECEIPT_UNKNOWN_KEY,          /* a member this version does not define */
    RECEIPT_PROOF_MALFORMED,      /* "proof" is not a tlog-proof@v1 text */
    RECEIPT_CHECKPOINT_MALFORMED, /* the proof's checkpoint is malformed or has another origin */
    RECEIPT_WRONG_KEY,            /* the checkpoint carries no signature by the given key */
    RECEIPT_SIGNATURE_INVALID,    /* the key's signature on the checkpoint does not verify */
    RECEIPT_NOT_INCLUDED,         /* the inclusion proof does not lead from the entry to the
                                     checkpoint's root (or does not fit its size) */
    RECEIPT_INDEX_MISMATCH,       /* "index" differs from the proof's index */
    RECEIPT_ENTRY_MALFORMED,      /* the entry is not a canonical log entry */
    RECEIPT_NOT_FILED,            /* the entry is not a "filed" entry */
    RECEIPT_COMMITMENT_MISMATCH,  /* the entry's commitment is not SHA-256(salt || digest) */
    RECEIPT_TEXT_MISMATCH,        /* SHA-256 of the given text is not the receipt's digest */
    RECEIPT_FAULT_COUNT
};

/*
 * A parsed receipt. receipt_parse() fills it; the decoded bytes are held by value, the proof
 * text is owned (release with receipt_release()).
 */
struct receipt {
    uint8_t entry[LEDGER_ENTRY_MAX];    /* the entry's bytes */
    size_t entry_len;                   /* bytes of entry */
    uint8_t salt[LEDGER_SALT_LEN];      /* the commitment salt */
    uint8_t digest[RECEIPT_DIGEST_LEN]; /* the memo digest */
    uint64_t index;                     /* the entry's index in the log */
    char *proof;                        /* the tlog-proof text, NUL-terminated, malloc'd */
    size_t proof_len;                   /* strlen(proof) */
};

/* What a verified receipt says. */
struct receipt_result {
    struct ledger_entry entry;        /* the filed entry */
    uint64_t index;                   /* its index */
    uint64_t log_size;                /* size of the checkpoint it is proved against */
    uint8_t root[HASH_SHA256_LEN];    /* that checkpoint's root */
    char origin[TLOG_ORIGIN_MAX + 1]; /* that checkpoint's origin, NUL-terminated */
};

/** receipt_fault_name() - "not_included", ...; "unknown" for out-of-range values. */
const char *receipt_fault_name(enum receipt_fault f);

/**
 * receipt_parse() - read the JSON document @json[0..@len) into @out, checking its shape only:
 * at most RECEIPT_MAX_SIZE bytes, one JSON object without duplicate member names, "format"
 * equal to RECEIPT_FORMAT_TAG (checked before anything else), "entry" (canonical base64 of at
 * most LEDGER_ENTRY_MAX bytes), "salt" and "digest" (canonical base64 of exactly 32 bytes),
 * "index" (an integer 0..TLOG_SIZE_MAX), "proof" (a string of at most TLOG_PROOF_TEXT_MAX
 * bytes), and nothing else. Nothing is verified here.
 * @out: receives the fields (all zero on failure); release with receipt_release().
 * @fault: optional; receives what is wrong (RECEIPT_OK on success).
 * @err: optional buffer (@errlen bytes) for a human message.
 *
 * Returns 0, ERR_INVALID, ERR_TOO_LARGE or ERR_NOMEM.
 */
int receipt_parse(const char *json, size_t len, struct receipt *out, enum receipt_fault *fault,
                  char *err, size_t errlen);

/** receipt_release() - free what receipt_parse() put into @r and zero it (NULL is a no-op). */
void receipt_release(struct receipt *r);

/**
 * receipt_check() - verify the receipt @r against the log's verifier key @key, stopping at the
 * first problem, in this order: the proof parses; its checkpoint is well formed, has the key's
 * name as origin and carries a valid signature by @key; the inclusion proof leads from
 * tlog_leaf_hash(entry) at the proof's index to the checkpoint's root; the proof's index is
 * @r->index; the entry parses (canonical form only) as a "filed" entry; its commitment equals
 * ledger_commitment(salt, digest); and, when @text is not NULL, SHA-256(@text[0..@text_len))
 * equals the digest (@text is the memo's canonical text, exactly as in its bundle).
 * @out: optional; receives what the receipt says (zeroed on failure).
 * @fault: optional; receives what is wrong (RECEIPT_OK on success).
 * @err: optional buffer (@errlen bytes) for a human message; it never quotes the memo text.
 *
 * Returns 0 when the receipt proves the filing; ERR_CRYPTO when a signature, proof, commitment
 * or digest does not verify (RECEIPT_WRONG_KEY, RECEIPT_SIGNATURE_INVALID,
 * RECEIPT_NOT_INCLUDED, RECEIPT_COMMITMENT_MISMATCH, RECEIPT_TEXT_MISMATCH); ERR_TOO_LARGE;
 * ERR_INVALID otherwise.
 */
__attribute__((warn_unused_result)) int receipt_check(const struct receipt *r,
                                                      const struct note_vkey *key, const void *text,
                                                      size_t text_len, struct receipt_result *out,
                                                      enum receipt_fault *fault, char *err,
                                                      size_t errlen);

/**
 * receipt_encode() - the receipt document (members in the order of the format, compact) for
 * the entry @entry[0..@entry_len) (at most LEDGER_ENTRY_MAX bytes), @salt, the memo @digest,
 * the entry's @index and the tlog-proof text @proof[0..@proof_len) (at most
 * TLOG_PROOF_TEXT_MAX bytes, valid UTF-8, as tlog_proof_create() makes it). Nothing is
 * verified here: the server makes the proof with tlog_proof_create(), which checks it.
 * @out: receives a malloc'd NUL-terminated document (caller frees; NULL on failure).
 * @outlen: receives strlen(*@out) (0 on failure).
 *
 * Returns 0, ERR_INVALID (an index over TLOG_SIZE_MAX, a proof that is not valid UTF-8 or
 * holds NUL), ERR_TOO_LARGE (an entry or proof over its limit) or ERR_NOMEM.
 */
int receipt_encode(const uint8_t *entry, size_t entry_len, const uint8_t salt[LEDGER_SALT_LEN],
                   const uint8_t digest[RECEIPT_DIGEST_LEN], uint64_t index, const char *proof,
                   size_t proof_len, char **out, size_t *outlen);

#endif
