/*
 * deadline.c - deadline presets and due-day computation.
 */
#include "core/deadline.h"

#include <string.h>

#include "util/err.h"

/* A named preset. */
struct deadline_preset {
    const char *name;              /* configuration name */
    struct deadline_policy policy; /* its values */
};

static const struct deadline_preset deadline_presets[] = {
    {"state-dept",
     {
         .ack = {DEADLINE_UNIT_WORKING_DAYS, 2},
         .reply = {DEADLINE_UNIT_WORKING_DAYS, 30},
         .reply_max = {DEADLINE_UNIT_WORKING_DAYS, 60},
         .reply_from = DEADLINE_BASE_FILING,
     }},
    {"eu-directive",
     {
         .ack = {DEADLINE_UNIT_CALENDAR_DAYS, 7},
         .reply = {DEADLINE_UNIT_MONTHS, 3},
         /* an internal channel answers within three months (Directive 2019/1937, Art. 9(1)(f));
          * the six-month extension is the external channels' (Art. 11): none here */
         .reply_max = {DEADLINE_UNIT_MONTHS, 3},
         .reply_from = DEADLINE_BASE_ACK,
     }},
};

int deadline_policy_from_preset(const char *name, struct deadline_policy *policy)
{
    size_t i;

    if (name == NULL)
        return ERR_INVALID;
    for (i = 0; i < sizeof(deadline_presets) / sizeof(deadline_presets[0]); i++) {
        if (strcmp(name, deadline_presets[i].name) == 0) {
            *policy = deadline_presets[i].policy;
            return 0;
        }
    }
    return ERR_INVALID;
}

/* Whether @span has a known unit and a count within that unit's limit. */
static int span_check(const struct deadline_span *span, const char *field, char *err, size_t errlen)
{
    int max;

    switch (span->unit) {
    case DEADLINE_UNIT_WORKING_DAYS:
        max = DEADLINE_WORKING_DAYS_MAX;
        break;
    case DEADLINE_UNIT_CALENDAR_DAYS:
        max = DEADLINE_CALENDAR_DAYS_MAX;
        break;
    case DEADLINE_UNIT_MONTHS:
        max = DEADLINE_MONTHS_MAX;
        break;
    default:
        err_set(err, errlen, "deadline %s: unknown unit", field);
        return ERR_INVALID;
    }
    if (span->count < 0 || span->count > max) {
        err_set(err, errlen, "deadline %s: count %d outside 0..%d", field, span->count, max);
        return ERR_INVALID;
    }
    return 0;
}

int deadline_policy_check(const struct deadline_policy *policy, char *err, size_t errlen)
{
    int rc;

    rc = span_check(&policy->ack, "ack", err, errlen);
    if (rc < 0)
        goto out;
    rc = span_check(&policy->reply, "reply", err, errlen);
    if (rc < 0)
        goto out;
    rc = span_check(&policy->reply_max, "reply_max", err, errlen);
    if (rc < 0)
        goto out;
    if (policy->reply_from != DEADLINE_BASE_FILING && policy->reply_from != DEADLINE_BASE_ACK) {
        err_set(err, errlen, "deadline reply_from: unknown base");
        rc = ERR_INVALID;
        goto out;
    }
    if (policy->reply.unit == policy->reply_max.unit &&
        policy->reply_max.count < policy->reply.count) {
        err_set(err, errlen, "deadline reply_max: %d is shorter than reply (%d)",
                policy->reply_max.count, policy->reply.count);
        rc = ERR_INVALID;
        goto out;
    }
out:
    return rc;
}

int deadline_span_apply(const struct deadline_span *span, const struct workdays_calendar *cal,
                        int64_t from, int64_t *out)
{
    int rc;

    rc = span_check(span, "span", NULL, 0);
    if (rc < 0)
        goto out;
    switch (span->unit) {
    case DEADLINE_UNIT_WORKING_DAYS:
        rc = workdays_calendar_add(cal, from, span->count, out);
        break;
    case DEADLINE_UNIT_CALENDAR_DAYS:
        rc = workdays_day_add_days(from, span->count, out);
        break;
    case DEADLINE_UNIT_MONTHS:
        rc = workdays_day_add_months(from, span->count, out);
        break;
    }
out:
    return rc;
}

int deadline_ack_due(const struct deadline_policy *policy, const struct workdays_calendar *cal,
                     int64_t filed, int64_t *due)
{
    int rc;

    rc = deadline_policy_check(policy, NULL, 0);
    if (rc < 0)
        goto out;
    rc = deadline_span_apply(&policy->ack, cal, filed, due);
out:
    return rc;
}

int deadline_reply_base(const struct deadline_policy *policy, const struct workdays_calendar *cal,
                        int64_t filed, int64_t acked, int64_t *base)
{
    int64_t ack_due;
    int rc;

    rc = deadline_policy_check(policy, NULL, 0);
    if (rc < 0)
        goto out;
    if (filed < WORKDAYS_DAY_MIN || filed > WORKDAYS_DAY_MAX ||
        (acked != DEADLINE_DAY_NONE && (acked < filed || acked > WORKDAYS_DAY_MAX))) {
        rc = ERR_INVALID;
        goto out;
    }
    if (policy->reply_from == DEADLINE_BASE_FILING) {
        *base = filed;
        goto out;
    }
    rc = deadline_span_apply(&policy->ack, cal, filed, &ack_due);
    if (rc < 0)
        goto out;
    *base = acked != DEADLINE_DAY_NONE && acked <= ack_due ? acked : ack_due;
out:
    return rc;
}

int deadline_reply_due(const struct deadline_policy *policy, const struct workdays_calendar *cal,
                       int64_t filed, int64_t acked, int64_t *due)
{
    int64_t base;
    int rc;

    rc = deadline_reply_base(policy, cal, filed, acked, &base);
    if (rc < 0)
        goto out;
    rc = deadline_span_apply(&policy->reply, cal, base, due);
out:
    return rc;
}

int deadline_reply_max(const struct deadline_policy *policy, const struct workdays_calendar *cal,
                       int64_t filed, int64_t acked, int64_t *max)
{
    int64_t base, due, limit;
    int rc;

    rc = deadline_reply_base(policy, cal, filed, acked, &base);
    if (rc < 0)
        goto out;
    rc = deadline_span_apply(&policy->reply, cal, base, &due);
    if (rc < 0)
        goto out;
    rc = deadline_span_apply(&policy->reply_max, cal, base, &limit);
    if (rc < 0)
        goto out;
    /* With mixed units the maximum could come out earlier; it never undercuts the due day. */
    *max = limit > due ? limit : due;
out:
    return rc;
}

int deadline_extension_check(const struct deadline_policy *policy,
                             const struct workdays_calendar *cal, int64_t filed, int64_t acked,
                             int64_t current_due, int64_t new_due, char *err, size_t errlen)
{
    char when[WORKDAYS_ISO_SIZE];
    int64_t max;
    int rc;

    rc = deadline_reply_max(policy, cal, filed, acked, &max);
    if (rc == 0 && (current_due < WORKDAYS_DAY_MIN || current_due > WORKDAYS_DAY_MAX ||
                    new_due < WORKDAYS_DAY_MIN || new_due > WORKDAYS_DAY_MAX))
        rc = ERR_INVALID;
    if (rc < 0) {
        err_set(err, errlen, "extension: invalid policy or days");
        goto out;
    }
    if (new_due <= current_due) {
        workdays_day_format(current_due, when, sizeof(when));
        err_set(err, errlen, "extension: the new due date must be later than %s",
                when[0] != '\0' ? when : "the current one");
        rc = ERR_INVALID;
        goto out;
    }
    if (new_due > max) {
        workdays_day_format(max, when, sizeof(when));
        err_set(err, errlen, "extension: the new due date is past the maximum %s", when);
        rc = ERR_INVALID;
        goto out;
    }
out:
    return rc;
}
