/*
 * deadline.h - deadline policies: when a filed memo must be acknowledged and answered (pure).
 *
 * A policy has three spans, each a count of some unit:
 *   ack        acknowledgement due, counted from the filing day;
 *   reply      substantive reply due, counted from the filing day or from the acknowledgement;
 *   reply_max  the latest an extension (with a reason) may move the reply to, from the same base.
 * Working days are counted with a struct workdays_calendar (workdays_calendar_add(): the N-th
 * working day strictly after the base day). Calendar days and months are plain civil arithmetic
 * on the base day (months clamp to the month's end: Jan 31 + 1 month = Feb 28/29); a due day
 * that falls on a weekend or holiday is NOT moved, which is the stricter reading.
 *
 * Presets (deadline_policy_from_preset()):
 *   "state-dept"    US State Department Dissent Channel: acknowledge within 2 working days of
 *                   filing; reply within 30 working days of filing, extendable to 60.
 *   "eu-directive"  EU Whistleblower Directive 2019/1937, art. 9(1)(b) and (f): acknowledge
 *                   within 7 calendar days of filing; feedback within 3 months of the
 *                   acknowledgement, extendable to 6 months from it (the "duly justified
 *                   cases" limit art. 11(2)(d) sets for external channels; art. 9 itself allows
 *                   no extension, so an organisation bound by it sets reply_max to 3 months).
 *
 * When the reply counts from the acknowledgement, its base is the acknowledgement day if the
 * memo was acknowledged on time, and the acknowledgement due day otherwise: before any
 * acknowledgement (as the Directive says for "no acknowledgement was sent") and also after a
 * late one, so that acknowledging late never buys the organisation a later reply deadline.
 *
 * All days are day numbers as in workdays.h. Every function is thread safe.
 */
#ifndef DISSENT_CORE_DEADLINE_H
#define DISSENT_CORE_DEADLINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/workdays.h"

/* "Not acknowledged yet", for the @acked parameters below. */
#define DEADLINE_DAY_NONE INT64_C(-1)

/* Largest counts a policy may use, per unit (about ten years each). */
#define DEADLINE_WORKING_DAYS_MAX 2600
#define DEADLINE_CALENDAR_DAYS_MAX 3660
#define DEADLINE_MONTHS_MAX 120

/* What a span counts. */
enum deadline_unit {
    DEADLINE_UNIT_WORKING_DAYS = 0, /* working days of the calendar */
    DEADLINE_UNIT_CALENDAR_DAYS,    /* calendar days */
    DEADLINE_UNIT_MONTHS,           /* calendar months, clamped to the month's end */
};

/* What the reply clock counts from. */
enum deadline_base {
    DEADLINE_BASE_FILING = 0, /* the filing day */
    DEADLINE_BASE_ACK,        /* the acknowledgement (see the rule in the file comment) */
};

/* A length of time: @count of @unit. */
struct deadline_span {
    enum deadline_unit unit; /* what is counted */
    int count;               /* how many, 0..the unit's DEADLINE_*_MAX */
};

/* A complete deadline policy; plain data, copy it freely. */
struct deadline_policy {
    struct deadline_span ack;       /* acknowledgement due, from the filing day */
    struct deadline_span reply;     /* reply due, from @reply_from */
    struct deadline_span reply_max; /* latest extended reply, from @reply_from */
    enum deadline_base reply_from;  /* base of @reply and @reply_max */
};

/**
 * deadline_policy_from_preset() - fill @policy from a preset name.
 * @name: "state-dept" or "eu-directive" (exact, case-sensitive).
 * @policy: out: the preset's values, which the caller may then override field by field (and
 *          check with deadline_policy_check()).
 *
 * Returns 0, or ERR_INVALID for an unknown or NULL name (then *@policy is unchanged).
 */
int deadline_policy_from_preset(const char *name, struct deadline_policy *policy);

/**
 * deadline_policy_check() - validate an overridden policy.
 * @policy: the policy.
 * @err: optional buffer for a human message naming the bad field.
 * @errlen: size of @err.
 *
 * Checks the enums, that every count lies in 0..its unit's DEADLINE_*_MAX, and, when @reply and
 * @reply_max use the same unit, that @reply_max is not shorter than @reply.
 * Returns 0 or ERR_INVALID.
 */
int deadline_policy_check(const struct deadline_policy *policy, char *err, size_t errlen);

/**
 * deadline_span_apply() - the day @span after @from.
 * @span: the span (count 0 gives @from itself).
 * @cal: the calendar for working days.
 * @from: the base day.
 * @out: out: the resulting day.
 *
 * Returns 0, or ERR_INVALID for a bad span or a day out of range (then *@out is unchanged).
 */
int deadline_span_apply(const struct deadline_span *span, const struct workdays_calendar *cal,
                        int64_t from, int64_t *out);

/**
 * deadline_ack_due() - the last day for acknowledging a memo filed on @filed.
 * @policy: the policy.
 * @cal: the calendar.
 * @filed: the filing day (local day in the organisation's zone).
 * @due: out: the acknowledgement due day.
 *
 * Returns 0 or ERR_INVALID (bad policy or day; *@due unchanged).
 */
int deadline_ack_due(const struct deadline_policy *policy, const struct workdays_calendar *cal,
                     int64_t filed, int64_t *due);

/**
 * deadline_reply_base() - the day the reply clock counts from (the rule in the file comment):
 * @filed, or the acknowledgement day or its due day. Returns 0 or ERR_INVALID (*@base unchanged).
 */
int deadline_reply_base(const struct deadline_policy *policy, const struct workdays_calendar *cal,
                        int64_t filed, int64_t acked, int64_t *base);

/**
 * deadline_reply_due() - the last day for replying, before any extension.
 * @policy: the policy.
 * @cal: the calendar.
 * @filed: the filing day.
 * @acked: the acknowledgement day, or DEADLINE_DAY_NONE when not acknowledged yet; used only when
 *         @policy->reply_from is DEADLINE_BASE_ACK (see the file comment for the rule).
 * @due: out: the reply due day.
 *
 * Returns 0, or ERR_INVALID for a bad policy or day, including @acked before @filed (then *@due
 * is unchanged).
 */
int deadline_reply_due(const struct deadline_policy *policy, const struct workdays_calendar *cal,
                       int64_t filed, int64_t acked, int64_t *due);

/**
 * deadline_reply_max() - the latest day an extension may move the reply to.
 * @policy: the policy.
 * @cal: the calendar.
 * @filed: the filing day.
 * @acked: the acknowledgement day or DEADLINE_DAY_NONE, as for deadline_reply_due().
 * @max: out: the maximum; never earlier than the reply due day.
 *
 * Returns 0 or ERR_INVALID (then *@max is unchanged).
 */
int deadline_reply_max(const struct deadline_policy *policy, const struct workdays_calendar *cal,
                       int64_t filed, int64_t acked, int64_t *max);

/**
 * deadline_extension_check() - whether the reply may be extended to @new_due.
 * @policy: the policy.
 * @cal: the calendar.
 * @filed: the filing day.
 * @acked: the acknowledgement day or DEADLINE_DAY_NONE, as for deadline_reply_due().
 * @current_due: the reply due day in force (the original one, or an earlier extension's).
 * @new_due: the requested reply due day.
 * @err: optional buffer for a human message (it names the limit as YYYY-MM-DD).
 * @errlen: size of @err.
 *
 * Returns 0 when @current_due < @new_due <= deadline_reply_max(); ERR_INVALID when @new_due is
 * not later than @current_due, lies past the maximum, or any input is bad.
 */
int deadline_extension_check(const struct deadline_policy *policy,
                             const struct workdays_calendar *cal, int64_t filed, int64_t acked,
                             int64_t current_due, int64_t new_due, char *err, size_t errlen);

#endif
