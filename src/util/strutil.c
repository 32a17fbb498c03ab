#include "util/strutil.h"

#include "util/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int str_copy(char *dst, size_t len, const char *src)
{
    size_t n = strlen(src);

    if (len == 0)
        return ERR_TOO_LARGE;
    if (n >= len) {
        memcpy(dst, src, len - 1);
        dst[len - 1] = '\0';
        return ERR_TOO_LARGE;
    }
    memcpy(dst, src, n + 1);
    return 0;
}

int str_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end = NULL;
    long long v;

    if (s == NULL || *s == '\0')
        return ERR_INVALID;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return ERR_INVALID;
    *out = v;
    return 0;
}

int str_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return ERR_INVALID;
}

int str_parse_hostport(const char *s, char *host, size_t hostlen, int *port)
{
    const char *colon, *h = s;
    size_t hl;
    int64_t p;

    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (rb == NULL || rb[1] != ':')
            return ERR_INVALID;
        h = s + 1;
        hl = (size_t)(rb - h);
        colon = rb + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return ERR_INVALID;
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= hostlen)
        return ERR_INVALID;
    if (str_parse_i64(colon + 1, 0, 65535, &p) != 0)
        return ERR_INVALID;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return 0;
}

bool str_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;

        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= len)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        /* overlong forms, surrogates, beyond Unicode */
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return false;
        i += n + 1;
    }
    return true;
}

bool str_blank(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

void str_fold(char *str, size_t len)
{
    unsigned char *s = (unsigned char *)str;

    for (size_t i = 0; i < len; i++) {
        if (s[i] >= 'A' && s[i] <= 'Z')
            s[i] = (unsigned char)(s[i] + 32);
        else if (s[i] == 0xC3 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9E &&
                 s[i + 1] != 0x97) /* U+00C0-U+00DE, not the multiplication sign */
            s[++i] += 0x20;
    }
}

bool str_contains(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    if (nlen == 0)
        return true;
    for (size_t i = 0; i + nlen <= hlen; i++)
        if (((unsigned char)hay[i] & 0xC0) != 0x80 && hay[i] == needle[0] &&
            memcmp(hay + i, needle, nlen) == 0)
            return true;
    return false;
}

void str_hex_groups(char *out, const uint8_t *raw, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        if (i > 0 && i % 4 == 0)
            out[o++] = '-';
        snprintf(out + o, 3, "%02x", raw[i]);
        o += 2;
    }
    out[o] = '\0';
}

void str_hex(char *out, size_t outlen, const uint8_t *raw, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n && o + 3 <= outlen; i++, o += 2)
        snprintf(out + o, 3, "%02x", raw[i]);
    if (outlen > 0)
        out[o < outlen ? o : outlen - 1] = '\0';
}

bool str_hex_groups_parse(const char *text, uint8_t *raw, size_t n)
{
    size_t digits = 0;

    for (const char *p = text; *p; p++) {
        int v;
        if (*p == '-' || *p == ' ')
            continue;
        if (*p >= '0' && *p <= '9')
            v = *p - '0';
        else if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f')
            v = (*p | 0x20) - 'a' + 10;
        else
            return false;
        if (digits >= 2 * n)
            return false;
        raw[digits / 2] = (uint8_t)(digits % 2 ? (raw[digits / 2] | v) : (v << 4));
        digits++;
    }
    return digits == 2 * n;
}

/*
 * Whether @v is a plain email address for an SMTP envelope and a header: local@domain, 3..254
 * printable ASCII characters without spaces, angle brackets, quotes, commas or line breaks (no
 * header injection).
 */
bool str_email_valid(const char *v)
{
    size_t n = strlen(v);
    const char *at = strchr(v, '@');

    if (n < 3 || n > 254 || at == NULL || at == v || at[1] == '\0' || strchr(at + 1, '@'))
        return false;
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f || strchr("<>()[]\\,;:\"", c) != NULL)
            return false;
    }
    return true;
}
