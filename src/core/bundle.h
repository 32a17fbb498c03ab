/*
 * bundle.h - the memo bundle: one JSON document with a memo's canonical text, its digest, and
 * one co-signature (a C2SP signed note) and one vkey per signer, verifiable offline by
 * `dissent verify` or by anyone following docs/formats.md:
 *
 *   {"format": "dissent-bundle/v1", "memo_id": "<24 hex>", "canonical_text": "...",
 *    "digest": "<base64 SHA-256 of canonical_text>", "signers": ["alice", "bob"],
 *    "signatures": ["<signed note>", ...], "vkeys": ["alice+1234abcd+AQ...", ...],
 *    "receipt": <optional: the filing receipt; `dissent verify --vkey` checks it>}
 *
 * signers, signatures and vkeys are parallel arrays: signatures[i] is a signed note over
 * memo_cosign_text(memo_id, digest, signers[i]) carrying a signature line by vkeys[i], whose key
 * name is signers[i]. The drafter comes first.
 *
 * A bundle proves that the holders of those keys signed that exact text. It does not prove that
 * the keys belong to those people: a verifier compares the vkeys with ones obtained
 * independently (GET /api/v1/users/{username}/key).
 *
 * Pure functions, no I/O, thread safe (once random_init() has run).
 */
#ifndef DISSENT_CORE_BUNDLE_H
#define DISSENT_CORE_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>

#define BUNDLE_FORMAT_TAG "dissent-bundle/v1" /* the "format" member */
#define BUNDLE_MAX_SIZE (16u << 20)           /* bytes of a bundle document */
#define BUNDLE_MAX_SIGNERS 10000              /* entries of each array */

struct json_t; /* jansson's, kept out of this header */

/* What exactly is wrong with a bundle; bundle_fault_name() gives a stable name for each. */
enum bundle_fault {
    BUNDLE_OK = 0,            /* nothing (or an out-of-memory failure) */
    BUNDLE_MALFORMED,         /* not JSON, a member missing or of the wrong type, bad memo_id or
                                 digest syntax */
    BUNDLE_TOO_LARGE,         /* over BUNDLE_MAX_SIZE or BUNDLE_MAX_SIGNERS */
    BUNDLE_WRONG_FORMAT,      /* "format" is not BUNDLE_FORMAT_TAG */
    BUNDLE_UNKNOWN_KEY,       /* a member this version does not define */
    BUNDLE_NOT_CANONICAL,     /* canonical_text is not a canonical text */
    BUNDLE_ID_MISMATCH,       /* canonical_text's id line is not memo_id */
    BUNDLE_TEXT_EDITED,       /* SHA-256(canonical_text) is not the digest the bundle claims */
    BUNDLE_DIGEST_ALTERED,    /* the digest member differs from the text's digest, while the
                                 co-signatures name the text's digest */
    BUNDLE_NO_SIGNERS,        /* signers is empty */
    BUNDLE_BAD_SIGNER,        /* a signer is not a valid username */
    BUNDLE_DUPLICATE_SIGNER,  /* a signer appears twice */
    BUNDLE_SIGNATURE_MISSING, /* fewer signatures than signers */
    BUNDLE_EXTRA_SIGNATURE,   /* more signatures than signers */
    BUNDLE_KEY_MISSING,       /* fewer vkeys than signers */
    BUNDLE_EXTRA_KEY,         /* more vkeys than signers */
    BUNDLE_KEY_MISMATCH,      /* a vkey is malformed or its name is not its signer */
    BUNDLE_NOTE_MALFORMED,    /* a signature is not a well-formed signed note */
    BUNDLE_WRONG_KEY,         /* a note has no signature line by its signer's vkey */
    BUNDLE_SIGNATURE_INVALID, /* a note's signature by its signer's vkey does not verify */
    BUNDLE_COSIGN_MALFORMED,  /* a note's text is not a co-signature text */
    BUNDLE_COSIGN_MEMO,       /* a note co-signs another memo id */
    BUNDLE_COSIGN_DIGEST,     /* a note co-signs another digest */
    BUNDLE_COSIGN_SIGNER,     /* a note names another signer */
    BUNDLE_FAULT_COUNT
};

/* A non-owning string view: @len bytes at @s (no NUL required, none inside). */
struct bundle_str {
    const char *s; /* first byte */
    size_t len;    /* bytes */
};

/*
 * A bundle as views. bundle_parse() fills one from a document (the views then point into
 * @root); a caller that builds one by hand for bundle_check() or bundle_encode() points the
 * views at its own strings, leaves @root NULL and never calls bundle_release() on it.
 */
struct bundle {
    struct bundle_str format;      /* "format" */
    struct bundle_str memo_id;     /* "memo_id" */
    struct bundle_str text;        /* "canonical_text" */
    struct bundle_str digest;      /* "digest": padded standard base64 */
    struct bundle_str *signers;    /* "signers", @nsigners entries */
    size_t nsigners;               /* entries of @signers */
    struct bundle_str *signatures; /* "signatures", @nsignatures entries */
    size_t nsignatures;            /* entries of @signatures */
    struct bundle_str *vkeys;      /* "vkeys", @nvkeys entries */
    size_t nvkeys;                 /* entries of @vkeys */
    bool has_receipt;              /* a "receipt" member was present (checked by the CLI) */
    struct json_t *root;           /* bundle_parse(): the document, owned; else NULL */
};

/** bundle_fault_name() - "text_edited", ...; "unknown" for out-of-range values. */
const char *bundle_fault_name(enum bundle_fault f);

/**
 * bundle_parse() - read the JSON document @json[0..@len) into @out, checking its shape only:
 * at most BUNDLE_MAX_SIZE bytes, one JSON object without duplicate member names, "format"
 * equal to BUNDLE_FORMAT_TAG (checked before anything else, so that another version's document
 * is reported as such), the seven members of the format as strings and arrays of at most
 * BUNDLE_MAX_SIGNERS strings, an optional "receipt" of any type, and nothing else.
 * @out: receives the views and their arrays (all zero on failure); release with
 *       bundle_release().
 * @fault: optional; receives what is wrong (BUNDLE_OK on success).
 * @err: optional buffer (@errlen bytes) for a human message.
 *
 * Returns 0, ERR_INVALID, ERR_TOO_LARGE or ERR_NOMEM.
 */
int bundle_parse(const char *json, size_t len, struct bundle *out, enum bundle_fault *fault,
                 char *err, size_t errlen);

/** bundle_release() - free what bundle_parse() put into @b and zero it (NULL is a no-op). */
void bundle_release(struct bundle *b);

/**
 * bundle_check() - verify the bundle @b, stopping at the first problem, in this order: the
 * format tag; memo_id and digest syntax; the canonical text and its id line; the digest of the
 * text; the signers (at least one, valid usernames, no duplicates); as many signatures and
 * vkeys as signers; then for each signer in order: its vkey (well formed, named after the
 * signer), its note (well formed, a signature line by that vkey that verifies over the note's
 * text) and the note's text (exactly memo_cosign_text(memo_id, digest, signer)). Signature
 * lines by other keys in a note are ignored, as c2sp.org/signed-note says.
 * @fault: optional; receives what is wrong (BUNDLE_OK on success).
 * @err: optional buffer (@errlen bytes) for a human message naming the signer concerned; it
 *       never quotes the memo text.
 *
 * Returns 0 when every signer's co-signature of this exact text verifies; ERR_CRYPTO for a
 * digest or signature that does not verify (BUNDLE_TEXT_EDITED, BUNDLE_DIGEST_ALTERED,
 * BUNDLE_WRONG_KEY, BUNDLE_SIGNATURE_INVALID); ERR_TOO_LARGE; ERR_NOMEM; ERR_INVALID otherwise.
 */
__attribute__((warn_unused_result)) int
bundle_check(const struct bundle *b, enum bundle_fault *fault, char *err, size_t errlen);

/**
 * bundle_encode() - the JSON document for @b: members in the order of the format, compact,
 * without "receipt" (defined with the transparency log). Nothing is verified here; run
 * bundle_check() first when the parts come from storage.
 * @out: receives a malloc'd NUL-terminated document (caller frees; NULL on failure).
 * @outlen: receives strlen(*@out) (0 on failure).
 *
 * Returns 0, ERR_INVALID (a string is not valid UTF-8 or holds NUL), ERR_TOO_LARGE (over the
 * limits) or ERR_NOMEM.
 */
int bundle_encode(const struct bundle *b, char **out, size_t *outlen);

#endif
