#include "core/channel.h"
#include "core/channels.h"

#include "core/cosigning.h"

#include "core/holidays.h"
#include "core/totp.h"
#include "core/user.h"
#include "crypto/keys.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/strutil.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int channel_span_parse(const char *s, struct deadline_span *span)
{
    char unit[32];
    int n = 0, used = 0;

    if (sscanf(s, " %d %31s %n", &n, unit, &used) != 2 || s[used] != '\0' || n < 0)
        return ERR_INVALID;
    if (strcmp(unit, "working-days") == 0 || strcmp(unit, "working-day") == 0)
        span->unit = DEADLINE_UNIT_WORKING_DAYS;
    else if (strcmp(unit, "days") == 0 || strcmp(unit, "day") == 0)
        span->unit = DEADLINE_UNIT_CALENDAR_DAYS;
    else if (strcmp(unit, "months") == 0 || strcmp(unit, "month") == 0)
        span->unit = DEADLINE_UNIT_MONTHS;
    else
        return ERR_INVALID;
    span->count = n;
    return 0;
}

static int parse_principals(struct channel *ch, const char *list, char *err, size_t errlen)
{
    const char *p = list;

    while (*p != '\0') {
        char name[80];
        size_t n;
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '\0')
            break;
        n = strcspn(p, ", ");
        if (n >= sizeof(name)) {
            err_set(err, errlen, "channel.principals: a username is too long");
            return ERR_INVALID;
        }
        memcpy(name, p, n);
        name[n] = '\0';
        if (!user_username_valid(name)) {
            err_set(err, errlen, "channel.principals: \"%s\" is not a valid username", name);
            return ERR_INVALID;
        }
        if (ch->nprincipals == CHANNEL_PRINCIPALS_MAX) {
            err_set(err, errlen, "channel.principals: at most %d", CHANNEL_PRINCIPALS_MAX);
            return ERR_INVALID;
        }
        if (ch->principals == NULL) {
            ch->principals = mem_calloc(CHANNEL_PRINCIPALS_MAX, sizeof(*ch->principals));
            if (ch->principals == NULL)
                return ERR_NOMEM;
        }
        memcpy(ch->principals[ch->nprincipals++], name, n + 1);
        p += n;
    }
    return 0;
}

int channel_signer_load(struct note_skey **out, const char *dir, const char *file, const char *name,
                        char *err, size_t errlen)
{
    char path[1200], text[NOTE_SKEY_MAX + 2];
    struct note_skey *key;
    ssize_t n;
    int fd, rc = 0;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    key = *out = keys_secure_alloc(sizeof(*key));
    if (key == NULL)
        return ERR_NOMEM;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        if ((rc = note_skey_generate(name, strlen(name), key)) != 0 ||
            (rc = note_skey_format(key, text, sizeof(text))) != 0)
            goto out;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) != 0) {
            err_set(err, errlen, "cannot write %s: %s", path, strerror(errno));
            rc = ERR_IO;
        }
        goto out;
    }
    if (fd < 0) {
        err_set(err, errlen, "cannot read %s: %s", path, strerror(errno));
        rc = ERR_IO;
        goto out;
    }
    n = read(fd, text, sizeof(text) - 1);
    if (n <= 0) {
        err_set(err, errlen, "cannot read %s", path);
        rc = ERR_IO;
        goto out;
    }
    text[n] = '\0';
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    if (note_skey_parse(text, (size_t)n, key) != 0) {
        err_set(err, errlen, "%s does not hold a signer key", path);
        rc = ERR_INVALID;
    } else if (strcmp(key->name, name) != 0) {
        err_set(err, errlen, "%s is the key of \"%s\", not \"%s\"", path, key->name, name);
        rc = ERR_INVALID;
    }
out:
    if (fd >= 0)
        close(fd);
    wipe(text, sizeof(text));
    return rc;
}

/* What each preset implies where [channel] leaves it unset. */
static const struct {
    const char *preset;
    const char *zone;     /* timezone */
    const char *calendar; /* calendar */
    bool inauguration;    /* inauguration_day */
    bool approval;        /* reply_approval */
} preset_calendars[] = {
    /* the Department's own clock: Washington's zone, the federal holidays and Inauguration Day;
     * the S/P Director approves every reply */
    {"state-dept", "America/New_York", "us-federal", true, true},
    /* a member state's channel: its zone and its holidays (calendar = ie, de, fr, nl, ...) are
     * its own to configure; the Directive asks for feedback, not for an approval chain */
    {"eu-directive", "UTC", "none", false, false},
};

/* The calendar defaults of @cfg's preset (the first, state-dept, for an unknown one: refused
 * later by channel_init()). */
static size_t preset_calendar(const struct config *cfg)
{
    for (size_t i = 0; i < sizeof(preset_calendars) / sizeof(preset_calendars[0]); i++)
        if (strcmp(cfg->preset, preset_calendars[i].preset) == 0)
            return i;
    return 0;
}

const char *channel_zone(const struct config *cfg)
{
    return cfg->timezone[0] != '\0' ? cfg->timezone : preset_calendars[preset_calendar(cfg)].zone;
}

const char *channel_calendar(const struct config *cfg)
{
    if (cfg->calendar[0] != '\0')
        return cfg->calendar;
    if (cfg->federal_holidays >= 0)
        return cfg->federal_holidays ? "us-federal" : "none";
    return preset_calendars[preset_calendar(cfg)].calendar;
}

bool channel_inauguration(const struct config *cfg)
{
    /* the preset's Washington day goes with the US federal calendar, not with another one */
    if (cfg->inauguration_day < 0)
        return preset_calendars[preset_calendar(cfg)].inauguration &&
               strcmp(channel_calendar(cfg), "us-federal") == 0;
    return cfg->inauguration_day != 0;
}

const char *channel_refuse_markings(const struct config *cfg)
{
    if (cfg->records_refuse_set)
        return cfg->records_refuse;
    return strcmp(cfg->preset, "state-dept") == 0 ? CHANNEL_STATE_DEPT_MARKINGS : "";
}

size_t channel_markings(const struct config *cfg, char out[CHANNEL_MARKINGS_MAX][64])
{
    size_t n = 0;

    for (const char *p = channel_refuse_markings(cfg); *p && n < CHANNEL_MARKINGS_MAX;) {
        size_t k = strcspn(p, ",");
        const char *s = p, *e = p + k;

        while (s < e && *s == ' ')
            s++;
        while (e > s && e[-1] == ' ')
            e--;
        if (e > s)
            snprintf(out[n++], 64, "%.*s", (int)(e - s), s);
        p += k + (p[k] == ',');
    }
    return n;
}

bool channel_marking_found(const struct config *cfg, const char *text, size_t len, char *found,
                           size_t flen)
{
    char list[CHANNEL_MARKINGS_MAX][64];
    size_t n = channel_markings(cfg, list);

    for (size_t i = 0; i < n; i++)
        if (text != NULL && memmem(text, len, list[i], strlen(list[i])) != NULL) {
            snprintf(found, flen, "%s", list[i]);
            return true;
        }
    if (flen > 0)
        found[0] = '\0';
    return false;
}

bool channel_reply_approval(const struct config *cfg)
{
    if (cfg->reply_approval < 0)
        return preset_calendars[preset_calendar(cfg)].approval;
    return cfg->reply_approval != 0;
}

int channel_calendar_init(struct workdays_calendar *cal, const struct config *cfg, char *err,
                          size_t errlen)
{
    const char *name = channel_calendar(cfg);
    struct holidays *hol = NULL;
    int64_t *closures = NULL;
    size_t nclosures = 0;
    char why[256] = "";
    int rc;

    if (cfg->calendar[0] != '\0' && cfg->federal_holidays >= 0) {
        err_set(err, errlen, "channel.calendar replaces channel.federal_holidays: keep calendar");
        return ERR_INVALID;
    }
    if (strcmp(name, "none") != 0) {
        if ((hol = mem_alloc(sizeof(*hol))) == NULL)
            return ERR_NOMEM;
        if ((rc = holidays_load(name, hol, why, sizeof(why))) != 0) {
            err_set(err, errlen, "channel.calendar: %s", why);
            mem_free(hol);
            return rc == ERR_NOMEM ? rc : ERR_INVALID;
        }
    }
    if (cfg->closures[0] &&
        (rc = workdays_closures_parse(cfg->closures, &closures, &nclosures, err, errlen)) != 0) {
        mem_free(hol);
        return rc;
    }
    rc = workdays_calendar_init_with(cal, hol, channel_inauguration(cfg), closures, nclosures);
    mem_free(closures);
    mem_free(hol);
    return rc;
}

int channel_rules_init(struct channel *ch, const struct config *cfg, char *err, size_t errlen)
{
    int rc;

    if (deadline_policy_from_preset(cfg->preset, &ch->policy) != 0) {
        err_set(err, errlen, "channel.preset: \"%s\" is not state-dept or eu-directive",
                cfg->preset);
        return ERR_INVALID;
    }
    if ((cfg->ack[0] && channel_span_parse(cfg->ack, &ch->policy.ack) != 0) ||
        (cfg->reply[0] && channel_span_parse(cfg->reply, &ch->policy.reply) != 0) ||
        (cfg->reply_max[0] && channel_span_parse(cfg->reply_max, &ch->policy.reply_max) != 0)) {
        err_set(err, errlen,
                "channel.ack/reply/reply_max: use \"N working-days\", \"N days\" or "
                "\"N months\"");
        return ERR_INVALID;
    }
    if (cfg->reply_from[0]) {
        if (strcmp(cfg->reply_from, "filing") == 0)
            ch->policy.reply_from = DEADLINE_BASE_FILING;
        else if (strcmp(cfg->reply_from, "acknowledgement") == 0)
            ch->policy.reply_from = DEADLINE_BASE_ACK;
        else {
            err_set(err, errlen, "channel.reply_from: filing or acknowledgement");
            return ERR_INVALID;
        }
    }
    if ((rc = deadline_policy_check(&ch->policy, err, errlen)) != 0)
        return rc;
    if (cfg->agency_head[0] != '\0' && !user_username_valid(cfg->agency_head)) {
        err_set(err, errlen, "channel.agency_head: \"%s\" is not a valid username",
                cfg->agency_head);
        return ERR_INVALID;
    }
    if ((rc = channel_calendar_init(&ch->calendar, cfg, err, errlen)) != 0)
        return rc;
    return parse_principals(ch, cfg->principals, err, errlen);
}

int channel_settings_check(const struct config *cfg, char *err, size_t errlen)
{
    struct channel ch;
    int rc;

    memset(&ch, 0, sizeof(ch));
    if ((rc = workdays_tz_validate(channel_zone(cfg), err, errlen)) < 0)
        return ERR_INVALID;
    rc = channel_rules_init(&ch, cfg, err, errlen);
    channel_release(&ch);
    return rc;
}

int channel_init(struct channel *ch, const struct config *cfg, const char *data_dir, char *err,
                 size_t errlen)
{
    int rc;

    memset(ch, 0, sizeof(*ch));
    if ((rc = workdays_tz_set(channel_zone(cfg), err, errlen)) != 0)
        return ERR_INVALID;
    if ((rc = channel_rules_init(ch, cfg, err, errlen)) != 0)
        goto fail;
    ch->number = 1;
    if ((rc = workdays_zone_open(channel_zone(cfg), &ch->zone, err, errlen)) != 0)
        goto fail;
    if ((rc = channels_views_new(&ch->views)) != 0) {
        err_set(err, errlen, "cannot keep the channels' rules (%s)", err_str(rc));
        goto fail;
    }
    if (totp_required_roles(cfg->require_2fa, cfg->preset, &ch->require_2fa,
                            &ch->require_passkey) != 0) {
        err_set(err, errlen,
                "security.require_2fa: role names (staff, officer, principal, auditor, admin, "
                "head, records), each alone or as ROLE:passkey, separated by commas; or none");
        rc = ERR_INVALID;
        goto fail;
    }
    if ((rc = channel_signer_load(&ch->key, data_dir, CHANNEL_KEY_FILE, CHANNEL_KEY_NAME, err,
                                  errlen)) != 0 ||
        (rc = channel_signer_load(&ch->log_key, data_dir, CHANNEL_LOG_KEY_FILE, cfg->log_origin,
                                  err, errlen)) != 0)
        goto fail;
    ch->log_origin = cfg->log_origin;
    ch->log_public = cfg->log_public;
    ch->log_quorum = cosigning_quorum(cfg);
    ch->cfg = cfg;
    if (cfg->clock_start > 0)
        ch->clock_offset = cfg->clock_start - (int64_t)time(NULL);
    return 0;
fail:
    channel_release(ch);
    return rc;
}

void channel_release(struct channel *ch)
{
    channels_views_free(ch->views);
    workdays_zone_close(ch->zone);
    workdays_calendar_release(&ch->calendar);
    mem_free(ch->principals);
    keys_secure_free(ch->key);
    keys_secure_free(ch->log_key);
    memset(ch, 0, sizeof(*ch));
}

int64_t channel_now(const struct channel *ch)
{
    return (int64_t)time(NULL) + ch->clock_offset;
}

int64_t channel_day(const struct channel *ch, int64_t t)
{
    int64_t day = 0;

    if (ch == NULL || ch->zone == NULL)
        return channel_today(t);
    if (workdays_day_in_zone(ch->zone, t, &day) != 0)
        return 0;
    return day;
}

int64_t channel_today(int64_t t)
{
    int64_t day = 0;

    if (workdays_day_from_unix(t, &day) != 0)
        return 0;
    return day;
}
