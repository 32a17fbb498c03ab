/*
 * note.c - C2SP signed notes and their Ed25519 keys (see note.h and c2sp.org/signed-note).
 *
 * The parser follows golang.org/x/mod/sumdb/note's Open() so that notes accepted there are
 * accepted here, with two deliberate differences: every signature line from a known key is
 * verified (x/mod checks only the first of repeated lines), and key names are capped at
 * NOTE_NAME_MAX bytes.
 */
#include "crypto/note.h"

#include "crypto/hash.h"
#include "util/err.h"
#include "util/mem.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define SIG_PREFIX "\xe2\x80\x94 " /* U+2014 EM DASH, space */
#define SIG_PREFIX_LEN 4
#define SKEY_PREFIX "PRIVATE+KEY+"
#define SKEY_PREFIX_LEN 12
#define KEY_BLOB_LEN 33 /* type byte || 32-byte key (public key or seed) */
#define SIG_BLOB_LEN (4 + NOTE_SIG_LEN)
#define SIG_B64_LEN 92 /* base64 of SIG_BLOB_LEN bytes, no NUL */

/*
 * Decode one UTF-8 sequence at s[*i], rejecting what Go's utf8.DecodeRune turns into
 * RuneError of size 1: bad lead or continuation bytes, truncation, overlong forms, surrogates
 * and code points beyond U+10FFFF.
 */
static int utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
{
    unsigned char c = s[*i];
    size_t n;
    uint32_t v;

    if (c < 0x80) {
        *cp = c;
        *i += 1;
        return 0;
    }
    if ((c & 0xE0) == 0xC0) {
        n = 1;
        v = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 2;
        v = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 3;
        v = c & 0x07;
    } else {
        return ERR_INVALID;
    }
    if (len - *i <= n)
        return ERR_INVALID;
    for (size_t k = 1; k <= n; k++) {
        if ((s[*i + k] & 0xC0) != 0x80)
            return ERR_INVALID;
        v = (v << 6) | (s[*i + k] & 0x3F);
    }
    if ((n == 1 && v < 0x80) || (n == 2 && v < 0x800) || (n == 3 && v < 0x10000) ||
        (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
        return ERR_INVALID;
    *cp = v;
    *i += n + 1;
    return 0;
}

/* The Unicode White_Space property, the set Go's unicode.IsSpace reports. */
static bool is_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

/* Valid UTF-8 with no ASCII control character other than newline: the rule for whole notes. */
static int chars_check(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    uint32_t cp;

    while (i < len) {
        if (utf8_next(u, len, &i, &cp) != 0)
            return ERR_INVALID;
        if (cp < 0x20 && cp != '\n')
            return ERR_INVALID;
    }
    return 0;
}

int note_name_check(const char *name, size_t len)
{
    const unsigned char *u = (const unsigned char *)name;
    size_t i = 0;
    uint32_t cp;

    if (len == 0 || len > NOTE_NAME_MAX)
        return ERR_INVALID;
    while (i < len) {
        if (utf8_next(u, len, &i, &cp) != 0)
            return ERR_INVALID;
        if (cp < 0x20 || cp == '+' || is_space(cp))
            return ERR_INVALID;
    }
    return 0;
}

int note_text_check(const char *text, size_t len)
{
    if (len > NOTE_MAX_SIZE)
        return ERR_TOO_LARGE;
    if (len == 0 || text[len - 1] != '\n')
        return ERR_INVALID;
    return chars_check(text, len);
}

static uint32_t be32_get(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void be32_put(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint32_t note_key_id(const char *name, size_t name_len, const uint8_t pub[NOTE_PUBKEY_LEN])
{
    return note_key_id_type(name, name_len, NOTE_TYPE_ED25519, pub);
}

uint32_t note_key_id_type(const char *name, size_t name_len, uint8_t type,
                          const uint8_t pub[NOTE_PUBKEY_LEN])
{
    crypto_hash_sha256_state st;
    const uint8_t sep[2] = {'\n', type};
    uint8_t digest[HASH_SHA256_LEN];

    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const uint8_t *)name, name_len);
    crypto_hash_sha256_update(&st, sep, sizeof(sep));
    crypto_hash_sha256_update(&st, pub, NOTE_PUBKEY_LEN);
    crypto_hash_sha256_final(&st, digest);
    return be32_get(digest);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Exactly 8 hex digits (either case, as Go's strconv.ParseUint) into *id. */
static int hex_id_parse(const char *s, size_t len, uint32_t *id)
{
    uint32_t v = 0;

    if (len != 8)
        return ERR_INVALID;
    for (size_t i = 0; i < len; i++) {
        int d = hex_digit(s[i]);

        if (d < 0)
            return ERR_INVALID;
        v = v << 4 | (uint32_t)d;
    }
    *id = v;
    return 0;
}

/*
 * Split "name+hexid+base64" (the vkey form; an skey without its prefix) into the name view, the
 * key ID and the 33 decoded bytes, checking the name, the lengths and the type byte. The key ID
 * is not checked against the key here. @blob may hold a secret: the caller wipes it.
 */
static int key_split(const char *s, size_t len, uint8_t type, const char **name, size_t *name_len,
                     uint32_t *id, uint8_t blob[KEY_BLOB_LEN])
{
    const char *p1, *p2;
    size_t n;

    p1 = memchr(s, '+', len);
    if (p1 == NULL)
        return ERR_INVALID;
    p2 = memchr(p1 + 1, '+', len - (size_t)(p1 + 1 - s));
    if (p2 == NULL)
        return ERR_INVALID;
    if (note_name_check(s, (size_t)(p1 - s)) != 0)
        return ERR_INVALID;
    if (hex_id_parse(p1 + 1, (size_t)(p2 - p1 - 1), id) != 0)
        return ERR_INVALID;
    if (b64_decode(blob, KEY_BLOB_LEN, &n, p2 + 1, len - (size_t)(p2 + 1 - s), false) != 0)
        return ERR_INVALID;
    if (n != KEY_BLOB_LEN || blob[0] != type)
        return ERR_INVALID;
    *name = s;
    *name_len = (size_t)(p1 - s);
    return 0;
}

/*
 * Write "name+hexid+base64(type||key32)" at out (outlen bytes, NUL-terminated). The blob
 * holding the key is wiped since the key may be a seed.
 */
static int key_write(const char *name, size_t name_len, uint8_t type, uint32_t id,
                     const uint8_t *key32, char *out, size_t outlen)
{
    uint8_t blob[KEY_BLOB_LEN];
    size_t need;

    if (note_name_check(name, name_len) != 0)
        return ERR_INVALID;
    need = name_len + 10 + b64_encoded_len(KEY_BLOB_LEN, false);
    if (need > outlen)
        return ERR_TOO_LARGE;
    memcpy(out, name, name_len);
    snprintf(out + name_len, outlen - name_len, "+%08" PRIx32 "+", id);
    blob[0] = type;
    memcpy(blob + 1, key32, 32);
    b64_encode(out + name_len + 10, outlen - name_len - 10, blob, sizeof(blob), false);
    sodium_memzero(blob, sizeof(blob));
    return 0;
}

/* The signature type of a key struct (0, a struct filled by hand, is Ed25519). */
static uint8_t type_of(uint8_t type)
{
    return type == 0 ? NOTE_TYPE_ED25519 : type;
}

/* Copy a checked name into a fixed name field. */
static void name_set(char dst[NOTE_NAME_MAX + 1], size_t *dst_len, const char *name, size_t len)
{
    memcpy(dst, name, len);
    dst[len] = '\0';
    *dst_len = len;
}

int note_vkey_init(const char *name, size_t name_len, const uint8_t pub[NOTE_PUBKEY_LEN],
                   struct note_vkey *out)
{
    return note_vkey_init_type(name, name_len, NOTE_TYPE_ED25519, pub, out);
}

int note_vkey_init_type(const char *name, size_t name_len, uint8_t type,
                        const uint8_t pub[NOTE_PUBKEY_LEN], struct note_vkey *out)
{
    memset(out, 0, sizeof(*out));
    if (note_name_check(name, name_len) != 0)
        return ERR_INVALID;
    name_set(out->name, &out->name_len, name, name_len);
    memcpy(out->pub, pub, NOTE_PUBKEY_LEN);
    out->type = type;
    out->id = note_key_id_type(name, name_len, type, pub);
    return 0;
}

int note_vkey_format(const struct note_vkey *key, char *out, size_t outlen)
{
    int rc;

    if (outlen > 0)
        out[0] = '\0';
    rc = key_write(key->name, key->name_len, type_of(key->type), key->id, key->pub, out, outlen);
    if (rc != 0 && outlen > 0)
        out[0] = '\0';
    return rc;
}

int note_vkey_parse(const char *s, size_t len, struct note_vkey *out)
{
    return note_vkey_parse_type(s, len, NOTE_TYPE_ED25519, out);
}

int note_vkey_parse_type(const char *s, size_t len, uint8_t type, struct note_vkey *out)
{
    uint8_t blob[KEY_BLOB_LEN];
    const char *name = NULL;
    size_t name_len = 0;
    uint32_t id = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = key_split(s, len, type, &name, &name_len, &id, blob);
    if (rc != 0)
        goto out;
    if (note_key_id_type(name, name_len, type, blob + 1) != id) {
        rc = ERR_INVALID;
        goto out;
    }
    name_set(out->name, &out->name_len, name, name_len);
    out->type = type;
    out->id = id;
    memcpy(out->pub, blob + 1, NOTE_PUBKEY_LEN);
out:
    return rc;
}

int note_skey_from_seed(const char *name, size_t name_len, const uint8_t seed[NOTE_SEED_LEN],
                        struct note_skey *out)
{
    return note_skey_from_seed_type(name, name_len, NOTE_TYPE_ED25519, seed, out);
}

int note_skey_from_seed_type(const char *name, size_t name_len, uint8_t type,
                             const uint8_t seed[NOTE_SEED_LEN], struct note_skey *out)
{
    uint8_t pk[NOTE_PUBKEY_LEN];
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (note_name_check(name, name_len) != 0) {
        rc = ERR_INVALID;
        goto out;
    }
    if (crypto_sign_seed_keypair(pk, out->sk, seed) != 0) {
        rc = ERR_CRYPTO;
        goto out;
    }
    name_set(out->name, &out->name_len, name, name_len);
    out->type = type;
    out->id = note_key_id_type(name, name_len, type, pk);
out:
    if (rc != 0)
        sodium_memzero(out, sizeof(*out));
    return rc;
}

int note_skey_generate(const char *name, size_t name_len, struct note_skey *out)
{
    return note_skey_generate_type(name, name_len, NOTE_TYPE_ED25519, out);
}

int note_skey_generate_type(const char *name, size_t name_len, uint8_t type, struct note_skey *out)
{
    uint8_t seed[NOTE_SEED_LEN];
    int rc;

    randombytes_buf(seed, sizeof(seed));
    rc = note_skey_from_seed_type(name, name_len, type, seed, out);
    sodium_memzero(seed, sizeof(seed));
    return rc;
}

int note_skey_from_secret(const char *name, size_t name_len, const uint8_t sk[NOTE_SECRETKEY_LEN],
                          struct note_skey *out)
{
    int rc;

    /* Re-deriving from the seed catches a secret key whose public half was altered. */
    rc = note_skey_from_seed(name, name_len, sk, out);
    if (rc != 0)
        goto out;
    if (sodium_memcmp(out->sk, sk, NOTE_SECRETKEY_LEN) != 0)
        rc = ERR_INVALID;
out:
    if (rc != 0)
        sodium_memzero(out, sizeof(*out));
    return rc;
}

int note_skey_from_keypair(const char *name, size_t name_len, const uint8_t sk[NOTE_SECRETKEY_LEN],
                           const uint8_t pk[NOTE_PUBKEY_LEN], struct note_skey *out)
{
    memset(out, 0, sizeof(*out));
    if (note_name_check(name, name_len) != 0 ||
        sodium_memcmp(sk + NOTE_SEED_LEN, pk, NOTE_PUBKEY_LEN) != 0)
        return ERR_INVALID;
    _Static_assert(sizeof(out->sk) == NOTE_SECRETKEY_LEN, "a 64-byte secret key");
    memcpy(out->sk, sk, NOTE_SECRETKEY_LEN);
    name_set(out->name, &out->name_len, name, name_len);
    out->type = NOTE_TYPE_ED25519;
    out->id = note_key_id_type(name, name_len, NOTE_TYPE_ED25519, pk);
    return 0;
}

int note_skey_format(const struct note_skey *key, char *out, size_t outlen)
{
    int rc;

    if (outlen > 0)
        out[0] = '\0';
    if (outlen < SKEY_PREFIX_LEN)
        return ERR_TOO_LARGE;
    memcpy(out, SKEY_PREFIX, SKEY_PREFIX_LEN);
    rc = key_write(key->name, key->name_len, type_of(key->type), key->id, key->sk,
                   out + SKEY_PREFIX_LEN, outlen - SKEY_PREFIX_LEN);
    if (rc != 0)
        sodium_memzero(out, outlen);
    return rc;
}

int note_skey_parse(const char *s, size_t len, struct note_skey *out)
{
    return note_skey_parse_type(s, len, NOTE_TYPE_ED25519, out);
}

int note_skey_parse_type(const char *s, size_t len, uint8_t type, struct note_skey *out)
{
    uint8_t blob[KEY_BLOB_LEN];
    uint8_t pk[NOTE_PUBKEY_LEN];
    const char *name = NULL;
    size_t name_len = 0;
    uint32_t id = 0;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (len < SKEY_PREFIX_LEN || memcmp(s, SKEY_PREFIX, SKEY_PREFIX_LEN) != 0) {
        rc = ERR_INVALID;
        goto out;
    }
    rc = key_split(s + SKEY_PREFIX_LEN, len - SKEY_PREFIX_LEN, type, &name, &name_len, &id, blob);
    if (rc != 0)
        goto out;
    if (crypto_sign_seed_keypair(pk, out->sk, blob + 1) != 0) {
        rc = ERR_CRYPTO;
        goto out;
    }
    /* The key ID names the public key, so it can only be checked after deriving it. */
    if (note_key_id_type(name, name_len, type, pk) != id) {
        rc = ERR_INVALID;
        goto out;
    }
    name_set(out->name, &out->name_len, name, name_len);
    out->type = type;
    out->id = id;
out:
    sodium_memzero(blob, sizeof(blob));
    if (rc != 0)
        sodium_memzero(out, sizeof(*out));
    return rc;
}

void note_skey_vkey(const struct note_skey *key, struct note_vkey *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->name, key->name, sizeof(out->name));
    out->name_len = key->name_len;
    out->type = key->type;
    out->id = key->id;
    memcpy(out->pub, key->sk + NOTE_SEED_LEN, NOTE_PUBKEY_LEN);
}

void note_skey_clear(struct note_skey *key)
{
    if (key != NULL)
        sodium_memzero(key, sizeof(*key));
}

/* Bytes of the signature line for a key name of @name_len bytes, "\n" included. */
static size_t sig_line_len(size_t name_len)
{
    return SIG_PREFIX_LEN + name_len + 1 + SIG_B64_LEN + 1;
}

/* Sign @text with @key and write its signature line (sig_line_len() bytes, no NUL) at @dst. */
static int sig_line_write(char *dst, const struct note_skey *key, const char *text, size_t len)
{
    uint8_t blob[SIG_BLOB_LEN];
    char b64[SIG_B64_LEN + 1];
    size_t off = 0;

    be32_put(blob, key->id);
    if (crypto_sign_detached(blob + 4, NULL, (const uint8_t *)text, len, key->sk) != 0)
        return ERR_CRYPTO;
    b64_encode(b64, sizeof(b64), blob, sizeof(blob), false);
    memcpy(dst, SIG_PREFIX, SIG_PREFIX_LEN);
    off += SIG_PREFIX_LEN;
    memcpy(dst + off, key->name, key->name_len);
    off += key->name_len;
    dst[off++] = ' ';
    memcpy(dst + off, b64, SIG_B64_LEN);
    off += SIG_B64_LEN;
    dst[off] = '\n';
    return 0;
}

int note_sign(const char *text, size_t len, const struct note_skey *key, char **out, size_t *outlen)
{
    char *buf = NULL;
    size_t total = 0;
    int rc;

    *out = NULL;
    *outlen = 0;
    rc = note_text_check(text, len);
    if (rc != 0)
        goto out;
    if (note_name_check(key->name, key->name_len) != 0 || type_of(key->type) != NOTE_TYPE_ED25519) {
        rc = ERR_INVALID; /* a cosigner key signs only cosignatures (tlog/cosig.h) */
        goto out;
    }
    total = len + 1 + sig_line_len(key->name_len);
    if (total > NOTE_MAX_SIZE) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    buf = mem_alloc(total + 1);
    if (buf == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    memcpy(buf, text, len);
    buf[len] = '\n';
    rc = sig_line_write(buf + len + 1, key, text, len);
    if (rc != 0)
        goto out;
    buf[total] = '\0';
    *out = buf;
    *outlen = total;
    buf = NULL;
out:
    mem_free(buf);
    return rc;
}

/* Whether the parsed line @s was made by the key named @name with key ID @id. */
static bool sig_is_key(const struct note_sig *s, const char *name, size_t name_len, uint32_t id)
{
    return s->id == id && s->name_len == name_len && memcmp(s->name, name, name_len) == 0;
}

int note_sign_add(const char *msg, size_t len, const struct note_skey *key, char **out,
                  size_t *outlen)
{
    struct note n = {0};
    char *buf = NULL;
    size_t total, kept = 0, off;
    int rc;

    *out = NULL;
    *outlen = 0;
    rc = note_parse(msg, len, &n, NULL, 0);
    if (rc != 0)
        goto out;
    if (note_name_check(key->name, key->name_len) != 0 || type_of(key->type) != NOTE_TYPE_ED25519) {
        rc = ERR_INVALID; /* a cosigner key signs only cosignatures (tlog/cosig.h) */
        goto out;
    }
    total = n.text_len + 1 + sig_line_len(key->name_len);
    for (size_t i = 0; i < n.nsigs; i++) {
        if (sig_is_key(&n.sigs[i], key->name, key->name_len, key->id))
            continue;
        total += n.sigs[i].line_len + 1;
        kept++;
    }
    if (total > NOTE_MAX_SIZE || kept + 1 > NOTE_MAX_SIGS) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    buf = mem_alloc(total + 1);
    if (buf == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    memcpy(buf, n.text, n.text_len);
    off = n.text_len;
    buf[off++] = '\n';
    for (size_t i = 0; i < n.nsigs; i++) {
        if (sig_is_key(&n.sigs[i], key->name, key->name_len, key->id))
            continue;
        memcpy(buf + off, n.sigs[i].line, n.sigs[i].line_len);
        off += n.sigs[i].line_len;
        buf[off++] = '\n';
    }
    rc = sig_line_write(buf + off, key, n.text, n.text_len);
    if (rc != 0)
        goto out;
    buf[total] = '\0';
    *out = buf;
    *outlen = total;
    buf = NULL;
out:
    mem_free(buf);
    note_release(&n);
    return rc;
}

/* Parse one signature line (without its "\n") into @sig; @scratch holds @line_len bytes. */
static int sig_line_parse(const char *line, size_t line_len, uint8_t *scratch, struct note_sig *sig)
{
    const char *name, *sp, *b64;
    size_t rest, name_len, b64_len, n = 0;

    if (line_len < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
        return ERR_INVALID;
    name = line + SIG_PREFIX_LEN;
    rest = line_len - SIG_PREFIX_LEN;
    sp = memchr(name, ' ', rest);
    if (sp == NULL)
        return ERR_INVALID;
    name_len = (size_t)(sp - name);
    b64 = sp + 1;
    b64_len = rest - name_len - 1;
    if (note_name_check(name, name_len) != 0 || b64_len == 0)
        return ERR_INVALID;
    if (b64_decode(scratch, line_len, &n, b64, b64_len, false) != 0 || n < 5)
        return ERR_INVALID;
    sig->name = name;
    sig->name_len = name_len;
    sig->id = be32_get(scratch);
    sig->line = line;
    sig->line_len = line_len;
    sig->sig_len = n - 4;
    if (sig->sig_len == NOTE_SIG_LEN) {
        memcpy(sig->sig, scratch + 4, NOTE_SIG_LEN);
    } else if (sig->sig_len == NOTE_TIMESTAMP_LEN + NOTE_SIG_LEN) {
        sig->timestamped = true;
        for (size_t k = 0; k < NOTE_TIMESTAMP_LEN; k++)
            sig->timestamp = sig->timestamp << 8 | scratch[4 + k];
        memcpy(sig->sig, scratch + 4 + NOTE_TIMESTAMP_LEN, NOTE_SIG_LEN);
    }
    return 0;
}

int note_parse(const char *msg, size_t len, struct note *out, char *err, size_t errlen)
{
    const char *sigs, *p, *end;
    uint8_t *scratch = NULL;
    size_t split, nlines = 0, i = 0;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (len > NOTE_MAX_SIZE) {
        err_set(err, errlen, "note larger than %u bytes", NOTE_MAX_SIZE);
        rc = ERR_TOO_LARGE;
        goto out;
    }
    if (chars_check(msg, len) != 0) {
        err_set(err, errlen, "note is not valid UTF-8 or holds a control character");
        rc = ERR_INVALID;
        goto out;
    }
    /* The text ends at the last blank line; signature lines are never empty. */
    for (split = len; split >= 2; split--) {
        if (msg[split - 2] == '\n' && msg[split - 1] == '\n')
            break;
    }
    if (split < 2 || split == len || msg[len - 1] != '\n') {
        err_set(err, errlen, "note has no signature block after a blank line");
        rc = ERR_INVALID;
        goto out;
    }
    sigs = msg + split;
    end = msg + len;
    for (p = sigs; p < end; p++)
        nlines += *p == '\n';
    if (nlines > NOTE_MAX_SIGS) {
        err_set(err, errlen, "note has more than %d signatures", NOTE_MAX_SIGS);
        rc = ERR_TOO_LARGE;
        goto out;
    }
    out->sigs = mem_calloc(nlines, sizeof(*out->sigs));
    scratch = mem_alloc((size_t)(end - sigs));
    if (out->sigs == NULL || scratch == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    for (p = sigs; p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));

        rc = sig_line_parse(p, (size_t)(nl - p), scratch, &out->sigs[i]);
        if (rc != 0) {
            err_set(err, errlen, "signature line %zu is malformed", i + 1);
            goto out;
        }
        p = nl + 1;
    }
    out->nsigs = nlines;
    out->text = msg;
    out->text_len = split - 1;
out:
    mem_free(scratch);
    if (rc != 0)
        note_release(out);
    return rc;
}

void note_release(struct note *n)
{
    if (n == NULL)
        return;
    mem_free(n->sigs);
    memset(n, 0, sizeof(*n));
}

int note_verify(const struct note *n, const struct note_vkey *keys, size_t nkeys, bool *verified,
                char *err, size_t errlen)
{
    bool any = false;
    int rc = 0;

    if (verified != NULL)
        memset(verified, 0, nkeys * sizeof(*verified));
    if (n == NULL || n->nsigs == 0 || (nkeys > 0 && keys == NULL)) {
        err_set(err, errlen, "no parsed note");
        rc = ERR_INVALID;
        goto out;
    }
    for (size_t a = 0; a < nkeys; a++) {
        for (size_t b = a + 1; b < nkeys; b++) {
            if (keys[a].id == keys[b].id && keys[a].name_len == keys[b].name_len &&
                memcmp(keys[a].name, keys[b].name, keys[a].name_len) == 0) {
                err_set(err, errlen, "known keys %zu and %zu share name and key ID", a, b);
                rc = ERR_INVALID;
                goto out;
            }
        }
    }
    for (size_t i = 0; i < n->nsigs; i++) {
        const struct note_sig *s = &n->sigs[i];
        size_t k;

        for (k = 0; k < nkeys; k++) {
            if (sig_is_key(s, keys[k].name, keys[k].name_len, keys[k].id))
                break;
        }
        if (k == nkeys)
            continue; /* unknown key: the spec says to ignore it */
        if (s->sig_len != NOTE_SIG_LEN ||
            crypto_sign_verify_detached(s->sig, (const uint8_t *)n->text, n->text_len,
                                        keys[k].pub) != 0) {
            err_set(err, errlen, "signature line %zu fails to verify under a known key", i + 1);
            rc = ERR_CRYPTO;
            goto out;
        }
        any = true;
        if (verified != NULL)
            verified[k] = true;
    }
    if (!any) {
        err_set(err, errlen, "no signature from a known key");
        rc = ERR_NOT_FOUND;
    }
out:
    if (rc != 0 && verified != NULL)
        memset(verified, 0, nkeys * sizeof(*verified));
    return rc;
}

int note_open(const char *msg, size_t len, const struct note_vkey *keys, size_t nkeys,
              bool *verified, size_t *text_len, char *err, size_t errlen)
{
    struct note n = {0};
    int rc;

    if (text_len != NULL)
        *text_len = 0;
    if (verified != NULL)
        memset(verified, 0, nkeys * sizeof(*verified));
    rc = note_parse(msg, len, &n, err, errlen);
    if (rc != 0)
        goto out;
    rc = note_verify(&n, keys, nkeys, verified, err, errlen);
    if (rc != 0)
        goto out;
    if (text_len != NULL)
        *text_len = n.text_len;
out:
    note_release(&n);
    return rc;
}
