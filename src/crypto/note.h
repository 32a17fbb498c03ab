/*
 * note.h - C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, and their key encodings.
 *
 * A signed note is a text ending in "\n", a blank line, then one or more signature lines
 * "— <key name> base64(key ID || signature)\n" (U+2014 EM DASH, space). Only Ed25519
 * (signature type 0x01) is supported; signatures of other types are carried but never verified.
 *
 * Key encodings, as golang.org/x/mod/sumdb/note writes them:
 *   vkey (public):   <name>+<8 hex key ID>+base64(0x01 || 32-byte public key)
 *   skey (private):  PRIVATE+KEY+<name>+<8 hex key ID>+base64(0x01 || 32-byte seed)
 * Key ID = first 4 bytes (big-endian) of SHA-256(name || 0x0A || 0x01 || public key).
 * The *_type() functions make and read the same encodings for another signature type byte (0x04,
 * the Ed25519 cosigner keys of c2sp.org/tlog-cosignature: tlog/cosig.h signs and verifies those);
 * the type is part of the key ID, so a key of one type never matches a line of another.
 *
 * Key names: 1..NOTE_NAME_MAX bytes of valid UTF-8 with no Unicode white space (the Unicode
 * White_Space property, as Go's unicode.IsSpace), no '+' and no ASCII control character.
 *
 * Parsed notes are non-owning views into the caller's message: keep the message alive and
 * unchanged while a struct note refers to it. All functions are thread safe once random_init()
 * has run; none keeps global state.
 */
#ifndef DISSENT_CRYPTO_NOTE_H
#define DISSENT_CRYPTO_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOTE_NAME_MAX 256        /* longest key name accepted, bytes */
#define NOTE_MAX_SIZE (1u << 20) /* longest signed note accepted or produced, bytes */
#define NOTE_MAX_SIGS 100        /* most signature lines accepted in one note */
#define NOTE_PUBKEY_LEN 32       /* Ed25519 public key */
#define NOTE_SEED_LEN 32         /* Ed25519 private seed */
#define NOTE_SECRETKEY_LEN 64    /* Ed25519 secret key as libsodium keeps it: seed || public */
#define NOTE_SIG_LEN 64          /* Ed25519 signature */
#define NOTE_TYPE_ED25519 0x01   /* signature type identifier byte */
#define NOTE_TYPE_COSIGNATURE                                                                      \
    0x04                     /* an Ed25519 tlog cosignature key (c2sp.org/tlog-cosignature)        \
                              */
#define NOTE_TIMESTAMP_LEN 8 /* bytes of a timestamped signature's big-endian time */
/* Buffer sizes for note_vkey_format() / note_skey_format(), NUL included. */
#define NOTE_VKEY_MAX (NOTE_NAME_MAX + 1 + 8 + 1 + 44 + 1)
#define NOTE_SKEY_MAX (12 + NOTE_VKEY_MAX)

/* A verifier (public) key. */
struct note_vkey {
    char name[NOTE_NAME_MAX + 1]; /* key name, NUL-terminated (names hold no NUL) */
    size_t name_len;              /* strlen(name) */
    uint32_t id;                  /* key ID */
    uint8_t type;                 /* signature type byte (0 is read as NOTE_TYPE_ED25519) */
    uint8_t pub[NOTE_PUBKEY_LEN]; /* Ed25519 public key */
};

/* A signer (private) key. Secret: wipe with note_skey_clear() when done. */
struct note_skey {
    char name[NOTE_NAME_MAX + 1];   /* key name, NUL-terminated */
    size_t name_len;                /* strlen(name) */
    uint32_t id;                    /* key ID of the matching public key */
    uint8_t type;                   /* signature type byte (0 is read as NOTE_TYPE_ED25519) */
    uint8_t sk[NOTE_SECRETKEY_LEN]; /* seed || public key */
};

/* One signature line of a parsed note. */
struct note_sig {
    const char *name;          /* key name: a view into the message, not NUL-terminated */
    size_t name_len;           /* bytes of name */
    uint32_t id;               /* key ID from the first 4 signature bytes */
    const char *line;          /* the whole line, em dash included, "\n" excluded (view) */
    size_t line_len;           /* bytes of line */
    size_t sig_len;            /* bytes after the key ID (64 for an Ed25519 signature) */
    uint8_t sig[NOTE_SIG_LEN]; /* those bytes when sig_len == NOTE_SIG_LEN, the last 64 when
                                  timestamped, else zeros */
    bool timestamped;          /* sig_len == NOTE_TIMESTAMP_LEN + NOTE_SIG_LEN: a timestamped
                                  signature (c2sp.org/tlog-cosignature), whose ... */
    uint64_t timestamp;        /* ... first 8 bytes, big-endian; else 0 */
};

/* A parsed, not yet verified, signed note. */
struct note {
    const char *text;      /* the signed text, final "\n" included (view) */
    size_t text_len;       /* bytes of text */
    struct note_sig *sigs; /* signature lines in order; owned, see note_release() */
    size_t nsigs;          /* 1..NOTE_MAX_SIGS after a successful parse */
};

/**
 * note_name_check() - whether @name[0..@len) is an acceptable key name (rules above).
 *
 * Returns 0, or ERR_INVALID.
 */
int note_name_check(const char *name, size_t len);

/**
 * note_text_check() - whether @text[0..@len) may be signed: at least one byte, at most
 * NOTE_MAX_SIZE, valid UTF-8, ends in "\n", and no ASCII control character but "\n".
 * Empty lines inside the text are allowed (the last blank line of a note is the separator).
 *
 * Returns 0, ERR_TOO_LARGE, or ERR_INVALID.
 */
int note_text_check(const char *text, size_t len);

/**
 * note_key_id() - the key ID of an Ed25519 key:
 * SHA-256(@name || 0x0A || 0x01 || @pub)[0..4) read big-endian. @name is not validated.
 */
uint32_t note_key_id(const char *name, size_t name_len, const uint8_t pub[NOTE_PUBKEY_LEN]);

/** note_key_id_type() - as note_key_id() with the signature type byte @type. */
uint32_t note_key_id_type(const char *name, size_t name_len, uint8_t type,
                          const uint8_t pub[NOTE_PUBKEY_LEN]);

/**
 * note_vkey_init() - build the verifier key named @name[0..@name_len) for public key @pub.
 * @out: receives the key (zeroed on failure).
 *
 * Returns 0, or ERR_INVALID for a bad name.
 */
int note_vkey_init(const char *name, size_t name_len, const uint8_t pub[NOTE_PUBKEY_LEN],
                   struct note_vkey *out);
int note_vkey_init_type(const char *name, size_t name_len, uint8_t type,
                        const uint8_t pub[NOTE_PUBKEY_LEN], struct note_vkey *out);

/**
 * note_vkey_format() - encode @key as "name+hexid+base64(0x01||pub)" (lowercase hex) into
 * @out, NUL-terminated. @outlen of NOTE_VKEY_MAX always suffices.
 *
 * Returns 0, ERR_INVALID when @key's name breaks the rules, or ERR_TOO_LARGE when @out is too
 * small (on failure @out holds "").
 */
int note_vkey_format(const struct note_vkey *key, char *out, size_t outlen);

/**
 * note_vkey_parse() - decode the verifier key @s[0..@len). The name ends at the first '+', the
 * key ID (8 hex digits, either case) at the second; the rest is padded standard base64 (which
 * may itself contain '+') of exactly 33 bytes: type 0x01 and the public key. The key ID must
 * match the name and the key.
 * @out: receives the key (zeroed on failure).
 *
 * Returns 0, or ERR_INVALID.
 */
int note_vkey_parse(const char *s, size_t len, struct note_vkey *out);
/** note_vkey_parse_type() - as note_vkey_parse() for a key of signature type @type only. */
int note_vkey_parse_type(const char *s, size_t len, uint8_t type, struct note_vkey *out);

/**
 * note_skey_generate() - a fresh random Ed25519 signer key named @name[0..@name_len).
 * @out: receives the key (zeroed on failure); wipe it with note_skey_clear().
 *
 * Returns 0, or ERR_INVALID for a bad name.
 */
int note_skey_generate(const char *name, size_t name_len, struct note_skey *out);
int note_skey_generate_type(const char *name, size_t name_len, uint8_t type, struct note_skey *out);

/**
 * note_skey_from_seed() - the signer key named @name[0..@name_len) for the Ed25519 @seed.
 * @out: receives the key (zeroed on failure); wipe it with note_skey_clear().
 *
 * Returns 0, ERR_INVALID for a bad name, or ERR_CRYPTO.
 */
int note_skey_from_seed(const char *name, size_t name_len, const uint8_t seed[NOTE_SEED_LEN],
                        struct note_skey *out);
int note_skey_from_seed_type(const char *name, size_t name_len, uint8_t type,
                             const uint8_t seed[NOTE_SEED_LEN], struct note_skey *out);

/**
 * note_skey_from_secret() - the signer key named @name[0..@name_len) for a 64-byte Ed25519
 * secret key as libsodium makes them (seed || public key). The public half must match the
 * seed.
 * @out: receives the key (zeroed on failure); wipe it with note_skey_clear().
 *
 * Returns 0, or ERR_INVALID (bad name, inconsistent key).
 */
int note_skey_from_secret(const char *name, size_t name_len, const uint8_t sk[NOTE_SECRETKEY_LEN],
                          struct note_skey *out);

/**
 * note_skey_from_keypair() - as note_skey_from_secret(), for a 64-byte secret key @sk whose
 * public half must equal @pk, without re-deriving the public key from the seed (a scalar
 * multiplication). A seed that does not match @pk then makes signatures that do not verify
 * under @pk, so use it only where every signature is verified under @pk before it is used
 * (workflow.c signs, then opens the note with the registered key).
 *
 * Returns 0, or ERR_INVALID (bad name, a public half other than @pk).
 */
int note_skey_from_keypair(const char *name, size_t name_len, const uint8_t sk[NOTE_SECRETKEY_LEN],
                           const uint8_t pk[NOTE_PUBKEY_LEN], struct note_skey *out);

/**
 * note_skey_format() - encode @key as "PRIVATE+KEY+name+hexid+base64(0x01||seed)" into @out,
 * NUL-terminated. @outlen of NOTE_SKEY_MAX always suffices. @out then holds the secret: the
 * caller wipes it (wipe()) when done.
 *
 * Returns 0, ERR_INVALID when @key's name breaks the rules, or ERR_TOO_LARGE when @out is too
 * small (on failure @out is wiped).
 */
int note_skey_format(const struct note_skey *key, char *out, size_t outlen);

/**
 * note_skey_parse() - decode the signer key @s[0..@len) ("PRIVATE+KEY+" then as a vkey, with
 * the 32-byte seed in place of the public key). The key ID must match the name and the public
 * key derived from the seed. Temporaries are wiped.
 * @out: receives the key (zeroed on failure); wipe it with note_skey_clear().
 *
 * Returns 0, or ERR_INVALID.
 */
int note_skey_parse(const char *s, size_t len, struct note_skey *out);
/** note_skey_parse_type() - as note_skey_parse() for a key of signature type @type only. */
int note_skey_parse_type(const char *s, size_t len, uint8_t type, struct note_skey *out);

/** note_skey_vkey() - the verifier key matching the signer key @key, into @out. */
void note_skey_vkey(const struct note_skey *key, struct note_vkey *out);

/** note_skey_clear() - wipe @key (NULL is a no-op). */
void note_skey_clear(struct note_skey *key);

/**
 * note_sign() - sign @text[0..@len) (see note_text_check()) with @key.
 * @out: receives a malloc'd NUL-terminated signed note, text + "\n" + one signature line;
 *       the caller frees it with mem_free(). NULL on failure.
 * @outlen: receives strlen(*@out) (0 on failure).
 *
 * Returns 0, ERR_INVALID (text), ERR_TOO_LARGE (text, or the result over NOTE_MAX_SIZE),
 * ERR_NOMEM, or ERR_CRYPTO.
 */
int note_sign(const char *text, size_t len, const struct note_skey *key, char **out,
              size_t *outlen);

/**
 * note_sign_add() - add @key's signature to the signed note @msg[0..@len). The existing
 * signatures are kept in order, except any line with @key's name and key ID, which is
 * dropped; the new line goes last (as x/mod's note.Sign does). Existing signatures are not
 * verified here.
 * @out, @outlen: as for note_sign().
 *
 * Returns 0, ERR_INVALID (malformed note), ERR_TOO_LARGE (input or result over the limits),
 * ERR_NOMEM, or ERR_CRYPTO.
 */
int note_sign_add(const char *msg, size_t len, const struct note_skey *key, char **out,
                  size_t *outlen);

/**
 * note_parse() - split the signed note @msg[0..@len) into text and signature lines, checking
 * the format only: size at most NOTE_MAX_SIZE, valid UTF-8, no control character but "\n",
 * a blank line before a block of 1..NOTE_MAX_SIGS lines "— name base64\n" with a valid name
 * and at least 5 decoded bytes.
 * @out: receives the views and an allocated signature array (all zero on failure); release
 *       it with note_release(). @msg must outlive @out.
 * @err: optional buffer for a human message (@errlen bytes).
 *
 * Returns 0, ERR_INVALID (malformed), ERR_TOO_LARGE (size or signature count), or ERR_NOMEM.
 */
int note_parse(const char *msg, size_t len, struct note *out, char *err, size_t errlen);

/** note_release() - free what note_parse() allocated in @n and zero it (NULL is a no-op). */
void note_release(struct note *n);

/**
 * note_verify() - check the signatures of a parsed note against the known keys @keys[0..@nkeys).
 * A line whose name and key ID match no known key is ignored. Every line that matches a known
 * key must carry a valid Ed25519 signature of the text. Two known keys with the same name and
 * key ID are refused as ambiguous.
 * @verified: optional array of @nkeys booleans: [i] is set when @keys[i] signed the note (all
 *            false on failure).
 * @err: optional buffer for a human message (@errlen bytes).
 *
 * Returns 0 when at least one known key signed and no known key's signature failed;
 * ERR_CRYPTO when a signature from a known key is invalid; ERR_NOT_FOUND when no known key
 * signed; ERR_INVALID for an ambiguous key set.
 */
__attribute__((warn_unused_result)) int note_verify(const struct note *n,
                                                    const struct note_vkey *keys, size_t nkeys,
                                                    bool *verified, char *err, size_t errlen);

/**
 * note_open() - note_parse() then note_verify() in one call, with nothing to release.
 * @text_len: optional; receives the length of the verified text, which is @msg[0..*@text_len)
 *            (0 on failure).
 * @verified, @err, @errlen: as for note_verify().
 *
 * Returns 0, or any error of note_parse() and note_verify().
 */
__attribute__((warn_unused_result)) int note_open(const char *msg, size_t len,
                                                  const struct note_vkey *keys, size_t nkeys,
                                                  bool *verified, size_t *text_len, char *err,
                                                  size_t errlen);

#endif
