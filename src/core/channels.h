/*
 * channels.h - the channels of a deployment (docs/channels.md): each a number, a short name
 * (its slug), a display name, and its own settings over the deployment's [channel] ones. Channel
 * 1 is the deployment's own, made by the migrations. A channel's settings are those of the
 * [channel] section (channel_settings_check() judges them), kept as a JSON object of strings;
 * a channel is never deleted.
 */
#ifndef DISSENT_CORE_CHANNELS_H
#define DISSENT_CORE_CHANNELS_H

#include "store/store.h"
#include "util/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHANNELS_MAX 64 /* channels in one deployment */

/** channels_has() - whether the set @mask (bit N-1 for channel N) holds channel @channel. */
static inline bool channels_has(uint64_t mask, int64_t channel)
{
    return channel >= 1 && channel <= CHANNELS_MAX && ((mask >> (channel - 1)) & 1u) != 0;
}

/** channels_slug_valid() - 1 to 32 of [a-z0-9-], beginning with a letter or digit. */
bool channels_slug_valid(const char *slug);

/** channels_name_valid() - 0 to 128 bytes of UTF-8 text on one line, no control characters. */
bool channels_name_valid(const char *name);

/** channels_setting_known() - whether @key is a setting a channel may have of its own. */
bool channels_setting_known(const char *key);

/** channels_settings_keys() - those settings, NULL-terminated. */
const char *const *channels_settings_keys(void);

/**
 * channels_config() - the settings of a channel: @base (the deployment's) with each of
 * @settings (a JSON object of strings, as stored) over its [channel] section, into @out, and
 * checked (channel_settings_check()). 0, or ERR_INVALID / ERR_NOMEM with @err naming the
 * setting.
 */
int channels_config(const struct config *base, const char *settings, struct config *out, char *err,
                    size_t errlen);

/**
 * channels_settings_set() - @settings with @key set to @value (an empty @value removes it: the
 * deployment's again), as a new JSON text *@out (malloc'd). ERR_INVALID for a key that is no
 * channel setting, or a text over STORE_CHANNEL_SETTINGS_MAX.
 */
int channels_settings_set(const char *settings, const char *key, const char *value, char **out,
                          char *err, size_t errlen);

/**
 * channels_add() - a new channel @slug named @name, with the @n settings @keys = @values, after
 * every check (the slug free and valid, the name, each setting and the channel they make), in
 * one transaction. The channel as stored, its number included, into @out when not NULL (its
 * settings malloc'd: free them). 0, ERR_EXISTS (the slug is taken), ERR_INVALID (with @err),
 * ERR_TOO_LARGE (CHANNELS_MAX reached) or the store's error. A calendar is a shipped one's id or
 * "none" here: a file is the settings file's to name.
 */
int channels_add(struct store *st, const struct config *base, const char *slug, const char *name,
                 const char *const *keys, const char *const *values, size_t n, int64_t now,
                 struct channel_row *out, char *err, size_t errlen);

/**
 * channels_set() - change channel @slug: its name (NULL: kept) and the @n settings @keys to
 * @values ("" for the deployment's), checked as channels_add() checks them. 0, ERR_NOT_FOUND,
 * ERR_INVALID (with @err) or the store's error; the channel as stored into @out, as
 * channels_add() says. A change of its settings is a channel-changed log entry at @now, in the
 * same transaction (core/ledger.h), as a channel's making is.
 */
int channels_set(struct store *st, const struct config *base, const char *slug, const char *name,
                 const char *const *keys, const char *const *values, size_t n, int64_t now,
                 struct channel_row *out, char *err, size_t errlen);

/**
 * channels_may_file() - whether @u may file to the channel @r, into *@may: every staff member,
 * or with filers = members (its own setting, else [channel]'s in @base) only those of the
 * channel (@u->channels). Staff alone file: the caller checked the role. 0, or ERR_NOMEM (the
 * settings, MAC-checked, could not be read: nothing may be decided from them).
 */
int channels_may_file(const struct config *base, const struct channel_row *r, const struct user *u,
                      bool *may);

/**
 * channels_list() - every channel by number (store_channel_list(): each row's MAC checked),
 * checked against the pin too (trust_channel_rows(): no earlier version of a row put back, no
 * channel deleted). Free with store_channel_list_free(). 0, ERR_INTEGRITY or the store's error.
 */
int channels_list(struct store *st, struct channel_row **out, size_t *count);

/**
 * channels_get() - the channel named @slug (NULL: the one numbered @id) into @out (its settings
 * malloc'd: free them), each row's MAC checked. 0, ERR_NOT_FOUND or the store's error.
 */
int channels_get(struct store *st, const char *slug, int64_t id, struct channel_row *out);

struct channel;
struct channel_views;

/**
 * channel_of() - the rules in effect for the memos of channel @id into *@out: the deployment's
 * @base itself for channel 1 without settings of its own, else a struct channel made from the
 * channel's row (its settings over [channel]: deadlines, holidays, principals, accept window,
 * clarification days, reply approval, filers), sharing @base's keys, clock, log, second-factor
 * rules and runtime calendar (closures and clock stops, core/calendar.h), and its time zone
 * (the deployment's: docs/channels.md). The row is read each time (another server may have
 * changed it); a view is made once per version of its settings, and kept until
 * channel_release(@base), so that *@out stays valid for as long as @base. Thread safe.
 * 0, ERR_INTEGRITY (no such channel, or a row failing its MAC), ERR_INVALID (settings that no
 * longer make a channel: logged), ERR_NOMEM or the store's error.
 */
int channel_of(const struct channel *base, struct store *st, int64_t id,
               const struct channel **out);

/** channels_views_new() - an empty table of channels' rules (channel_init()). */
int channels_views_new(struct channel_views **out);

/** channels_views_free() - free every view made (channel_release()); NULL is nothing. */
void channels_views_free(struct channel_views *v);

/**
 * channels_own() - @r's own value of @key (agency_head or directory_group: a channel's own,
 * never inherited) into @out ("" when unset; channel 1's is [channel]'s in @base when its row
 * does not set it). 0, ERR_INVALID (another key, or settings that do not parse), ERR_TOO_LARGE.
 */
int channels_own(const struct channel_row *r, const struct config *base, const char *key, char *out,
                 size_t len);

/** channels_find() - the channel @slug among @rows (store_channel_list()), or NULL. */
const struct channel_row *channels_find(const struct channel_row *rows, size_t n, const char *slug);

#endif
