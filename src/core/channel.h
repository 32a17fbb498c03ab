/*
 * channel.h - the channel's settings as the domain uses them: the deadline policy, the working-day
 * calendar, the principals every acknowledged memo goes to, the channel's signing key (it signs
 * reply bindings), and the clock.
 *
 * Built once at start-up by channel_init() (before threads start: it sets the process time zone)
 * and read-only afterwards, so every thread may share it (but for the runtime calendar, which
 * core/calendar.h publishes in snapshots). That is the deployment's: channel 1's, and every
 * channel's keys, clock and log. Each channel's own rules (deadlines, holidays, principals and
 * the other [channel] settings of its row) are a struct channel of their own, made from it by
 * channel_of() (core/channels.h): what a memo's workflow reads is its channel's.
 */
#ifndef DISSENT_CORE_CHANNEL_H
#define DISSENT_CORE_CHANNEL_H

#include "core/deadline.h"
#include "core/workdays.h"
#include "crypto/note.h"
#include "util/config.h"

#include <stdint.h>

#define CHANNEL_PRINCIPALS_MAX 100
#define CHANNEL_KEY_FILE "channel.skey" /* in the data directory, mode 0600 */
#define CHANNEL_KEY_NAME "dissent-channel"
#define CHANNEL_LOG_KEY_FILE "log.skey" /* the transparency log's key, mode 0600 */

struct channel {
    struct deadline_policy policy;     /* when memos must be acknowledged and answered */
    struct workdays_calendar calendar; /* working days (owns its closure list) */
    char (*principals)[65];            /* usernames (owned), @nprincipals of them */
    size_t nprincipals;
    struct note_skey *key;       /* the channel's signing key (sodium_malloc'd) */
    struct note_skey *log_key;   /* the log's signing key, named after its origin */
    const char *log_origin;      /* = cfg->log_origin */
    bool log_public;             /* = cfg->log_public */
    int log_quorum;              /* cosignatures a published checkpoint needs (core/cosigning.h) */
    int64_t clock_offset;        /* seconds added to the system clock ([debug]) */
    unsigned require_2fa;        /* roles that must sign in with a second factor (core/totp.h) */
    unsigned require_passkey;    /* ... of which those that must use a passkey (core/passkey.h) */
    const struct config *cfg;    /* the settings it was made from ([mail] for core/notify.h) */
    int64_t number;              /* the channel whose rules these are (1: the deployment's) */
    struct workdays_zone *zone;  /* its time zone (channel_zone(cfg)): its memos' days */
    const struct channel *base;  /* a channel's own rules (channel_of()): the deployment's, whose
                                    keys, clock, log and runtime calendar they share; NULL for
                                    the deployment's own */
    struct channel_views *views; /* the deployment's: the channels' rules made so far */
};

/**
 * channel_calendar_init() - the working-day calendar of @cfg into @cal (release it with
 * workdays_calendar_release()): its holidays ([channel] calendar), Inauguration Day, the
 * configured closures; not the closures made at runtime (core/calendar.h, or for a reader of
 * the log, stats_log_closures()). 0, or ERR_INVALID / ERR_NOMEM with @err.
 */
int channel_calendar_init(struct workdays_calendar *cal, const struct config *cfg, char *err,
                          size_t errlen);

/**
 * channel_zone() - the organisation's time zone: [channel] timezone, or the preset's
 * (state-dept: America/New_York; eu-directive: UTC).
 */
const char *channel_zone(const struct config *cfg);

/**
 * channel_calendar() - the holiday calendar's name: [channel] calendar (a shipped id, "none" or a
 * file's path); else the older federal_holidays switch ("us-federal" or "none"); else the
 * preset's (state-dept: us-federal; eu-directive: none, the member state's to choose).
 */
const char *channel_calendar(const struct config *cfg);

/** channel_inauguration() - [channel] inauguration_day, else the preset's (state-dept: on, with
 *  the us-federal calendar only). */
bool channel_inauguration(const struct config *cfg);

/**
 * channel_reply_approval() - [channel] reply_approval, else the preset's (state-dept: on): a
 * reply is sent only by the channel's head approving the case officer's submitted draft
 * (core/review.h), and an extension beyond the ordinary reply period is the head's to grant.
 */
bool channel_reply_approval(const struct config *cfg);

/*
 * The spillage guard: classification banners and portion markings the channel refuses in a
 * memo it finalizes ([records] refuse_markings, else the preset's: state-dept's list below,
 * none for eu-directive). A marking matches as it is written, capitals included.
 */
#define CHANNEL_STATE_DEPT_MARKINGS                                                                \
    "TOP SECRET, SECRET//, CONFIDENTIAL//, (TS), (S), (TS//, (S//, (C//, //NOFORN, //ORCON"

/** channel_refuse_markings() - the comma-separated markings refused ("" for none). */
const char *channel_refuse_markings(const struct config *cfg);

#define CHANNEL_MARKINGS_MAX 32 /* markings in the list */
/** channel_markings() - the markings refused, one per entry of @out (trimmed); their count. */
size_t channel_markings(const struct config *cfg, char out[CHANNEL_MARKINGS_MAX][64]);

/**
 * channel_marking_found() - whether @text[0..@len) carries a refused marking; the first one
 * found (in the list's order) is copied into @found (@flen bytes).
 */
bool channel_marking_found(const struct config *cfg, const char *text, size_t len, char *found,
                           size_t flen);

/**
 * channel_init() - parse the [channel] settings of @cfg, set the process time zone, and load the
 * channel key and the log key from @data_dir (creating each, 0600, on first start; the log key
 * is named after [tlog] origin, and a key made for another origin is refused). Call before threads
 * start. Returns 0 or ERR_INVALID / ERR_IO with the reason in @err. On failure @ch needs no
 * release.
 */
int channel_init(struct channel *ch, const struct config *cfg, const char *data_dir, char *err,
                 size_t errlen);

/**
 * channel_signer_load() - read the signer key file @dir/@file, which must hold the key named
 * @name, or create it (0600) when there is none. *@out is sodium_malloc'd: free it with
 * keys_secure_free() even on failure. Returns 0, ERR_IO, ERR_INVALID or ERR_NOMEM, with @err.
 */
int channel_signer_load(struct note_skey **out, const char *dir, const char *file, const char *name,
                        char *err, size_t errlen);

/**
 * channel_settings_check() - whether @cfg's [channel] settings make a channel (the preset, the
 * deadlines, the zone, the calendar, the principals), as channel_init() reads them, without
 * setting the process's zone or loading a key. 0, or ERR_INVALID / ERR_NOMEM with @err.
 */
int channel_settings_check(const struct config *cfg, char *err, size_t errlen);

/**
 * channel_rules_init() - the deadline policy, the calendar (without runtime days) and the
 * principals of @cfg into @ch, as channel_init() makes them (channel_release() frees them; for
 * a channel's own rules, core/channels.c). 0, or ERR_INVALID / ERR_NOMEM with @err.
 */
int channel_rules_init(struct channel *ch, const struct config *cfg, char *err, size_t errlen);

/** channel_release() - free and wipe; safe on a zeroed struct. */
void channel_release(struct channel *ch);

/** channel_now() - unix seconds on the channel's clock. */
int64_t channel_now(const struct channel *ch);

/** channel_today() - the organisation's local day number for unix time @t: the deployment's
 *  zone (the process's), for what is the deployment's (accounts, the calendar, records). */
int64_t channel_today(int64_t t);

/** channel_day() - the local day number of unix time @t in @ch's own zone: a memo's days, by
 *  its channel's zone (channel_today() when @ch has none). */
int64_t channel_day(const struct channel *ch, int64_t t);

/**
 * channel_span_parse() - "N working-days", "N days" or "N months" into @span.
 * Returns 0 or ERR_INVALID.
 */
int channel_span_parse(const char *s, struct deadline_span *span);

#endif
