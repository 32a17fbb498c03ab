#include "core/ledger.h"

#include "core/workdays.h"
#include "crypto/hash.h"
#include "util/err.h"
#include "util/strutil.h"

#include <stdio.h>
#include <string.h>

static const char *const event_names[LEDGER_EVENT_COUNT] = {
    "filed",           "acknowledged",      "declined",        "distributed",
    "extended",        "replied",           "closed",          "withdrawn",
    "reset",           "reset-confirmed",   "officer-added",   "officer-removed",
    "principal-added", "principal-removed", "channel-granted", "channel-revoked",
    "keys-bound",      "head-added",        "head-removed",    "rescheduled",
    "clarification",   "escalated",         "closure-added",   "closure-removed",
    "clock-stopped",   "clock-resumed",     "exported",        "held",
    "released",        "shredded",          "audit-head",      "channel-changed",
};

bool ledger_event_account(enum ledger_event e)
{
    return e >= LEDGER_RESET && e <= LEDGER_ACCOUNT_LAST;
}

bool ledger_event_calendar(enum ledger_event e)
{
    return e >= LEDGER_CLOSURE_ADDED && e <= LEDGER_CLOCK_RESUMED;
}

bool ledger_event_records(enum ledger_event e)
{
    return e >= LEDGER_EXPORTED && e <= LEDGER_SHREDDED;
}

const char *ledger_event_name(enum ledger_event e)
{
    return (unsigned)e < LEDGER_EVENT_COUNT ? event_names[e] : NULL;
}

int ledger_event_parse(const char *name, enum ledger_event *out)
{
    for (int i = 0; i < LEDGER_EVENT_COUNT; i++) {
        if (strcmp(name, event_names[i]) == 0) {
            *out = (enum ledger_event)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

static bool has_reply_due(enum ledger_event e)
{
    return e == LEDGER_FILED || e == LEDGER_ACKNOWLEDGED || e == LEDGER_EXTENDED ||
           e == LEDGER_RESCHEDULED || e == LEDGER_CLARIFICATION;
}

/* Append "KEY D" for the day @d. */
static int put(char *out, size_t *o, const char *key, const char *value);
static int put_day(char *out, size_t *o, const char *key, int64_t d)
{
    char day[WORKDAYS_ISO_SIZE];

    if (workdays_day_format(d, day, sizeof(day)) != 0)
        return ERR_INVALID;
    return put(out, o, key, day);
}

/* Append "KEY VALUE\n" (or just "KEY\n" when @value is NULL); ERR_TOO_LARGE if it won't fit. */
static int put(char *out, size_t *o, const char *key, const char *value)
{
    int n = value ? snprintf(out + *o, LEDGER_ENTRY_MAX - *o, "%s %s\n", key, value)
                  : snprintf(out + *o, LEDGER_ENTRY_MAX - *o, "%s\n", key);

    if (n < 0 || (size_t)n >= LEDGER_ENTRY_MAX - *o)
        return ERR_TOO_LARGE;
    *o += (size_t)n;
    return 0;
}

int ledger_entry_format(const struct ledger_entry *e, char out[LEDGER_ENTRY_MAX], size_t *len)
{
    char tag[2 * LEDGER_TAG_LEN + 1], day[WORKDAYS_ISO_SIZE], num[24], b64[48];
    size_t o = 0;
    int rc;

    *len = 0;
    if (ledger_event_name(e->event) == NULL || workdays_day_format(e->day, day, sizeof(day)) != 0)
        return ERR_INVALID;
    for (int i = 0; i < LEDGER_TAG_LEN; i++)
        snprintf(tag + 2 * i, 3, "%02x", e->tag[i]);
    /* a memo event of channel 2 and later names its channel, as does a grant or revocation of
     * that channel's key, and a role of that channel gained or lost; channel 1's, and every
     * other event, do not (an existing deployment's log is unchanged) */
    bool memo_event = !ledger_event_calendar(e->event) && !ledger_event_records(e->event) &&
                      !ledger_event_account(e->event) && e->event != LEDGER_AUDIT_HEAD &&
                      e->event != LEDGER_CHANNEL_CHANGED;
    bool channel_event = memo_event || e->event == LEDGER_CHANNEL_GRANTED ||
                         e->event == LEDGER_CHANNEL_REVOKED || e->event == LEDGER_OFFICER_ADDED ||
                         e->event == LEDGER_OFFICER_REMOVED || e->event == LEDGER_PRINCIPAL_ADDED ||
                         e->event == LEDGER_PRINCIPAL_REMOVED || e->event == LEDGER_HEAD_ADDED ||
                         e->event == LEDGER_HEAD_REMOVED || e->event == LEDGER_CHANNEL_CHANGED;
    if (e->channel < 0 || e->channel > 64 || (e->channel >= 2 && !channel_event))
        return ERR_INVALID;
    snprintf(num, sizeof(num), "%lld", (long long)e->channel);
    if ((rc = put(out, &o, "dissent-log/v1", NULL)) != 0 ||
        (rc = put(out, &o, "event", ledger_event_name(e->event))) != 0 ||
        (e->channel >= 2 && (rc = put(out, &o, "channel", num)) != 0) ||
        (!ledger_event_calendar(e->event) && !ledger_event_records(e->event) &&
         e->event != LEDGER_AUDIT_HEAD && e->event != LEDGER_CHANNEL_CHANGED &&
         (rc = put(out, &o, ledger_event_account(e->event) ? "account" : "memo", tag)) != 0) ||
        (rc = put(out, &o, "date", day)) != 0)
        return rc;
    if (e->event == LEDGER_ESCALATED) {
        if (e->rung < 1 || e->rung > 2)
            return ERR_INVALID;
        snprintf(num, sizeof(num), "%d", e->rung);
        if ((rc = put_day(out, &o, "missed", e->first)) == 0)
            rc = put(out, &o, "rung", num);
    } else if (e->event == LEDGER_CLOSURE_ADDED || e->event == LEDGER_CLOSURE_REMOVED)
        rc = put_day(out, &o, "closed", e->first);
    else if (e->event == LEDGER_CLOCK_STOPPED || e->event == LEDGER_CLOCK_RESUMED)
        rc = put_day(out, &o, "from", e->first);
    if (rc == 0 && e->event == LEDGER_CLOCK_RESUMED)
        rc = e->last >= e->first ? put_day(out, &o, "until", e->last) : ERR_INVALID;
    if (rc == 0 && ledger_event_records(e->event)) {
        if (e->count < 0 || e->count > 1000000)
            return ERR_INVALID;
        snprintf(num, sizeof(num), "%lld", (long long)e->count);
        rc = put(out, &o, "count", num);
    }
    if (rc == 0 && e->event == LEDGER_AUDIT_HEAD) {
        b64_encode(b64, sizeof(b64), e->head, 32, false);
        rc = put(out, &o, "head", b64);
    }
    if (rc == 0 && e->event == LEDGER_CHANNEL_CHANGED) {
        b64_encode(b64, sizeof(b64), e->settings, 32, false);
        rc = put(out, &o, "settings", b64);
    }
    if (rc != 0)
        return rc;
    if (e->event == LEDGER_KEYS_BOUND) {
        b64_encode(b64, sizeof(b64), e->binding, 32, false);
        if ((rc = put(out, &o, "binding", b64)) != 0)
            return rc;
    }
    if (e->event == LEDGER_FILED) {
        if (e->signers < 1)
            return ERR_INVALID;
        snprintf(num, sizeof(num), "%d", e->signers);
        b64_encode(b64, sizeof(b64), e->commitment, 32, false);
        if ((rc = put(out, &o, "signers", num)) != 0 || (rc = put(out, &o, "commitment", b64)) != 0)
            return rc;
    }
    if ((e->event == LEDGER_FILED || e->event == LEDGER_RESCHEDULED) &&
        (rc = put_day(out, &o, "ack-due", e->ack_due)) != 0)
        return rc;
    if (has_reply_due(e->event)) {
        if (workdays_day_format(e->reply_due, day, sizeof(day)) != 0)
            return ERR_INVALID;
        if ((rc = put(out, &o, "reply-due", day)) != 0)
            return rc;
    }
    *len = o;
    return 0;
}

/* The parse proper; ledger_entry_parse() clears @out when it fails. */
static int parse(const char *text, size_t len, struct ledger_entry *out);

int ledger_entry_parse(const char *text, size_t len, struct ledger_entry *out)
{
    int rc = parse(text, len, out);

    if (rc != 0) {
        memset(out, 0, sizeof(*out));
        out->day = out->ack_due = out->reply_due = out->first = out->last = -1;
    }
    return rc;
}

static int parse(const char *text, size_t len, struct ledger_entry *out)
{
    char copy[LEDGER_ENTRY_MAX + 1], again[LEDGER_ENTRY_MAX], *line, *save = NULL;
    size_t n = 0;
    int field = 0;

    memset(out, 0, sizeof(*out));
    out->day = out->ack_due = out->reply_due = out->first = out->last = -1;
    if (len == 0 || len > LEDGER_ENTRY_MAX || text[len - 1] != '\n' || memchr(text, 0, len))
        return ERR_INVALID;
    memcpy(copy, text, len);
    copy[len] = '\0';
    for (line = strtok_r(copy, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char *sp = strchr(line, ' ');
        const char *v = sp ? sp + 1 : "";
        if (field == 0) {
            if (strcmp(line, "dissent-log/v1") != 0)
                return ERR_INVALID;
        } else {
            if (sp == NULL)
                return ERR_INVALID;
            *sp = '\0';
            if (strcmp(line, "event") == 0) {
                if (ledger_event_parse(v, &out->event) != 0)
                    return ERR_INVALID;
            } else if (strcmp(line, "channel") == 0) {
                if (str_parse_i64(v, 2, 64, &out->channel) != 0)
                    return ERR_INVALID;
            } else if (strcmp(line, "memo") == 0 || strcmp(line, "account") == 0) {
                if (strlen(v) != 2 * LEDGER_TAG_LEN)
                    return ERR_INVALID;
                for (int i = 0; i < LEDGER_TAG_LEN; i++) {
                    unsigned x;
                    if (sscanf(v + 2 * i, "%2x", &x) != 1)
                        return ERR_INVALID;
                    out->tag[i] = (uint8_t)x;
                }
            } else if (strcmp(line, "date") == 0) {
                if (workdays_day_parse(v, &out->day) != 0)
                    return ERR_INVALID;
            } else if (strcmp(line, "signers") == 0) {
                int64_t s;
                if (str_parse_i64(v, 1, 1000000, &s) != 0)
                    return ERR_INVALID;
                out->signers = (int)s;
            } else if (strcmp(line, "commitment") == 0) {
                if (b64_decode(out->commitment, 32, &n, v, strlen(v), false) != 0 || n != 32)
                    return ERR_INVALID;
            } else if (strcmp(line, "binding") == 0) {
                if (b64_decode(out->binding, 32, &n, v, strlen(v), false) != 0 || n != 32)
                    return ERR_INVALID;
            } else if (strcmp(line, "ack-due") == 0) {
                if (workdays_day_parse(v, &out->ack_due) != 0)
                    return ERR_INVALID;
            } else if (strcmp(line, "reply-due") == 0) {
                if (workdays_day_parse(v, &out->reply_due) != 0)
                    return ERR_INVALID;
            } else if (strcmp(line, "count") == 0) {
                if (str_parse_i64(v, 0, 1000000, &out->count) != 0)
                    return ERR_INVALID;
            } else if (strcmp(line, "head") == 0) {
                if (b64_decode(out->head, 32, &n, v, strlen(v), false) != 0 || n != 32)
                    return ERR_INVALID;
            } else if (strcmp(line, "settings") == 0) {
                if (b64_decode(out->settings, 32, &n, v, strlen(v), false) != 0 || n != 32)
                    return ERR_INVALID;
            } else if (strcmp(line, "rung") == 0) {
                int64_t r;
                if (str_parse_i64(v, 1, 2, &r) != 0)
                    return ERR_INVALID;
                out->rung = (int)r;
            } else if (strcmp(line, "closed") == 0 || strcmp(line, "from") == 0 ||
                       strcmp(line, "missed") == 0) {
                if (workdays_day_parse(v, &out->first) != 0)
                    return ERR_INVALID;
            } else if (strcmp(line, "until") == 0) {
                if (workdays_day_parse(v, &out->last) != 0)
                    return ERR_INVALID;
            } else {
                return ERR_INVALID;
            }
        }
        field++;
    }
    /* Only the canonical form: formatting what was parsed gives the same bytes. */
    if (ledger_entry_format(out, again, &n) != 0 || n != len || memcmp(again, text, len) != 0) {
        memset(out, 0, sizeof(*out));
        return ERR_INVALID;
    }
    return 0;
}

void ledger_commitment(const uint8_t salt[LEDGER_SALT_LEN], const uint8_t digest[32],
                       uint8_t out[32])
{
    uint8_t buf[LEDGER_SALT_LEN + 32];

    memcpy(buf, salt, LEDGER_SALT_LEN);
    memcpy(buf + LEDGER_SALT_LEN, digest, 32);
    hash_sha256(out, buf, sizeof(buf));
}
