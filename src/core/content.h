/*
 * content.h - a memo's content fields, encrypted under its key and bound to where they belong.
 *
 * Every text of a memo (title, body, decline reason, reply, comments, timeline details, void
 * reasons) is stored only as XChaCha20-Poly1305 under the memo key (core/access.h). The
 * associated data names the place of the text:
 *
 *     dissent-content/2 LF <memo public id> LF <field> LF <event kind or -> LF <who> LF <at>
 *
 * where <who> is a comment's author or an event's actor (users.id) and <at> the row's time (a
 * comment's, an event's, the voiding of signatures), both 0 for the memo's own fields. So the
 * database can neither move a text to another memo, field, author or row, nor give a comment
 * another author. The plaintext is framed and padded:
 *
 *     version (8 bytes, big-endian) | length (4 bytes, big-endian) | text | zero bytes
 *
 * The version is the content version of a title or body (both are written together, with the
 * same version, at every edit; a title and body of two versions are an integrity error); 0 for
 * the other fields. The padding fills the frame to the next power of two, at least 256 bytes,
 * so a stolen backup tells a text's length only to within a factor of two.
 *
 * Texts written before this format (associated data "<memo id>/<field>", no frame) are still
 * read, with version 0: only memos created before the upgrade have them, since a memo's key
 * never encrypted anything else (docs/security.md). Nothing writes them.
 *
 * TEXT columns (timeline details, void reasons) hold "enc:" and the base64 of the ciphertext.
 * A text without that prefix is never shown as the memo's: the store checks the server's MAC of
 * the few texts older versions wrote in clear (store/integrity.h) and marks them.
 */
#ifndef DISSENT_CORE_CONTENT_H
#define DISSENT_CORE_CONTENT_H

#include <stddef.h>
#include <stdint.h>

#define CONTENT_KEY_LEN 32
#define CONTENT_PAD_MIN 256u /* the smallest padded frame, bytes */

/* Where a text lives in the database: what its ciphertext is bound to. */
struct content_place {
    const char *field; /* "title", "body", "reason", "reply", "comment", "event", "void" */
    const char *kind;  /* an event's kind ("extended", ...), else NULL */
    int64_t who;       /* a comment's author, an event's actor; else 0 */
    int64_t at;        /* a comment's or event's time, or when signatures were voided; else 0 */
};

/**
 * content_seal() - encrypt @len bytes of @text, of content version @version, for @place in memo
 * @id. *@out is malloc'd (caller frees). Returns 0, ERR_INVALID (a text over 2^31 bytes) or
 * ERR_NOMEM.
 */
int content_seal(const uint8_t key[CONTENT_KEY_LEN], const char *id,
                 const struct content_place *place, uint64_t version, const void *text, size_t len,
                 uint8_t **out, size_t *outlen);

/**
 * content_open() - the text sealed at @place in memo @id: malloc'd, NUL-terminated (caller
 * wipes and frees), with its content version in *@version (may be NULL; 0 for a text of the
 * older format). A NULL @in gives *@out NULL and 0. Returns 0, ERR_CRYPTO (wrong key, place or
 * frame) or ERR_NOMEM.
 */
int content_open(const uint8_t key[CONTENT_KEY_LEN], const char *id,
                 const struct content_place *place, const uint8_t *in, size_t len, char **out,
                 size_t *outlen, uint64_t *version);

/**
 * content_seal_text() - content_seal() for a TEXT column: "enc:" and base64. *@out is malloc'd.
 * Returns 0 or ERR_NOMEM.
 */
int content_seal_text(const uint8_t key[CONTENT_KEY_LEN], const char *id,
                      const struct content_place *place, const char *text, char **out);

/**
 * content_open_text() - the inverse of content_seal_text(). A text without the "enc:" prefix is
 * refused (ERR_CRYPTO). Returns 0, ERR_CRYPTO or ERR_NOMEM.
 */
int content_open_text(const uint8_t key[CONTENT_KEY_LEN], const char *id,
                      const struct content_place *place, const char *text, char **out);

/** content_padded() - the size of the padded frame of a @len-byte text (for tests, benchmarks). */
size_t content_padded(size_t len);

#endif
