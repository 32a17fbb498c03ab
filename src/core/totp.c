/*
 * totp.c - TOTP two-factor sign-in over liboath; recovery codes; the roles that need it.
 */
#include "core/totp.h"

#include "core/trust.h"
#include "core/user.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "crypto/seal.h"
#include "util/err.h"

#include <liboath/oath.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECOVERY_RAW 10    /* bytes of one recovery code: 16 base32 characters */
#define RECOVERY_CHARS 16  /* its characters without dashes */
#define RECOVERY_IN_MAX 64 /* longest recovery code text looked at (spaces, dashes) */

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_status = OATH_OK;

static void oath_start(void)
{
    oath_status = oath_init();
}

/* liboath wants oath_init() once before anything else. */
static int oath_ready(void)
{
    pthread_once(&oath_once, oath_start);
    return oath_status == OATH_OK ? 0 : ERR_CRYPTO;
}

int totp_code(const uint8_t *secret, size_t len, int64_t t, unsigned digits, char *out)
{
    int rc;

    out[0] = '\0';
    if (digits < 6 || digits > 8 || t < 0)
        return ERR_INVALID;
    if ((rc = oath_ready()) != 0)
        return rc;
    /* flags 0: HMAC-SHA-1, what standard authenticators use */
    if (oath_totp_generate2((const char *)secret, len, (time_t)t, TOTP_STEP, 0, digits, 0, out) !=
        OATH_OK) {
        out[0] = '\0';
        return ERR_CRYPTO;
    }
    return 0;
}

/* Exactly TOTP_DIGITS ASCII digits. */
static bool code_wellformed(const char *code)
{
    for (int i = 0; i < TOTP_DIGITS; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    return code[TOTP_DIGITS] == '\0';
}

int totp_check(const uint8_t secret[TOTP_SECRET_LEN], int64_t now, const char *code, int64_t after,
               int64_t *step)
{
    char want[TOTP_DIGITS + 1];
    int64_t found = 0;

    *step = 0;
    if (code == NULL || !code_wellformed(code) || now < TOTP_STEP * TOTP_WINDOW)
        return ERR_CRYPTO;
    for (int pos = -TOTP_WINDOW; pos <= TOTP_WINDOW; pos++) {
        int64_t t = now + (int64_t)pos * TOTP_STEP, s = t / TOTP_STEP;
        if (totp_code(secret, TOTP_SECRET_LEN, t, TOTP_DIGITS, want) != 0)
            continue;
        /* every candidate is compared, whatever matched before */
        if (hash_equal(want, code, TOTP_DIGITS) && s > after)
            found = s;
    }
    wipe(want, sizeof(want));
    if (found == 0)
        return ERR_CRYPTO;
    *step = found;
    return 0;
}

int totp_base32(const uint8_t secret[TOTP_SECRET_LEN], char out[TOTP_SECRET_B32_LEN + 1])
{
    char *b32 = NULL;
    size_t n = 0;
    int rc;

    out[0] = '\0';
    if ((rc = oath_ready()) != 0)
        return rc;
    /* liboath allocates with malloc: freed with free() after wiping */
    if (oath_base32_encode((const char *)secret, TOTP_SECRET_LEN, &b32, &n) != OATH_OK ||
        b32 == NULL)
        return ERR_NOMEM;
    rc = n == TOTP_SECRET_B32_LEN ? 0 : ERR_INTERNAL;
    if (rc == 0) {
        memcpy(out, b32, n);
        out[n] = '\0';
    }
    wipe(b32, n);
    free(b32);
    return rc;
}

int totp_uri(const char *username, const char b32[TOTP_SECRET_B32_LEN + 1], char out[TOTP_URI_MAX])
{
    int n = snprintf(out, TOTP_URI_MAX,
                     "otpauth://totp/" TOTP_ISSUER ":%s?secret=%s&issuer=" TOTP_ISSUER
                     "&algorithm=SHA1&digits=%d&period=%d",
                     username, b32, TOTP_DIGITS, TOTP_STEP);

    if (n < 0 || n >= TOTP_URI_MAX) {
        out[0] = '\0';
        return ERR_INVALID;
    }
    return 0;
}

int totp_enrol(struct store *st, const struct user *u, int64_t now, uint8_t secret[TOTP_SECRET_LEN])
{
    uint8_t block[SEAL_KEY_LEN] = {0};
    struct user_totp t;
    int rc;

    memset(secret, 0, TOTP_SECRET_LEN);
    if (!u->has_keys)
        return ERR_NOT_FOUND;
    if ((rc = trust_bound(st, u)) != 0)
        return rc;
    memset(&t, 0, sizeof(t));
    t.user_id = u->id;
    t.created_at = now;
    /* the secret fills the front of a sealed 32-byte block; the rest stays zero */
    random_bytes(block, TOTP_SECRET_LEN);
    seal_to(t.sealed, block, u->box_pk);
    rc = store_totp_put(st, &t);
    if (rc == 0)
        memcpy(secret, block, TOTP_SECRET_LEN);
    wipe(block, sizeof(block));
    return rc;
}

int totp_secret_open(const struct user_totp *t, const struct user_keys *k,
                     uint8_t secret[TOTP_SECRET_LEN])
{
    uint8_t block[SEAL_KEY_LEN], zero[SEAL_KEY_LEN - TOTP_SECRET_LEN] = {0};
    int rc;

    memset(secret, 0, TOTP_SECRET_LEN);
    rc = seal_open(block, t->sealed, k->box_pk, k->box_sk);
    if (rc == 0 && !hash_equal(block + TOTP_SECRET_LEN, zero, sizeof(zero)))
        rc = ERR_CRYPTO;
    if (rc == 0)
        memcpy(secret, block, TOTP_SECRET_LEN);
    wipe(block, sizeof(block));
    return rc == 0 ? 0 : ERR_CRYPTO;
}

/*
 * The hash of a recovery code's 16 characters @norm for account @user_id: SHA-256 over a label,
 * the account and the code, so equal codes of two accounts never share a hash.
 */
static void recovery_hash(int64_t user_id, const char norm[RECOVERY_CHARS],
                          uint8_t out[STORE_TOTP_CODE_HASH])
{
    char buf[96];
    int n = snprintf(buf, sizeof(buf), "dissent-totp-recovery/v1\n%lld\n%.16s", (long long)user_id,
                     norm);

    hash_sha256(out, buf, (size_t)n);
    wipe(buf, sizeof(buf));
}

/* @text without spaces and dashes, lower-cased, into @norm: 16 base32 characters or false. */
static bool recovery_normalise(const char *text, char norm[RECOVERY_CHARS])
{
    size_t n = 0;

    for (size_t i = 0; text[i] != '\0'; i++) {
        char c = text[i];
        if (i >= RECOVERY_IN_MAX)
            return false;
        if (c == '-' || c == ' ')
            continue;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7')) || n >= RECOVERY_CHARS)
            return false;
        norm[n++] = c;
    }
    return n == RECOVERY_CHARS;
}

void totp_recovery_issue(struct user_totp *t,
                         char codes[STORE_TOTP_CODES][TOTP_RECOVERY_TEXT_LEN + 1])
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

    for (int i = 0; i < STORE_TOTP_CODES; i++) {
        uint8_t raw[RECOVERY_RAW];
        char norm[RECOVERY_CHARS];
        size_t o = 0;
        random_bytes(raw, sizeof(raw));
        /* base32 by hand for 80 bits: five bits per character, no padding needed */
        for (int c = 0; c < RECOVERY_CHARS; c++) {
            int bit = c * 5, v = 0;
            for (int b = 0; b < 5; b++, bit++)
                v = (v << 1) | ((raw[bit / 8] >> (7 - bit % 8)) & 1);
            norm[c] = alphabet[v];
        }
        for (int c = 0; c < RECOVERY_CHARS; c++) {
            if (c > 0 && c % 4 == 0)
                codes[i][o++] = '-';
            codes[i][o++] = norm[c];
        }
        codes[i][o] = '\0';
        recovery_hash(t->user_id, norm, t->codes[i]);
        wipe(raw, sizeof(raw));
        wipe(norm, sizeof(norm));
    }
}

int totp_recovery_left(const struct user_totp *t)
{
    static const uint8_t zero[STORE_TOTP_CODE_HASH];
    int n = 0;

    for (int i = 0; i < STORE_TOTP_CODES; i++)
        n += memcmp(t->codes[i], zero, sizeof(zero)) != 0;
    return n;
}

int totp_confirm(struct store *st, const struct user *u, const struct user_keys *k,
                 const char *code, int64_t now,
                 char codes[STORE_TOTP_CODES][TOTP_RECOVERY_TEXT_LEN + 1])
{
    uint8_t secret[TOTP_SECRET_LEN];
    struct user_totp t;
    int64_t step = 0;
    int rc;

    memset(codes, 0, STORE_TOTP_CODES * (TOTP_RECOVERY_TEXT_LEN + 1));
    if ((rc = store_totp_get(st, u->id, &t)) != 0)
        return rc;
    if (t.enabled)
        return ERR_STATE;
    if ((rc = totp_secret_open(&t, k, secret)) == 0)
        rc = totp_check(secret, now, code, 0, &step);
    wipe(secret, sizeof(secret));
    if (rc != 0)
        return ERR_CRYPTO;
    t.enabled = true;
    t.last_step = step;
    t.updated_at = now;
    totp_recovery_issue(&t, codes);
    if ((rc = store_totp_update(st, &t)) != 0)
        wipe(codes, STORE_TOTP_CODES * (TOTP_RECOVERY_TEXT_LEN + 1));
    return rc;
}

int totp_verify(struct user_totp *t, const struct user_keys *k, const char *code,
                const char *recovery, int64_t now)
{
    uint8_t secret[TOTP_SECRET_LEN], hash[STORE_TOTP_CODE_HASH];
    char norm[RECOVERY_CHARS];
    int64_t step = 0;
    int found = -1, rc;

    if (!t->enabled)
        return ERR_CRYPTO;
    if (code != NULL) {
        if ((rc = totp_secret_open(t, k, secret)) == 0)
            rc = totp_check(secret, now, code, t->last_step, &step);
        wipe(secret, sizeof(secret));
        if (rc != 0)
            return ERR_CRYPTO;
        t->last_step = step;
        t->updated_at = now;
        return 0;
    }
    if (recovery == NULL || !recovery_normalise(recovery, norm)) {
        wipe(norm, sizeof(norm));
        return ERR_CRYPTO;
    }
    recovery_hash(t->user_id, norm, hash);
    wipe(norm, sizeof(norm));
    for (int i = 0; i < STORE_TOTP_CODES; i++)
        if (hash_equal(hash, t->codes[i], sizeof(hash)))
            found = i;
    if (found < 0)
        return ERR_CRYPTO;
    memset(t->codes[found], 0, STORE_TOTP_CODE_HASH);
    t->updated_at = now;
    return 0;
}

int totp_required_roles(const char *csv, const char *preset, unsigned *out, unsigned *passkey)
{
    char compact[256], *tok, *save = NULL;
    size_t n = 0;

    *out = 0;
    if (passkey != NULL)
        *passkey = 0;
    if (csv == NULL || *csv == '\0') {
        if (strcmp(preset, "state-dept") == 0)
            *out = ROLE_OFFICER | ROLE_PRINCIPAL | ROLE_ADMIN | ROLE_RECORDS;
        return 0;
    }
    for (; *csv != '\0'; csv++) {
        if (*csv == ' ' || *csv == '\t')
            continue;
        if (n + 1 >= sizeof(compact))
            return ERR_INVALID;
        compact[n++] = *csv;
    }
    compact[n] = '\0';
    if (strcmp(compact, "none") == 0)
        return 0;
    if (n == 0 || compact[0] == ',' || compact[n - 1] == ',' || strstr(compact, ",,") != NULL)
        return ERR_INVALID;
    /* "role" (any second factor) or "role:passkey" (a passkey), separated by commas */
    for (tok = strtok_r(compact, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        unsigned bit = 0;
        if (colon != NULL) {
            *colon = '\0';
            if (strcmp(colon + 1, "passkey") != 0 || passkey == NULL)
                return ERR_INVALID;
        }
        if (user_roles_parse(tok, &bit) != 0 || (*out & bit) != 0)
            return ERR_INVALID;
        *out |= bit;
        if (colon != NULL)
            *passkey |= bit;
    }
    return 0;
}
