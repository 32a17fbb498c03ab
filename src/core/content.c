#include "core/content.h"

#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/seal.h"
#include "util/err.h"
#include "util/mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define FRAME_HEAD 12u       /* version (8) and length (4) */
#define FRAME_MAX (1u << 31) /* no text of ours comes near it */
#define AD_MAX 256           /* see ad_for(): an id, a field, a kind, two numbers */

_Static_assert(CONTENT_KEY_LEN == SEAL_KEY_LEN, "a content key is a seal key");

/* The associated data of a text at @place (content.h); its length, or -1 when it does not fit. */
static int ad_for(char *ad, size_t cap, const char *id, const struct content_place *p)
{
    int n = snprintf(ad, cap, "dissent-content/2\n%s\n%s\n%s\n%" PRId64 "\n%" PRId64, id, p->field,
                     p->kind ? p->kind : "-", p->who, p->at);

    return n < 0 || (size_t)n >= cap ? -1 : n;
}

size_t content_padded(size_t len)
{
    size_t need = len + FRAME_HEAD, size = CONTENT_PAD_MIN;

    while (size < need)
        size <<= 1;
    return size;
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int bytes)
{
    uint64_t v = 0;

    for (int i = 0; i < bytes; i++)
        v = v << 8 | p[i];
    return v;
}

int content_seal(const uint8_t key[CONTENT_KEY_LEN], const char *id,
                 const struct content_place *place, uint64_t version, const void *text, size_t len,
                 uint8_t **out, size_t *outlen)
{
    char ad[AD_MAX];
    uint8_t *frame;
    size_t size;
    int rc;

    *out = NULL;
    *outlen = 0;
    if (len >= FRAME_MAX - FRAME_HEAD || ad_for(ad, sizeof(ad), id, place) < 0)
        return ERR_INVALID;
    size = content_padded(len);
    if ((frame = mem_calloc(1, size)) == NULL)
        return ERR_NOMEM;
    put_be(frame, version, 8);
    put_be(frame + 8, len, 4);
    if (len > 0)
        memcpy(frame + FRAME_HEAD, text, len);
    rc = seal_encrypt(key, ad, frame, size, out, outlen);
    wipe(frame, size);
    mem_free(frame);
    return rc;
}

/* The older format: associated data "<id>/<field>", the text alone. */
static int open_v1(const uint8_t key[CONTENT_KEY_LEN], const char *id, const char *field,
                   const uint8_t *in, size_t len, char **out, size_t *outlen)
{
    char ad[AD_MAX];

    if (snprintf(ad, sizeof(ad), "%s/%s", id, field) >= (int)sizeof(ad))
        return ERR_CRYPTO;
    return seal_decrypt(key, ad, in, len, out, outlen);
}

int content_open(const uint8_t key[CONTENT_KEY_LEN], const char *id,
                 const struct content_place *place, const uint8_t *in, size_t len, char **out,
                 size_t *outlen, uint64_t *version)
{
    char ad[AD_MAX], *frame = NULL;
    size_t n = 0, tlen;
    int rc;

    *out = NULL;
    *outlen = 0;
    if (version != NULL)
        *version = 0;
    if (in == NULL)
        return 0;
    if (ad_for(ad, sizeof(ad), id, place) < 0)
        return ERR_CRYPTO;
    rc = seal_decrypt(key, ad, in, len, &frame, &n);
    if (rc == ERR_CRYPTO) /* only a memo created before the upgrade has one (content.h) */
        return open_v1(key, id, place->field, in, len, out, outlen);
    if (rc != 0)
        return rc;
    /* authentic, so made by us: still, a frame that does not parse is refused, not trusted */
    if (n < FRAME_HEAD || (tlen = (size_t)get_be((uint8_t *)frame + 8, 4)) > n - FRAME_HEAD) {
        rc = ERR_CRYPTO;
        goto out;
    }
    if (version != NULL)
        *version = get_be((uint8_t *)frame, 8);
    memmove(frame, frame + FRAME_HEAD, tlen);
    wipe(frame + tlen, n - tlen);
    frame[tlen] = '\0';
    *out = frame;
    *outlen = tlen;
    return 0;
out:
    wipe(frame, n);
    mem_free(frame);
    return rc;
}

int content_seal_text(const uint8_t key[CONTENT_KEY_LEN], const char *id,
                      const struct content_place *place, const char *text, char **out)
{
    uint8_t *ct = NULL;
    size_t ctlen = 0, b64len;
    int rc;

    *out = NULL;
    if ((rc = content_seal(key, id, place, 0, text, strlen(text), &ct, &ctlen)) != 0)
        return rc;
    b64len = b64_encoded_len(ctlen, false);
    *out = mem_alloc(4 + b64len);
    if (*out != NULL) {
        memcpy(*out, "enc:", 4);
        b64_encode(*out + 4, b64len, ct, ctlen, false);
    }
    mem_free(ct);
    return *out != NULL ? 0 : ERR_NOMEM;
}

int content_open_text(const uint8_t key[CONTENT_KEY_LEN], const char *id,
                      const struct content_place *place, const char *text, char **out)
{
    size_t len = strlen(text), n = 0, plen = 0;
    uint8_t *ct;
    int rc;

    *out = NULL;
    if (strncmp(text, "enc:", 4) != 0)
        return ERR_CRYPTO;
    if ((ct = mem_alloc(len)) == NULL)
        return ERR_NOMEM;
    if (b64_decode(ct, len, &n, text + 4, len - 4, false) != 0)
        rc = ERR_CRYPTO;
    else
        rc = content_open(key, id, place, ct, n, out, &plen, NULL);
    mem_free(ct);
    return rc;
}
