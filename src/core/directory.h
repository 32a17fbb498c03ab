/*
 * directory.h - accounts kept in step with the organisation's LDAP directory ([directory],
 * docs/config.md): `dissent directory sync`, and the server itself every [directory] interval.
 *
 * One sync reads the people (base_dn, filter: username, display name and email attributes) and,
 * where a role is mapped to a group, the groups (group_base_dn, group_filter, member_attribute),
 * over net/ldap.h, then brings the accounts in step:
 *   - a person without an account gets one, pending enrolment (no code: they enrol through single
 *     sign-on, core/oidc.h, or an administrator's reset gives them a code), with the roles their
 *     groups give (staff when no role is mapped);
 *   - an account of the same username is kept from then on (STORE_USER_DIRECTORY, under its MAC):
 *     its display name and email follow the directory, and its roles the groups where any role is
 *     mapped (enrol_account_set(): logged, the channel key's last holder kept), and its channels
 *     the channels' directory_group where any channel has one (core/channels.h: the channels
 *     whose group lists the person, else channel 1; enrol_channels_set(): the grants of the
 *     channels left revoked, a channel's last key holder kept);
 *   - an account kept that the directory no longer lists is disabled: its sessions end and its
 *     channel grant goes, unless it is the last active holder of the channel key (then it is
 *     kept, and said).
 * Operators' accounts (admin, auditor) are never touched, nor accounts the directory never
 * listed. A directory that cannot be read changes nothing. A sync that would disable more than
 * [directory] max_disable percent of the accounts it keeps (a directory that suddenly returns no
 * one) is refused whole, nothing changed, unless forced.
 */
#ifndef DISSENT_CORE_DIRECTORY_H
#define DISSENT_CORE_DIRECTORY_H

#include "store/store.h"
#include "util/config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a sync did (or, dry, would do). */
struct directory_report {
    int people;   /* read from the directory */
    int created;  /* accounts made */
    int updated;  /* names or emails changed, or accounts newly kept */
    int roles;    /* role changes */
    int disabled; /* accounts disabled */
    int kept;     /* changes refused on an account (the last key holder, roles not valid) */
    int skipped;  /* directory entries not used (no usable username, a duplicate) */
    /* each change and refusal, one line each ("create alice (staff)"), or NULL */
    void (*line)(void *arg, const char *text);
    void *arg;
};

/** directory_enabled() - whether [directory] url is set. */
bool directory_enabled(const struct config *cfg);

/**
 * directory_check() - the [directory] settings at start: an allowed URL (net/ldap.h), a base DN,
 * the attribute names, a head group only with an officer group.
 */
int directory_check(const struct config *cfg, char *err, size_t errlen);

/**
 * directory_sync() - one sync (above) at @now; with @dry_run, only @rep's lines and counts say
 * what would change; @force lifts the max_disable limit. Returns 0; ERR_IO (the directory
 * cannot be read: nothing changed; @err says why), ERR_STATE (refused: it would disable more
 * than max_disable percent; nothing changed), or a store error (changes made before it stay,
 * each whole).
 */
int directory_sync(struct store *st, const struct config *cfg, bool dry_run, bool force,
                   int64_t now, struct directory_report *rep, char *err, size_t errlen);

struct channel;
struct runner;

/**
 * directory_start() - where [directory] url and interval are set, the server's own sync: a
 * thread (core/runner.h) on a connection of its own to @uri that, every interval, on the leading
 * server only, runs directory_sync() and logs its lines (never forced: a sync over max_disable
 * is logged as refused). *@out is NULL when there is none (runner_stop() it). @cfg and @ch must
 * outlive it.
 */
int directory_start(const struct config *cfg, const char *uri, const struct channel *ch,
                    struct runner **out);

#endif
