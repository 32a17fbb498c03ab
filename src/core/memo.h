/*
 * memo.h - the dissent memo's pure domain: life-cycle states and transitions, text rules, the
 * canonical text and its digest, and the texts that co-signatures and replies sign.
 *
 * No I/O, no SQL, no HTTP; every function is thread safe. The formats are specified in
 * docs/formats.md precisely enough to write an independent verifier.
 */
#ifndef DISSENT_CORE_MEMO_H
#define DISSENT_CORE_MEMO_H

#include "crypto/hash.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEMO_ID_LEN 24                 /* lowercase hex characters of a memo id (96 random bits) */
#define MEMO_TITLE_MAX_CHARS 300       /* Unicode code points */
#define MEMO_TITLE_MAX_BYTES 1200      /* 300 code points of at most 4 bytes */
#define MEMO_BODY_MAX (200u * 1024u)   /* bytes of the body as submitted */
#define MEMO_REASON_MAX 2000           /* bytes of a decline or extension reason */
#define MEMO_COMMENT_MAX (20u * 1024u) /* bytes of a comment */
#define MEMO_REPLY_MAX (200u * 1024u)  /* bytes of a reply */
#define MEMO_DIGEST_B64_LEN 44         /* standard base64 of the digest, without NUL */
/* Buffer sizes, NUL included, that always suffice for memo_cosign_text() / memo_reply_text(). */
#define MEMO_COSIGN_TEXT_MAX (23 + 30 + 52 + 72 + 1)
#define MEMO_REPLY_TEXT_MAX (17 + 30 + 52 + 51 + 1)

enum memo_state {
    MEMO_DRAFT = 0,
    MEMO_OPEN,
    MEMO_FILED,
    MEMO_ACKNOWLEDGED,
    MEMO_REPLIED,
    MEMO_CLOSED,
    MEMO_DECLINED,
    MEMO_WITHDRAWN,
    MEMO_STATE_COUNT
};

enum memo_action {
    MEMO_EDIT = 0,    /* change title/body: draft only */
    MEMO_FINALIZE,    /* draft -> open: freezes the text */
    MEMO_REOPEN,      /* open -> draft: voids every signature */
    MEMO_INVITE,      /* draft or open */
    MEMO_SIGN,        /* open */
    MEMO_UNSIGN,      /* open (until filing) */
    MEMO_FILE,        /* open -> filed */
    MEMO_ACKNOWLEDGE, /* filed -> acknowledged */
    MEMO_DECLINE,     /* filed -> declined */
    MEMO_DISTRIBUTE,  /* acknowledged or replied */
    MEMO_EXTEND,      /* acknowledged */
    MEMO_REPLY,       /* acknowledged -> replied */
    MEMO_CLOSE,       /* replied -> closed */
    MEMO_WITHDRAW,    /* filed or acknowledged -> withdrawn */
    MEMO_COMMENT,     /* any state but closed, declined, withdrawn */
    MEMO_DELETE,      /* draft or open (never filed): the memo is gone */
    MEMO_ASSIGN,      /* filed, acknowledged or replied: a case officer handles it */
    MEMO_INTERIM,     /* acknowledged: a holding answer, the reply's clock runs on */
    MEMO_ACCEPT,      /* replied -> closed: the drafter accepts the reply */
    MEMO_CLARIFY,     /* replied -> acknowledged: the drafter asks for clarification */
    MEMO_NOTE,        /* filed, acknowledged or replied: an officers' internal note */
    MEMO_REVIEW,      /* acknowledged: the reply's draft, its clearance and submission */
    MEMO_APPROVE,     /* acknowledged -> replied: the head approves and sends the reply */
    MEMO_ACTION_COUNT
};

/** memo_state_name() - "draft", "open", ... ; "unknown" for out-of-range values. */
const char *memo_state_name(enum memo_state s);

/** memo_state_parse() - the state called @name. 0 or ERR_INVALID. */
int memo_state_parse(const char *name, enum memo_state *out);

/** memo_action_name() - "finalize", "sign", ... */
const char *memo_action_name(enum memo_action a);

/**
 * memo_transition() - the state a memo in @from reaches by @action (actions that do not change
 * the state give @from back). Closed, declined and withdrawn are final: no action is legal there.
 * @to: receives the new state; on failure it receives @from (the memo stays where it was).
 *
 * Returns 0, ERR_STATE when @action is illegal in @from, or ERR_INVALID when @from or @action is
 * out of range.
 */
int memo_transition(enum memo_state from, enum memo_action action, enum memo_state *to);

/**
 * memo_title_check() - one line of valid UTF-8, 1..MEMO_TITLE_MAX_CHARS code points, no control
 * characters (tab included), not only white space. Control characters are C0 (U+0000..U+001F),
 * DEL (U+007F) and C1 (U+0080..U+009F); U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR
 * are refused too. White space is the Unicode White_Space property. Leading and trailing spaces
 * are kept as given (the caller may trim before). 0 or ERR_INVALID.
 */
int memo_title_check(const char *title, size_t len);

/**
 * memo_body_check() - valid UTF-8, at most MEMO_BODY_MAX bytes, no NUL and no control characters
 * (C0, DEL, C1 as for the title) other than tab, LF and CR. The empty body is acceptable.
 * 0, ERR_TOO_LARGE (checked first) or ERR_INVALID.
 */
int memo_body_check(const char *body, size_t len);

/*
 * Where a declined memo is referred: the grievance procedure, the EEO office, the Inspector
 * General, or elsewhere (said in a note). The channel declines what is not policy dissent, and
 * says where it belongs.
 */
#define MEMO_REFERRALS "grievance, eeo, inspector-general, other"
#define MEMO_REFERRAL_MAX 24 /* bytes of a referral's name, NUL included */

/** memo_referral_valid() - @name is one of MEMO_REFERRALS. */
bool memo_referral_valid(const char *name);

/** memo_id_valid() - exactly MEMO_ID_LEN characters of [0-9a-f]. */
bool memo_id_valid(const char *id);

/** memo_id_new() - a fresh random id into @out (MEMO_ID_LEN + 1 bytes); needs random_init(). */
void memo_id_new(char out[MEMO_ID_LEN + 1]);

/*
 * A memo's attached file as its canonical text lists it (dissent-memo/v2, docs/formats.md):
 *   "file " B64(SHA-256 of the file) " " SIZE " " TYPE " " NAME "\n"
 * in the order the drafter added them.
 */
#define MEMO_FILES_MAX 100     /* files of one memo */
#define MEMO_FILE_NAME_MAX 255 /* bytes of a file's name */
#define MEMO_FILE_TYPE_MAX 127 /* bytes of a media type */
#define MEMO_FILE_SIZE_MAX ((1ull << 53) - 1)
struct memo_file {
    uint8_t sha256[HASH_SHA256_LEN];
    uint64_t size;
    char type[MEMO_FILE_TYPE_MAX + 1];
    char name[MEMO_FILE_NAME_MAX + 1];
};

/**
 * memo_file_name_check() - 1..MEMO_FILE_NAME_MAX bytes of UTF-8; no control character, no
 * U+2028/U+2029, no bidirectional override or isolate (U+202A..U+202E, U+2066..U+2069: they
 * disguise an extension), no '/' or '\\'; not "." or ".."; no white space first or last.
 * 0 or ERR_INVALID.
 */
int memo_file_name_check(const char *name, size_t len);

/**
 * memo_file_type_check() - a media type without parameters, lowercase: TYPE "/" SUBTYPE, each
 * 1..63 characters of [a-z0-9!#$&^_.+-] starting with a letter or digit (RFC 6838's
 * restricted names). 0 or ERR_INVALID.
 */
int memo_file_type_check(const char *type);

/**
 * memo_canonical_files() - the canonical text with files: with @nfiles 0 exactly
 * memo_canonical_text()'s "dissent-memo/v1" text; else the "dissent-memo/v2" text, whose
 * file lines (in @files' order) come between the title line and the empty line. ERR_INVALID
 * also for more than MEMO_FILES_MAX files, a bad name or type, a size over MEMO_FILE_SIZE_MAX,
 * or two files of the same name.
 */
int memo_canonical_files(const char *id, const char *title, size_t title_len, const char *body,
                         size_t body_len, const struct memo_file *files, size_t nfiles, char **out,
                         size_t *outlen);

/**
 * memo_canonical_text() - the canonical text the digest covers:
 *   "dissent-memo/v1\n" "id " ID "\n" "title " TITLE "\n" "\n" BODY
 * with BODY's line endings normalised to LF (CRLF and lone CR become LF) and exactly one final LF
 * (trailing newlines collapse to one; an empty body becomes "\n").
 * Returns 0 and a malloc'd NUL-terminated string in *@out (caller frees) with its length in
 * *@outlen, or ERR_INVALID (bad id, title or body) / ERR_NOMEM.
 */
int memo_canonical_text(const char *id, const char *title, size_t title_len, const char *body,
                        size_t body_len, char **out, size_t *outlen);

/**
 * memo_canonical_split() - parse a canonical text back into its parts: the id (copied into @id,
 * NUL-terminated), the title and the normalised body (views into @text; the body keeps its final
 * LF, so it may be MEMO_BODY_MAX + 1 bytes long). Returns 0, or ERR_INVALID (all outputs empty)
 * when @text is not exactly what memo_canonical_text() produces from some acceptable id, title
 * and body: wrong header lines, a bad title, or a body with a CR, without its final LF, with more
 * than one trailing LF, or breaking memo_body_check()'s rules.
 */
int memo_canonical_split(const char *text, size_t len, char id[MEMO_ID_LEN + 1], const char **title,
                         size_t *title_len, const char **body, size_t *body_len);

/**
 * memo_canonical_list() - the files a canonical text lists (memo_canonical_split() accepts it
 * first): a malloc'd array in *@files (caller frees; NULL for none) of *@n entries. A v1 text
 * lists none. 0, ERR_INVALID or ERR_NOMEM.
 */
int memo_canonical_list(const char *text, size_t len, struct memo_file **files, size_t *n);

/** memo_digest() - SHA-256 of the canonical text. */
void memo_digest(const char *canon, size_t len, uint8_t out[HASH_SHA256_LEN]);

/** memo_digest_b64() - standard padded base64 of a digest into @out (45 bytes). */
void memo_digest_b64(const uint8_t digest[HASH_SHA256_LEN], char out[MEMO_DIGEST_B64_LEN + 1]);

/**
 * memo_cosign_text() - the text a co-signer's signed note covers:
 *   "dissent-cosignature/v1\n" "memo " ID "\n" "digest " B64 "\n" "signer " USERNAME "\n"
 * into @out of @outlen bytes (MEMO_COSIGN_TEXT_MAX always suffices), with B64 as
 * memo_digest_b64() writes it and USERNAME per user_username_valid(). Returns 0, ERR_INVALID
 * (bad id or username) or ERR_TOO_LARGE; on failure @out holds "".
 */
int memo_cosign_text(const char *id, const uint8_t digest[HASH_SHA256_LEN], const char *signer,
                     char *out, size_t outlen);

/**
 * memo_cosign_parse() - the parts of a co-signature text: exactly the form above, nothing
 * before or after, the digest in canonical padded base64, a valid memo id and username.
 * @signer receives the username (USERNAME_MAX + 1 = 65 bytes). 0, or ERR_INVALID with @id and
 * @signer "" and @digest zeroed.
 */
int memo_cosign_parse(const char *text, size_t len, char id[MEMO_ID_LEN + 1],
                      uint8_t digest[HASH_SHA256_LEN], char signer[65]);

/**
 * memo_reply_text() - the text the channel signs to bind a reply to the memo:
 *   "dissent-reply/v1\n" "memo " ID "\n" "digest " B64(memo digest) "\n"
 *   "reply " B64(SHA-256(reply text)) "\n"
 * into @out of @outlen bytes (MEMO_REPLY_TEXT_MAX always suffices). The caller computes
 * @reply_digest over the exact bytes of the reply as stored and served to readers.
 * Returns 0, ERR_INVALID (bad id) or ERR_TOO_LARGE; on failure @out holds "".
 */
int memo_reply_text(const char *id, const uint8_t memo_digest[HASH_SHA256_LEN],
                    const uint8_t reply_digest[HASH_SHA256_LEN], char *out, size_t outlen);

#endif
