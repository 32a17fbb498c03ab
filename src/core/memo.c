/*
 * memo.c - the memo's pure domain: life cycle, text rules, canonical text, digest and the texts
 * that co-signatures and replies sign (see memo.h and docs/formats.md).
 */
#include "core/memo.h"

#include "core/user.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/strutil.h"
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CANON_MAGIC "dissent-memo/v1\n"
#define CANON_MAGIC2 "dissent-memo/v2\n"
#define CANON_FILE "file "
#define CANON_ID "id "
#define CANON_TITLE "title "
#define COSIGN_MAGIC "dissent-cosignature/v1\n"
#define REPLY_MAGIC "dissent-reply/v1\n"
#define SIGNER_MAX 64 /* USERNAME_MAX; memo_cosign_parse() takes a 65-byte buffer */

static const char *const memo_state_names[MEMO_STATE_COUNT] = {
    [MEMO_DRAFT] = "draft",       [MEMO_OPEN] = "open",
    [MEMO_FILED] = "filed",       [MEMO_ACKNOWLEDGED] = "acknowledged",
    [MEMO_REPLIED] = "replied",   [MEMO_CLOSED] = "closed",
    [MEMO_DECLINED] = "declined", [MEMO_WITHDRAWN] = "withdrawn",
};

static const char *const memo_action_names[MEMO_ACTION_COUNT] = {
    [MEMO_EDIT] = "edit",       [MEMO_FINALIZE] = "finalize",
    [MEMO_REOPEN] = "reopen",   [MEMO_INVITE] = "invite",
    [MEMO_SIGN] = "sign",       [MEMO_UNSIGN] = "unsign",
    [MEMO_FILE] = "file",       [MEMO_ACKNOWLEDGE] = "acknowledge",
    [MEMO_DECLINE] = "decline", [MEMO_DISTRIBUTE] = "distribute",
    [MEMO_EXTEND] = "extend",   [MEMO_REPLY] = "reply",
    [MEMO_CLOSE] = "close",     [MEMO_WITHDRAW] = "withdraw",
    [MEMO_COMMENT] = "comment", [MEMO_DELETE] = "delete",
    [MEMO_ASSIGN] = "assign",   [MEMO_INTERIM] = "interim",
    [MEMO_ACCEPT] = "accept",   [MEMO_CLARIFY] = "clarify",
    [MEMO_NOTE] = "note",       [MEMO_REVIEW] = "review",
    [MEMO_APPROVE] = "approve",
};

/*
 * The life cycle of DESIGN.md as data: [state][action] is the state reached plus one, or 0 when
 * the action is illegal there (so that the many illegal cells can stay implicit).
 */
#define TO(s) ((unsigned char)((s) + 1))
static const unsigned char memo_moves[MEMO_STATE_COUNT][MEMO_ACTION_COUNT] = {
    [MEMO_DRAFT] =
        {
            [MEMO_EDIT] = TO(MEMO_DRAFT),
            [MEMO_FINALIZE] = TO(MEMO_OPEN),
            [MEMO_INVITE] = TO(MEMO_DRAFT),
            [MEMO_COMMENT] = TO(MEMO_DRAFT),
            [MEMO_DELETE] = TO(MEMO_DRAFT),
        },
    [MEMO_OPEN] =
        {
            [MEMO_REOPEN] = TO(MEMO_DRAFT),
            [MEMO_INVITE] = TO(MEMO_OPEN),
            [MEMO_SIGN] = TO(MEMO_OPEN),
            [MEMO_UNSIGN] = TO(MEMO_OPEN),
            [MEMO_FILE] = TO(MEMO_FILED),
            [MEMO_COMMENT] = TO(MEMO_OPEN),
            [MEMO_DELETE] = TO(MEMO_OPEN),
        },
    [MEMO_FILED] =
        {
            [MEMO_ACKNOWLEDGE] = TO(MEMO_ACKNOWLEDGED),
            [MEMO_DECLINE] = TO(MEMO_DECLINED),
            [MEMO_WITHDRAW] = TO(MEMO_WITHDRAWN),
            [MEMO_COMMENT] = TO(MEMO_FILED),
            [MEMO_ASSIGN] = TO(MEMO_FILED),
            [MEMO_NOTE] = TO(MEMO_FILED),
        },
    [MEMO_ACKNOWLEDGED] =
        {
            [MEMO_DISTRIBUTE] = TO(MEMO_ACKNOWLEDGED),
            [MEMO_EXTEND] = TO(MEMO_ACKNOWLEDGED),
            [MEMO_REPLY] = TO(MEMO_REPLIED),
            [MEMO_WITHDRAW] = TO(MEMO_WITHDRAWN),
            [MEMO_COMMENT] = TO(MEMO_ACKNOWLEDGED),
            [MEMO_ASSIGN] = TO(MEMO_ACKNOWLEDGED),
            [MEMO_INTERIM] = TO(MEMO_ACKNOWLEDGED),
            [MEMO_NOTE] = TO(MEMO_ACKNOWLEDGED),
            [MEMO_REVIEW] = TO(MEMO_ACKNOWLEDGED),
            [MEMO_APPROVE] = TO(MEMO_REPLIED),
        },
    [MEMO_REPLIED] =
        {
            [MEMO_DISTRIBUTE] = TO(MEMO_REPLIED),
            [MEMO_CLOSE] = TO(MEMO_CLOSED),
            [MEMO_COMMENT] = TO(MEMO_REPLIED),
            [MEMO_ASSIGN] = TO(MEMO_REPLIED),
            [MEMO_ACCEPT] = TO(MEMO_CLOSED),
            [MEMO_CLARIFY] = TO(MEMO_ACKNOWLEDGED),
            [MEMO_NOTE] = TO(MEMO_REPLIED),
        },
    /* closed, declined and withdrawn are final: nothing is legal there */
};
#undef TO

const char *memo_state_name(enum memo_state s)
{
    if ((unsigned)s >= MEMO_STATE_COUNT)
        return "unknown";
    return memo_state_names[s];
}

int memo_state_parse(const char *name, enum memo_state *out)
{
    if (name == NULL)
        return ERR_INVALID;
    for (unsigned i = 0; i < MEMO_STATE_COUNT; i++) {
        if (strcmp(name, memo_state_names[i]) == 0) {
            *out = (enum memo_state)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

const char *memo_action_name(enum memo_action a)
{
    if ((unsigned)a >= MEMO_ACTION_COUNT)
        return "unknown";
    return memo_action_names[a];
}

int memo_transition(enum memo_state from, enum memo_action action, enum memo_state *to)
{
    unsigned char move;

    *to = from;
    if ((unsigned)from >= MEMO_STATE_COUNT || (unsigned)action >= MEMO_ACTION_COUNT)
        return ERR_INVALID;
    move = memo_moves[from][action];
    if (move == 0)
        return ERR_STATE;
    *to = (enum memo_state)(move - 1);
    return 0;
}

/*
 * Decode the code point at @s[*i] of a string already known to be valid UTF-8 (so no checks).
 */
static uint32_t utf8_decode(const unsigned char *s, size_t *i)
{
    unsigned char c = s[*i];
    uint32_t cp;
    size_t n;

    if (c < 0x80) {
        *i += 1;
        return c;
    }
    if ((c & 0xE0) == 0xC0) {
        n = 1;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 2;
        cp = c & 0x0F;
    } else {
        n = 3;
        cp = c & 0x07;
    }
    for (size_t k = 1; k <= n; k++)
        cp = (cp << 6) | (s[*i + k] & 0x3F);
    *i += n + 1;
    return cp;
}

/* C0 controls, DEL and C1 controls (U+0080..U+009F). */
static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* The Unicode White_Space property (Unicode 15). */
static bool is_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

int memo_title_check(const char *title, size_t len)
{
    const unsigned char *s = (const unsigned char *)title;
    size_t i = 0, chars = 0;
    bool visible = false;

    if (title == NULL || len == 0 || len > MEMO_TITLE_MAX_BYTES || !str_utf8_valid(title, len))
        return ERR_INVALID;
    while (i < len) {
        uint32_t cp = utf8_decode(s, &i);

        /* U+2028 and U+2029 would break the title's single line in some renderers. */
        if (is_control(cp) || cp == 0x2028 || cp == 0x2029)
            return ERR_INVALID;
        if (!is_space(cp))
            visible = true;
        chars++;
    }
    if (chars > MEMO_TITLE_MAX_CHARS || !visible)
        return ERR_INVALID;
    return 0;
}

/*
 * The body rules without the size limit: valid UTF-8, no control character but tab, LF and
 * (when @cr_ok) CR.
 */
static int body_chars_check(const char *body, size_t len, bool cr_ok)
{
    const unsigned char *s = (const unsigned char *)body;
    size_t i = 0;

    if (len > 0 && (body == NULL || !str_utf8_valid(body, len)))
        return ERR_INVALID;
    while (i < len) {
        uint32_t cp = utf8_decode(s, &i);

        if (is_control(cp) && cp != '\t' && cp != '\n' && !(cp == '\r' && cr_ok))
            return ERR_INVALID;
    }
    return 0;
}

int memo_body_check(const char *body, size_t len)
{
    if (len > MEMO_BODY_MAX)
        return ERR_TOO_LARGE;
    return body_chars_check(body, len, true);
}

bool memo_referral_valid(const char *name)
{
    static const char *const names[] = {"grievance", "eeo", "inspector-general", "other"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

bool memo_id_valid(const char *id)
{
    if (id == NULL)
        return false;
    for (size_t i = 0; i < MEMO_ID_LEN; i++) {
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return false;
    }
    return id[MEMO_ID_LEN] == '\0';
}

void memo_id_new(char out[MEMO_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t raw[MEMO_ID_LEN / 2];

    random_bytes(raw, sizeof(raw));
    for (size_t i = 0; i < sizeof(raw); i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 0x0F];
    }
    out[MEMO_ID_LEN] = '\0';
}

/*
 * Copy @body into @dst with CRLF and lone CR turned into LF and exactly one final LF. Returns
 * the bytes written, at most @len + 1.
 */
static size_t body_normalise(char *dst, const char *body, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (body[i] == '\r') {
            dst[n++] = '\n';
            if (i + 1 < len && body[i + 1] == '\n')
                i++;
        } else {
            dst[n++] = body[i];
        }
    }
    while (n > 0 && dst[n - 1] == '\n')
        n--;
    dst[n++] = '\n';
    return n;
}

int memo_file_name_check(const char *name, size_t len)
{
    const unsigned char *s = (const unsigned char *)name;
    size_t i = 0;
    uint32_t cp = 0;

    if (name == NULL || len == 0 || len > MEMO_FILE_NAME_MAX || !str_utf8_valid(name, len) ||
        (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return ERR_INVALID;
    while (i < len) {
        size_t at = i;
        cp = utf8_decode(s, &i);
        if (is_control(cp) || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
            (cp >= 0x2066 && cp <= 0x2069) || cp == '/' || cp == '\\' || (at == 0 && is_space(cp)))
            return ERR_INVALID;
    }
    return is_space(cp) ? ERR_INVALID : 0; /* the last code point */
}

/* One part of a media type: 1..63 restricted-name characters, the first a letter or digit. */
static bool type_part(const char *s, size_t n)
{
    if (n == 0 || n > 63 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              strchr("!#$&^_.+-", s[i]) != NULL) ||
            s[i] == '\0')
            return false;
    return true;
}

int memo_file_type_check(const char *type)
{
    const char *slash;

    if (type == NULL || strlen(type) > MEMO_FILE_TYPE_MAX || (slash = strchr(type, '/')) == NULL)
        return ERR_INVALID;
    return type_part(type, (size_t)(slash - type)) && type_part(slash + 1, strlen(slash + 1))
               ? 0
               : ERR_INVALID;
}

/* Whether @files are acceptable as one memo's. */
static bool files_valid(const struct memo_file *files, size_t n)
{
    if (n > MEMO_FILES_MAX || (n > 0 && files == NULL))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (memo_file_name_check(files[i].name, strnlen(files[i].name, sizeof(files[i].name))) !=
                0 ||
            memo_file_type_check(files[i].type) != 0 || files[i].size > MEMO_FILE_SIZE_MAX)
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(files[i].name, files[j].name) == 0)
                return false;
    }
    return true;
}

/* The longest line file_line() writes. */
#define FILE_LINE_MAX                                                                              \
    (sizeof(CANON_FILE) + MEMO_DIGEST_B64_LEN + 1 + 20 + 1 + MEMO_FILE_TYPE_MAX + 1 +              \
     MEMO_FILE_NAME_MAX + 1)

/* One file's line into @buf (enough room: memo_canonical_files() counted), its length. */
static size_t file_line(char *buf, const struct memo_file *f)
{
    char b64[MEMO_DIGEST_B64_LEN + 1];
    size_t n;

    b64_encode(b64, sizeof(b64), f->sha256, HASH_SHA256_LEN, false);
    n = (size_t)snprintf(buf, FILE_LINE_MAX, CANON_FILE "%s %llu %s ", b64,
                         (unsigned long long)f->size, f->type);
    memcpy(buf + n, f->name, strlen(f->name));
    n += strlen(f->name);
    buf[n++] = '\n';
    return n;
}

int memo_canonical_text(const char *id, const char *title, size_t title_len, const char *body,
                        size_t body_len, char **out, size_t *outlen)
{
    return memo_canonical_files(id, title, title_len, body, body_len, NULL, 0, out, outlen);
}

int memo_canonical_files(const char *id, const char *title, size_t title_len, const char *body,
                         size_t body_len, const struct memo_file *files, size_t nfiles, char **out,
                         size_t *outlen)
{
    const size_t magic_len = sizeof(CANON_MAGIC) - 1, id_len = sizeof(CANON_ID) - 1,
                 title_kw_len = sizeof(CANON_TITLE) - 1;
    char *buf = NULL;
    size_t cap, n = 0;
    int rc = 0;

    *out = NULL;
    *outlen = 0;
    if (!memo_id_valid(id) || memo_title_check(title, title_len) != 0 ||
        memo_body_check(body, body_len) != 0 || !files_valid(files, nfiles)) {
        rc = ERR_INVALID;
        goto out;
    }
    cap = magic_len + id_len + MEMO_ID_LEN + 1 + title_kw_len + title_len + 2 + body_len + 1 +
          nfiles * FILE_LINE_MAX;
    buf = mem_alloc(cap + 1);
    if (buf == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    memcpy(buf + n, nfiles > 0 ? CANON_MAGIC2 : CANON_MAGIC, magic_len);
    n += magic_len;
    memcpy(buf + n, CANON_ID, id_len);
    n += id_len;
    memcpy(buf + n, id, MEMO_ID_LEN);
    n += MEMO_ID_LEN;
    buf[n++] = '\n';
    memcpy(buf + n, CANON_TITLE, title_kw_len);
    n += title_kw_len;
    memcpy(buf + n, title, title_len);
    n += title_len;
    buf[n++] = '\n';
    for (size_t i = 0; i < nfiles; i++)
        n += file_line(buf + n, &files[i]);
    buf[n++] = '\n';
    n += body_normalise(buf + n, body, body_len);
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    buf = NULL;
out:
    mem_free(buf);
    return rc;
}

/* Whether @s[0..@len) starts with the NUL-terminated @prefix. */
static bool has_prefix(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);

    return len >= n && memcmp(s, prefix, n) == 0;
}

/*
 * Parse one file line @s (@n bytes, without its LF) into @f: "file " B64 " " SIZE " " TYPE " "
 * NAME, each part as file_line() writes it. 0 or ERR_INVALID.
 */
static int parse_file_line(const char *s, size_t n, struct memo_file *f)
{
    const size_t kw = sizeof(CANON_FILE) - 1;
    const char *p, *sp, *end = s + n;
    char b64[MEMO_DIGEST_B64_LEN + 1], again[MEMO_DIGEST_B64_LEN + 1];
    size_t got = 0;
    unsigned long long size = 0;

    memset(f, 0, sizeof(*f));
    if (n < kw + MEMO_DIGEST_B64_LEN + 1 || memchr(s, '\0', n) != NULL ||
        memcmp(s, CANON_FILE, kw) != 0 || s[kw + MEMO_DIGEST_B64_LEN] != ' ')
        return ERR_INVALID;
    memcpy(b64, s + kw, MEMO_DIGEST_B64_LEN);
    b64[MEMO_DIGEST_B64_LEN] = '\0';
    if (b64_decode(f->sha256, sizeof(f->sha256), &got, b64, MEMO_DIGEST_B64_LEN, false) != 0 ||
        got != HASH_SHA256_LEN)
        return ERR_INVALID;
    b64_encode(again, sizeof(again), f->sha256, HASH_SHA256_LEN, false);
    if (strcmp(again, b64) != 0)
        return ERR_INVALID; /* one encoding only */
    p = s + kw + MEMO_DIGEST_B64_LEN + 1;
    /* the size: decimal, no sign, no leading zero */
    sp = memchr(p, ' ', (size_t)(end - p));
    if (sp == NULL || sp == p || (size_t)(sp - p) > 16 || (p[0] == '0' && sp - p > 1))
        return ERR_INVALID;
    for (const char *q = p; q < sp; q++) {
        if (*q < '0' || *q > '9')
            return ERR_INVALID;
        size = size * 10 + (unsigned long long)(*q - '0');
    }
    if (size > MEMO_FILE_SIZE_MAX)
        return ERR_INVALID;
    f->size = size;
    p = sp + 1;
    /* the type, then the name: the rest of the line */
    sp = memchr(p, ' ', (size_t)(end - p));
    if (sp == NULL || (size_t)(sp - p) > MEMO_FILE_TYPE_MAX)
        return ERR_INVALID;
    memcpy(f->type, p, (size_t)(sp - p));
    f->type[sp - p] = '\0';
    p = sp + 1;
    if (memo_file_type_check(f->type) != 0 || memo_file_name_check(p, (size_t)(end - p)) != 0)
        return ERR_INVALID;
    memcpy(f->name, p, (size_t)(end - p));
    f->name[end - p] = '\0';
    return 0;
}

/*
 * The file lines of a v2 text from @s (@len bytes left after the title line): each parsed into
 * @files (when not NULL, room for MEMO_FILES_MAX), their count in *@n, and the bytes they take
 * in *@used (the empty line after them not included). ERR_INVALID for a bad line, no line at
 * all, too many, or a name twice.
 */
static int file_lines(const char *s, size_t len, struct memo_file *files, size_t *n, size_t *used)
{
    struct memo_file one;
    size_t at = 0, k = 0;

    *n = 0;
    *used = 0;
    while (at < len && s[at] != '\n') {
        const char *nl = memchr(s + at, '\n', len - at);
        struct memo_file *f = files ? &files[k] : &one;

        if (nl == NULL || k == MEMO_FILES_MAX ||
            parse_file_line(s + at, (size_t)(nl - (s + at)), f) != 0)
            return ERR_INVALID;
        if (files != NULL)
            for (size_t j = 0; j < k; j++)
                if (strcmp(files[j].name, f->name) == 0)
                    return ERR_INVALID;
        k++;
        at = (size_t)(nl - s) + 1;
    }
    if (k == 0)
        return ERR_INVALID;
    *n = k;
    *used = at;
    return 0;
}

int memo_canonical_split(const char *text, size_t len, char id[MEMO_ID_LEN + 1], const char **title,
                         size_t *title_len, const char **body, size_t *body_len)
{
    struct memo_file *files = NULL;
    size_t nfiles = 0, used = 0;
    bool v2;
    const size_t head = sizeof(CANON_MAGIC) - 1 + sizeof(CANON_ID) - 1 + MEMO_ID_LEN + 1;
    const char *t, *nl, *b;
    size_t rest, tlen, blen;
    char idbuf[MEMO_ID_LEN + 1];
    int rc = ERR_INVALID;

    id[0] = '\0';
    *title = NULL;
    *title_len = 0;
    *body = NULL;
    *body_len = 0;
    if (text == NULL ||
        !(has_prefix(text, len, CANON_MAGIC CANON_ID) ||
          has_prefix(text, len, CANON_MAGIC2 CANON_ID)) ||
        len < head || text[head - 1] != '\n')
        goto out;
    v2 = text[sizeof(CANON_MAGIC) - 3] == '2';
    memcpy(idbuf, text + head - 1 - MEMO_ID_LEN, MEMO_ID_LEN);
    idbuf[MEMO_ID_LEN] = '\0';
    if (!memo_id_valid(idbuf))
        goto out;
    t = text + head;
    rest = len - head;
    if (!has_prefix(t, rest, CANON_TITLE))
        goto out;
    t += sizeof(CANON_TITLE) - 1;
    rest -= sizeof(CANON_TITLE) - 1;
    nl = memchr(t, '\n', rest);
    if (nl == NULL)
        goto out;
    tlen = (size_t)(nl - t);
    if (memo_title_check(t, tlen) != 0 || rest < tlen + 2)
        goto out;
    if (v2) {
        /* names must be told apart: parse into a scratch array */
        if ((files = mem_calloc(MEMO_FILES_MAX, sizeof(*files))) == NULL) {
            rc = ERR_NOMEM;
            goto out;
        }
        if (file_lines(nl + 1, rest - tlen - 1, files, &nfiles, &used) != 0)
            goto out;
    }
    if (rest < tlen + 2 + used || nl[1 + used] != '\n')
        goto out;
    b = nl + 2 + used;
    blen = rest - tlen - 2 - used;
    /*
     * A canonical body: what body_normalise() makes of an acceptable body. That is one final
     * LF and no other trailing LF (the empty body is "\n"), no CR, and at most MEMO_BODY_MAX
     * bytes before the final LF.
     */
    if (blen == 0 || blen > MEMO_BODY_MAX + 1 || b[blen - 1] != '\n' ||
        (blen >= 2 && b[blen - 2] == '\n') || body_chars_check(b, blen, false) != 0)
        goto out;
    memcpy(id, idbuf, sizeof(idbuf));
    *title = t;
    *title_len = tlen;
    *body = b;
    *body_len = blen;
    rc = 0;
out:
    mem_free(files);
    return rc;
}

int memo_canonical_list(const char *text, size_t len, struct memo_file **files, size_t *n)
{
    char id[MEMO_ID_LEN + 1];
    const char *t, *b, *nl;
    size_t tl, bl, used = 0;
    struct memo_file *all = NULL;
    int rc;

    *files = NULL;
    *n = 0;
    if ((rc = memo_canonical_split(text, len, id, &t, &tl, &b, &bl)) != 0)
        return rc;
    if (text[sizeof(CANON_MAGIC) - 3] != '2')
        return 0;
    if ((all = mem_calloc(MEMO_FILES_MAX, sizeof(*all))) == NULL)
        return ERR_NOMEM;
    nl = t + tl;
    rc = file_lines(nl + 1, (size_t)(b - nl - 1), all, n, &used);
    if (rc != 0) {
        mem_free(all);
        *n = 0;
        return rc;
    }
    *files = all;
    return 0;
}

void memo_digest(const char *canon, size_t len, uint8_t out[HASH_SHA256_LEN])
{
    hash_sha256(out, canon, len);
}

void memo_digest_b64(const uint8_t digest[HASH_SHA256_LEN], char out[MEMO_DIGEST_B64_LEN + 1])
{
    b64_encode(out, MEMO_DIGEST_B64_LEN + 1, digest, HASH_SHA256_LEN, false);
}

/* snprintf() into @out, mapping truncation to ERR_TOO_LARGE with @out emptied. */
static int text_finish(int n, char *out, size_t outlen)
{
    if (n < 0 || (size_t)n >= outlen) {
        if (outlen > 0)
            out[0] = '\0';
        return ERR_TOO_LARGE;
    }
    return 0;
}

int memo_cosign_text(const char *id, const uint8_t digest[HASH_SHA256_LEN], const char *signer,
                     char *out, size_t outlen)
{
    char b64[MEMO_DIGEST_B64_LEN + 1];

    if (outlen > 0)
        out[0] = '\0';
    if (!memo_id_valid(id) || signer == NULL || !user_username_valid(signer))
        return ERR_INVALID;
    memo_digest_b64(digest, b64);
    return text_finish(
        snprintf(out, outlen, COSIGN_MAGIC "memo %s\ndigest %s\nsigner %s\n", id, b64, signer), out,
        outlen);
}

/*
 * Read the line "@key VALUE\n" at *@p (of *@rest bytes): set @val/@vlen to VALUE and move past
 * the line. 0 or ERR_INVALID.
 */
static int line_take(const char **p, size_t *rest, const char *key, const char **val, size_t *vlen)
{
    size_t klen = strlen(key);
    const char *nl;

    if (*rest < klen + 1 || memcmp(*p, key, klen) != 0 || (*p)[klen] != ' ')
        return ERR_INVALID;
    nl = memchr(*p + klen + 1, '\n', *rest - klen - 1);
    if (nl == NULL)
        return ERR_INVALID;
    *val = *p + klen + 1;
    *vlen = (size_t)(nl - *val);
    *rest -= (size_t)(nl + 1 - *p);
    *p = nl + 1;
    return 0;
}

/* Decode the canonical base64 of a digest (exactly what memo_digest_b64() writes). */
static int digest_b64_parse(const char *s, size_t len, uint8_t out[HASH_SHA256_LEN])
{
    char again[MEMO_DIGEST_B64_LEN + 1];
    size_t n = 0;

    if (len != MEMO_DIGEST_B64_LEN || b64_decode(out, HASH_SHA256_LEN, &n, s, len, false) != 0 ||
        n != HASH_SHA256_LEN)
        return ERR_INVALID;
    memo_digest_b64(out, again);
    if (memcmp(again, s, MEMO_DIGEST_B64_LEN) != 0)
        return ERR_INVALID;
    return 0;
}

int memo_cosign_parse(const char *text, size_t len, char id[MEMO_ID_LEN + 1],
                      uint8_t digest[HASH_SHA256_LEN], char signer[65])
{
    const char *p = text, *v;
    size_t rest = len, vlen;
    char idbuf[MEMO_ID_LEN + 1], who[SIGNER_MAX + 1];
    uint8_t d[HASH_SHA256_LEN];
    int rc = ERR_INVALID;

    id[0] = '\0';
    signer[0] = '\0';
    memset(digest, 0, HASH_SHA256_LEN);
    if (text == NULL || !has_prefix(text, len, COSIGN_MAGIC))
        goto out;
    p += sizeof(COSIGN_MAGIC) - 1;
    rest -= sizeof(COSIGN_MAGIC) - 1;
    if (line_take(&p, &rest, "memo", &v, &vlen) != 0 || vlen != MEMO_ID_LEN)
        goto out;
    memcpy(idbuf, v, MEMO_ID_LEN);
    idbuf[MEMO_ID_LEN] = '\0';
    if (!memo_id_valid(idbuf))
        goto out;
    if (line_take(&p, &rest, "digest", &v, &vlen) != 0 || digest_b64_parse(v, vlen, d) != 0)
        goto out;
    if (line_take(&p, &rest, "signer", &v, &vlen) != 0 || vlen == 0 || vlen > SIGNER_MAX ||
        rest != 0)
        goto out;
    memcpy(who, v, vlen);
    who[vlen] = '\0';
    if (!user_username_valid(who))
        goto out;
    memcpy(id, idbuf, sizeof(idbuf));
    memcpy(digest, d, sizeof(d));
    memcpy(signer, who, vlen + 1);
    rc = 0;
out:
    return rc;
}

int memo_reply_text(const char *id, const uint8_t memo_digest[HASH_SHA256_LEN],
                    const uint8_t reply_digest[HASH_SHA256_LEN], char *out, size_t outlen)
{
    char md[MEMO_DIGEST_B64_LEN + 1], rd[MEMO_DIGEST_B64_LEN + 1];

    if (outlen > 0)
        out[0] = '\0';
    if (!memo_id_valid(id))
        return ERR_INVALID;
    memo_digest_b64(memo_digest, md);
    memo_digest_b64(reply_digest, rd);
    return text_finish(
        snprintf(out, outlen, REPLY_MAGIC "memo %s\ndigest %s\nreply %s\n", id, md, rd), out,
        outlen);
}
