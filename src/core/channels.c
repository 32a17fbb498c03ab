/*
 * channels.c - the channels of a deployment (see channels.h).
 */
#include "core/channels.h"

#include "core/channel.h"
#include "core/ledger.h"
#include "core/trust.h"
#include "crypto/random.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/strutil.h"

#include "util/log.h"

#include <jansson.h>
#include <pthread.h>
#include <string.h>

/* The [channel] settings a channel may set for itself: not closures (the calendar run at
 * runtime is the deployment's, core/calendar.h) nor federal_holidays (calendar replaces it). */
static const char *const keys[] = {
    "preset",          "ack",          "reply",
    "reply_max",       "reply_from",   "timezone",
    "calendar",        "principals",   "inauguration_day",
    "accept_window",   "clarify_days", "reply_approval",
    "filers",          "agency_head",  "author_head",
    "directory_group", NULL,
};

bool channels_slug_valid(const char *slug)
{
    size_t n = slug ? strlen(slug) : 0;

    if (n == 0 || n > STORE_CHANNEL_SLUG_MAX || slug[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((slug[i] >= 'a' && slug[i] <= 'z') || (slug[i] >= '0' && slug[i] <= '9') ||
              slug[i] == '-'))
            return false;
    return true;
}

bool channels_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (name == NULL || n > STORE_CHANNEL_NAME_MAX || !str_utf8_valid(name, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return false;
    return n == 0 || (name[0] != ' ' && name[n - 1] != ' ');
}

bool channels_setting_known(const char *key)
{
    for (size_t i = 0; key != NULL && keys[i] != NULL; i++)
        if (strcmp(keys[i], key) == 0)
            return true;
    return false;
}

const char *const *channels_settings_keys(void)
{
    return keys;
}

/* @settings parsed: a JSON object of strings, each a known setting. */
static json_t *parse(const char *settings, char *err, size_t errlen)
{
    json_error_t je;
    json_t *o = json_loads(settings ? settings : "{}", JSON_REJECT_DUPLICATES, &je);
    const char *k;
    json_t *v;

    if (o == NULL || !json_is_object(o)) {
        json_decref(o);
        err_set(err, errlen, "settings: not a JSON object");
        return NULL;
    }
    json_object_foreach(o, k, v)
    {
        if (!channels_setting_known(k) || !json_is_string(v)) {
            err_set(err, errlen, "settings: %.64s is not a channel setting with a text value", k);
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

int channels_config(const struct config *base, const char *settings, struct config *out, char *err,
                    size_t errlen)
{
    json_t *o = parse(settings, err, errlen), *v;
    const char *k;
    int rc = 0;

    if (o == NULL)
        return ERR_INVALID;
    *out = *base;
    json_object_foreach(o, k, v)
    {
        if (config_set(out, "channel", k, json_string_value(v), err, errlen) != 0) {
            rc = ERR_INVALID;
            break;
        }
    }
    json_decref(o);
    return rc != 0 ? rc : channel_settings_check(out, err, errlen);
}

int channels_settings_set(const char *settings, const char *key, const char *value, char **out,
                          char *err, size_t errlen)
{
    json_t *o;
    char *text;

    *out = NULL;
    if (!channels_setting_known(key)) {
        err_set(err, errlen, "%.64s is not a channel setting", key ? key : "");
        return ERR_INVALID;
    }
    /* a calendar file is the settings file's to name: through here, a shipped calendar only (an
     * administrator does not open the server's files by a path) */
    if (strcmp(key, "calendar") == 0 && value != NULL && strchr(value, '/') != NULL) {
        err_set(err, errlen,
                "calendar: a shipped calendar (us-federal, ie, de, fr, nl) or none; a calendar "
                "file is named in the settings file");
        return ERR_INVALID;
    }
    if ((o = parse(settings, err, errlen)) == NULL)
        return ERR_INVALID;
    if (value == NULL || value[0] == '\0')
        json_object_del(o, key);
    else if (json_object_set_new(o, key, json_string(value)) != 0) {
        json_decref(o);
        err_set(err, errlen, "%.64s: the value is not UTF-8 text", key);
        return ERR_INVALID;
    }
    text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (text == NULL)
        return ERR_NOMEM;
    if (strlen(text) > STORE_CHANNEL_SETTINGS_MAX) {
        mem_free(text); /* jansson allocates through util/mem.h */
        err_set(err, errlen, "settings: over %d bytes", STORE_CHANNEL_SETTINGS_MAX);
        return ERR_INVALID;
    }
    *out = text;
    return 0;
}

int channels_may_file(const struct config *base, const struct channel_row *r, const struct user *u,
                      bool *may)
{
    bool members = base->filers_members;
    json_t *o = json_loads(r->settings ? r->settings : "{}", 0, NULL);
    const char *v;

    *may = false;
    if (o == NULL)
        return ERR_NOMEM;
    if ((v = json_string_value(json_object_get(o, "filers"))) != NULL)
        members = strcmp(v, "members") == 0;
    json_decref(o);
    *may = !members || channels_has(u->channels ? u->channels : 1, r->id);
    return 0;
}

/* A copy of @r into @out (its settings duplicated), for an answer made without reading again. */
static int copy_row(const struct channel_row *r, struct channel_row *out)
{
    if (out == NULL)
        return 0;
    *out = *r;
    if ((out->settings = mem_strdup(r->settings ? r->settings : "{}")) == NULL)
        return ERR_NOMEM;
    return 0;
}

int channels_list(struct store *st, struct channel_row **out, size_t *count)
{
    int rc = 0;

    /* a change committed between the rows' read and the pin's (which it raised after its
     * commit) fails the first check: the rows read again then are that change's */
    for (int attempt = 0; attempt < 2; attempt++) {
        if ((rc = store_channel_list(st, out, count)) != 0)
            return rc;
        if ((rc = trust_channel_rows(st, *out, *count, attempt == 0)) == 0)
            return 0;
        store_channel_list_free(*out, *count);
        *out = NULL;
        *count = 0;
        if (rc != ERR_INTEGRITY)
            break;
    }
    return rc;
}

int channels_get(struct store *st, const char *slug, int64_t id, struct channel_row *out)
{
    struct channel_row *rows = NULL;
    size_t n = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = channels_list(st, &rows, &n)) != 0)
        return rc;
    rc = ERR_NOT_FOUND;
    for (size_t i = 0; i < n && rc == ERR_NOT_FOUND; i++)
        if (slug != NULL ? strcmp(rows[i].slug, slug) == 0 : rows[i].id == id)
            rc = copy_row(&rows[i], out);
    store_channel_list_free(rows, n);
    return rc;
}

const struct channel_row *channels_find(const struct channel_row *rows, size_t n, const char *slug)
{
    for (size_t i = 0; slug != NULL && i < n; i++)
        if (strcmp(rows[i].slug, slug) == 0)
            return &rows[i];
    return NULL;
}

/* @r's settings with the @n @keys = @values applied, checked with @base: 0 or ERR_*. */
static int apply(struct channel_row *r, const struct config *base, const char *const *k,
                 const char *const *v, size_t n, char *err, size_t errlen)
{
    struct config *cfg;
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++) {
        char *next = NULL;
        if ((rc = channels_settings_set(r->settings, k[i], v[i], &next, err, errlen)) == 0) {
            mem_free(r->settings);
            r->settings = next;
        }
    }
    if (rc != 0)
        return rc;
    if ((cfg = mem_alloc(sizeof(*cfg))) == NULL)
        return ERR_NOMEM;
    rc = channels_config(base, r->settings, cfg, err, errlen);
    mem_free(cfg);
    return rc;
}

int channels_add(struct store *st, const struct config *base, const char *slug, const char *name,
                 const char *const *k, const char *const *v, size_t n, int64_t now,
                 struct channel_row *out, char *err, size_t errlen)
{
    struct channel_row r, *rows = NULL;
    size_t count = 0;
    int64_t least = 0;
    int rc;

    memset(&r, 0, sizeof(r));
    if (!channels_slug_valid(slug)) {
        err_set(err, errlen, "slug: 1 to %d of a-z, 0-9 and -, not beginning with -",
                STORE_CHANNEL_SLUG_MAX);
        return ERR_INVALID;
    }
    if (!channels_name_valid(name)) {
        err_set(err, errlen, "name: at most %d bytes of text on one line", STORE_CHANNEL_NAME_MAX);
        return ERR_INVALID;
    }
    str_copy(r.slug, sizeof(r.slug), slug);
    str_copy(r.name, sizeof(r.name), name);
    r.created_at = now;
    r.version = 1;
    if ((r.settings = mem_strdup("{}")) == NULL)
        return ERR_NOMEM;
    if ((rc = apply(&r, base, k, v, n, err, errlen)) != 0)
        goto out;
    /* never a number issued before (its memos and log entries are that channel's): the pin's,
     * read before the transaction (core/trust.h) */
    if ((rc = trust_channel_least(st, &least)) != 0 || (rc = store_begin(st)) != 0)
        goto out;
    r.id = least;
    if ((rc = channels_list(st, &rows, &count)) == 0) {
        if (channels_find(rows, count, slug) != NULL) {
            err_set(err, errlen, "slug: channel %s exists already", slug);
            rc = ERR_EXISTS;
        } else if (count >= CHANNELS_MAX) {
            err_set(err, errlen, "a deployment has at most %d channels", CHANNELS_MAX);
            rc = ERR_TOO_LARGE;
        } else if ((rc = store_channel_add(st, &r)) == 0 && r.id > CHANNELS_MAX) {
            err_set(err, errlen, "a deployment has at most %d channels", CHANNELS_MAX);
            rc = ERR_TOO_LARGE; /* (numbers are never given twice) */
        } else if (rc == 0) {
            /* its rules, in the public log from the start */
            rc = ledger_channel_changed(st, r.id, r.settings, now);
        }
    }
    store_channel_list_free(rows, count);
    /* the answer's copy before the commit: nothing may fail after it */
    if (rc == 0)
        rc = copy_row(&r, out);
    if (rc == 0 && (rc = store_commit(st)) != 0 && out != NULL) {
        mem_free(out->settings);
        out->settings = NULL;
    }
    if (rc != 0)
        store_rollback(st);
    else
        trust_channel_row_settle(st, r.id, r.version);
out:
    mem_free(r.settings);
    return rc;
}

int channels_set(struct store *st, const struct config *base, const char *slug, const char *name,
                 const char *const *k, const char *const *v, size_t n, int64_t now,
                 struct channel_row *out, char *err, size_t errlen)
{
    struct channel_row *rows = NULL, *r;
    size_t count = 0;
    int64_t id = 0, version = 0;
    char *before = NULL;
    int rc;

    if (name != NULL && !channels_name_valid(name)) {
        err_set(err, errlen, "name: at most %d bytes of text on one line", STORE_CHANNEL_NAME_MAX);
        return ERR_INVALID;
    }
    if ((rc = store_begin(st)) != 0)
        return rc;
    if ((rc = channels_list(st, &rows, &count)) != 0)
        goto out;
    if ((r = (struct channel_row *)channels_find(rows, count, slug)) == NULL) {
        err_set(err, errlen, "no channel %.64s", slug ? slug : "");
        rc = ERR_NOT_FOUND;
        goto out;
    }
    if (name != NULL)
        str_copy(r->name, sizeof(r->name), name);
    r->version++; /* under the MAC, and pinned once committed */
    id = r->id;
    version = r->version;
    /* a change of its rules (its deadlines, its drafter's window, its zone) is in the public
     * log: never silent (a name alone is not a rule) */
    if ((before = mem_strdup(r->settings)) == NULL) {
        rc = ERR_NOMEM;
        goto out;
    }
    if ((rc = apply(r, base, k, v, n, err, errlen)) == 0 &&
        (rc = store_channel_update(st, r)) == 0 &&
        (strcmp(before, r->settings) == 0 ||
         (rc = ledger_channel_changed(st, r->id, r->settings, now)) == 0))
        rc = copy_row(r, out);
out:
    mem_free(before);
    store_channel_list_free(rows, count);
    if (rc == 0 && (rc = store_commit(st)) != 0 && out != NULL) {
        mem_free(out->settings);
        out->settings = NULL;
    }
    if (rc != 0)
        store_rollback(st);
    else
        trust_channel_row_settle(st, id, version);
    return rc;
}

/* One channel's own rules, as made from its row's settings (channel_of()). Never changed once
 * made; a newer one replaces it in the table, and it is kept until channel_release() (a thread
 * may still be reading it: there are as many as changes of a channel's settings). */
struct channel_view {
    struct channel ch;          /* the rules: ch.cfg points at @cfg */
    struct config cfg;          /* [channel] with the row's settings over it */
    char *settings;             /* the row's settings they were made from (owned) */
    struct channel_view *older; /* every view made, newest first */
};

struct channel_views {
    pthread_mutex_t lock;
    struct channel_view *current[CHANNELS_MAX + 1]; /* by channel number */
    struct channel_view *all;
};

int channels_views_new(struct channel_views **out)
{
    struct channel_views *v = mem_calloc(1, sizeof(*v));

    *out = NULL;
    if (v == NULL)
        return ERR_NOMEM;
    if (pthread_mutex_init(&v->lock, NULL) != 0) {
        mem_free(v);
        return ERR_NOMEM;
    }
    *out = v;
    return 0;
}

void channels_views_free(struct channel_views *v)
{
    if (v == NULL)
        return;
    for (struct channel_view *w = v->all, *next; w != NULL; w = next) {
        next = w->older;
        workdays_calendar_release(&w->ch.calendar);
        workdays_zone_close(w->ch.zone);
        mem_free(w->ch.principals);
        mem_free(w->settings);
        wipe(w, sizeof(*w));
        mem_free(w);
    }
    pthread_mutex_destroy(&v->lock);
    mem_free(v);
}

/* The settings that are a channel's own and never inherited from [channel] (channel 1's): who
 * heads its organisation, and which directory group is its people. */
static const char *const own_only[] = {"agency_head", "directory_group", NULL};

/* Whether @r's settings set @key themselves: 1, 0, or ERR_INVALID (they do not parse). */
static int sets(const struct channel_row *r, const char *key)
{
    json_t *o = parse(r->settings, NULL, 0);
    int yes;

    if (o == NULL)
        return ERR_INVALID;
    yes = json_object_get(o, key) != NULL;
    json_decref(o);
    return yes;
}

int channels_own(const struct channel_row *r, const struct config *base, const char *key, char *out,
                 size_t len)
{
    json_t *o, *v;
    int rc = 0;

    out[0] = '\0';
    if (strcmp(key, "agency_head") != 0 && strcmp(key, "directory_group") != 0)
        return ERR_INVALID;
    if ((o = parse(r->settings, NULL, 0)) == NULL)
        return ERR_INVALID;
    if ((v = json_object_get(o, key)) != NULL)
        rc = str_copy(out, len, json_string_value(v)) == 0 ? 0 : ERR_TOO_LARGE;
    else if (r->id == 1 && base != NULL) /* channel 1's: [channel]'s, as the settings file says */
        rc = str_copy(out, len,
                      strcmp(key, "agency_head") == 0 ? base->agency_head
                                                      : base->directory_group) == 0
                 ? 0
                 : ERR_TOO_LARGE;
    json_decref(o);
    return rc;
}

/* Whether @settings (as stored) sets nothing of its own. */
static bool no_settings(const char *settings)
{
    if (settings == NULL)
        return true;
    while (*settings == ' ')
        settings++;
    return strcmp(settings, "{}") == 0 || *settings == '\0';
}

/* Make the rules of channel @r over @base into a new view. */
static int view_make(const struct channel *base, const struct channel_row *r,
                     struct channel_view **out)
{
    struct channel_view *w = mem_calloc(1, sizeof(*w));
    char err[256] = "";
    int rc;

    *out = NULL;
    if (w == NULL || (w->settings = mem_strdup(r->settings ? r->settings : "{}")) == NULL) {
        mem_free(w);
        return ERR_NOMEM;
    }
    if ((rc = channels_config(base->cfg, r->settings, &w->cfg, err, sizeof(err))) == 0) {
        /* the deployment's keys, clock, log and roles' factors (field by field: the calendar's
         * runtime is another thread's to publish); the channel's own rules */
        memset(&w->ch, 0, sizeof(w->ch));
        w->ch.key = base->key;
        w->ch.log_key = base->log_key;
        w->ch.log_origin = base->log_origin;
        w->ch.log_public = base->log_public;
        w->ch.log_quorum = base->log_quorum;
        w->ch.clock_offset = base->clock_offset;
        w->ch.require_2fa = base->require_2fa;
        w->ch.require_passkey = base->require_passkey;
        /* a channel's own settings are never channel 1's (from [channel]) */
        for (size_t i = 0; rc == 0 && r->id != 1 && own_only[i] != NULL; i++) {
            int yes = sets(r, own_only[i]);
            if (yes < 0)
                rc = ERR_INVALID;
            else if (!yes)
                rc = config_set(&w->cfg, "channel", own_only[i], "", err, sizeof(err));
        }
        if (rc == 0 && (rc = channel_rules_init(&w->ch, &w->cfg, err, sizeof(err))) == 0)
            rc = workdays_zone_open(channel_zone(&w->cfg), &w->ch.zone, err, sizeof(err));
    }
    if (rc != 0) {
        /* the row passed these checks when it was written (and its MAC holds): settings that
         * no longer make a channel (a calendar file gone, ...) are an error, never [channel]'s */
        log_error("channels: the settings of channel %lld do not make a channel: %s",
                  (long long)r->id, err);
        workdays_calendar_release(&w->ch.calendar);
        workdays_zone_close(w->ch.zone);
        mem_free(w->ch.principals);
        mem_free(w->settings);
        mem_free(w);
        return rc == ERR_NOMEM ? rc : ERR_INVALID;
    }
    w->ch.cfg = &w->cfg;
    w->ch.number = r->id;
    w->ch.base = base;
    w->ch.views = NULL;
    w->ch.calendar.shares = &base->calendar; /* the runtime closures and stops: the deployment's */
    *out = w;
    return 0;
}

int channel_of(const struct channel *base, struct store *st, int64_t id, const struct channel **out)
{
    struct channel_views *v;
    struct channel_row r;
    int rc;

    *out = NULL;
    if (base->base != NULL)
        base = base->base; /* (a channel's rules: from the deployment's again) */
    v = base->views;
    if (id < 1 || id > CHANNELS_MAX)
        return ERR_INVALID;
    if ((rc = channels_get(st, NULL, id, &r)) != 0)
        return rc == ERR_NOT_FOUND ? ERR_INTEGRITY : rc; /* a memo's channel is never deleted */
    if (no_settings(r.settings) && id == 1) {
        *out = base; /* the deployment's own: [channel] */
        mem_free(r.settings);
        return 0;
    }
    if (v == NULL) {
        mem_free(r.settings);
        return ERR_INTERNAL; /* a struct channel not made by channel_init() */
    }
    pthread_mutex_lock(&v->lock);
    struct channel_view *w = v->current[id];
    if (w == NULL || strcmp(w->settings, r.settings ? r.settings : "{}") != 0) {
        if ((rc = view_make(base, &r, &w)) == 0) {
            w->older = v->all;
            v->all = w;
            v->current[id] = w;
        }
    }
    if (rc == 0)
        *out = &w->ch;
    pthread_mutex_unlock(&v->lock);
    mem_free(r.settings);
    return rc;
}
