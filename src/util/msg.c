/*
 * msg.c - the server's messages in their reader's language (see msg.h).
 */
#include "util/msg.h"

#include "util/err.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define CODE_MAX 8
#define ACCEPT_MAX 1024
#define ACCEPT_RANGES 32

static __thread struct {
    int (*choose)(void *arg, char *out, size_t len, bool *final);
    void *arg;
    bool chosen; /* @code is final */
    bool busy;   /* @choose runs: its own messages are English */
    char code[CODE_MAX];
} cur;

static int by_text(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

/* The catalog of @code, or NULL for English and unknown codes. */
static const struct msg_catalog *catalog(const char *code)
{
    if (code == NULL || code[0] == '\0' || strcmp(code, "en") == 0)
        return NULL;
    for (unsigned c = 0; c < msg_catalog_count; c++)
        if (strcmp(msg_catalogs[c].code, code) == 0)
            return &msg_catalogs[c];
    return NULL;
}

/* @english's row in the tables, or -1. */
static long row(const char *english)
{
    const char *const *hit;

    if (english == NULL)
        return -1;
    hit = bsearch(english, msg_english, msg_count, sizeof(msg_english[0]), by_text);
    return hit != NULL ? hit - msg_english : -1;
}

const char *msg_in(const char *code, const char *english)
{
    const struct msg_catalog *cat = catalog(code);
    long r;

    if (cat == NULL || (r = row(english)) < 0 || cat->text[r][MSG_OTHER] == NULL)
        return english;
    return cat->text[r][MSG_OTHER];
}

const char *msg_in_n(const char *code, unsigned long long n, const char *one, const char *other)
{
    const struct msg_catalog *cat = catalog(code);
    const char *form;
    long r;

    if (cat == NULL || (r = row(other)) < 0 || msg_english_one[r] == NULL)
        return n == 1 ? one : other;
    form = cat->text[r][msg_plural(code, n)];
    return form != NULL ? form : (n == 1 ? one : other);
}

bool msg_known(const char *code)
{
    return code != NULL && (strcmp(code, "en") == 0 || catalog(code) != NULL);
}

/* This thread's language, chosen now if it was not: NULL for English. */
static const char *thread_code(void)
{
    if (cur.choose != NULL && !cur.chosen && !cur.busy) {
        char code[CODE_MAX] = "";
        bool final = false;
        cur.busy = true;
        if (cur.choose(cur.arg, code, sizeof(code), &final) != 0)
            code[0] = '\0';
        cur.busy = false;
        memcpy(cur.code, code, sizeof(code));
        cur.code[CODE_MAX - 1] = '\0';
        cur.chosen = final;
    }
    return (cur.busy || cur.choose == NULL) ? NULL : cur.code;
}

const char *tr(const char *english)
{
    return msg_in(thread_code(), english);
}

const char *trn(unsigned long long n, const char *one, const char *other)
{
    return msg_in_n(thread_code(), n, one, other);
}

void msg_thread_chooser(int (*choose)(void *arg, char *out, size_t len, bool *final), void *arg)
{
    cur.choose = choose;
    cur.arg = arg;
    cur.chosen = false;
    cur.busy = false;
    cur.code[0] = '\0';
}

/* One range of Accept-Language: its language tag's primary subtag (lowercase) and quality
 * (0..1000). 0 on success; ERR_INVALID for a range that is not one (it is skipped). */
static int one_range(const char *s, size_t n, char *primary, size_t plen, int *q)
{
    size_t i = 0, k = 0;

    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    while (i < n && isalpha((unsigned char)s[i]) && k + 1 < plen)
        primary[k++] = (char)tolower((unsigned char)s[i++]);
    primary[k] = '\0';
    if (k == 0 && i < n && s[i] == '*')
        i++; /* "*": any language; it names none of ours */
    while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '-'))
        i++;
    *q = 1000;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i == n)
        return k > 0 ? 0 : ERR_INVALID;
    if (s[i] != ';')
        return ERR_INVALID;
    i++;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i + 1 >= n || (s[i] != 'q' && s[i] != 'Q') || s[i + 1] != '=')
        return ERR_INVALID;
    i += 2;
    /* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
    if (i >= n || (s[i] != '0' && s[i] != '1'))
        return ERR_INVALID;
    int v = (s[i] - '0') * 1000, scale = 100;
    i++;
    if (i < n && s[i] == '.') {
        i++;
        for (int d = 0; d < 3 && i < n && isdigit((unsigned char)s[i]); d++, i++, scale /= 10)
            v += (s[i] - '0') * scale;
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i != n || v > 1000)
        return ERR_INVALID;
    *q = v;
    return k > 0 ? 0 : ERR_INVALID;
}

int msg_accept_language(const char *header, bool (*known)(const char *code), char *out, size_t len)
{
    int best_q = 0;
    unsigned ranges = 0;
    size_t hlen;

    if (out == NULL || len == 0)
        return ERR_INVALID;
    out[0] = '\0';
    if (header == NULL || (hlen = strnlen(header, ACCEPT_MAX + 1)) > ACCEPT_MAX)
        return ERR_NOT_FOUND;
    for (const char *s = header, *end = header + hlen; s < end && ranges < ACCEPT_RANGES;
         ranges++) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        size_t n = comma ? (size_t)(comma - s) : (size_t)(end - s);
        char primary[CODE_MAX];
        int q;
        /* the first of the best quality wins: a later range must be strictly better */
        if (one_range(s, n, primary, sizeof(primary), &q) == 0 && q > best_q && known(primary) &&
            strlen(primary) < len) {
            memcpy(out, primary, strlen(primary) + 1);
            best_q = q;
        }
        s += n + (comma != NULL);
    }
    return best_q > 0 ? 0 : ERR_NOT_FOUND;
}

/* CLDR's plural rules (plurals.xml) for whole numbers: i = n, v = 0. */
enum msg_plural msg_plural(const char *code, unsigned long long n)
{
    if (code != NULL && strcmp(code, "ar") == 0) {
        unsigned long long m = n % 100;
        if (n == 0)
            return MSG_ZERO;
        if (n == 1)
            return MSG_ONE;
        if (n == 2)
            return MSG_TWO;
        if (m >= 3 && m <= 10)
            return MSG_FEW;
        if (m >= 11 && m <= 99)
            return MSG_MANY;
        return MSG_OTHER;
    }
    if (code != NULL && (strcmp(code, "fr") == 0 || strcmp(code, "es") == 0)) {
        /* fr: one: i = 0,1; es: one: n = 1. many: e = 0 and i != 0 and i % 1000000 = 0 */
        if (n == 1 || (n == 0 && code[0] == 'f'))
            return MSG_ONE;
        if (n != 0 && n % 1000000 == 0)
            return MSG_MANY;
        return MSG_OTHER;
    }
    /* en, de: one: i = 1 and v = 0 */
    return n == 1 ? MSG_ONE : MSG_OTHER;
}

const char *msg_plural_name(enum msg_plural p)
{
    static const char *const names[] = {"zero", "one", "two", "few", "many", "other"};
    return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "other";
}
