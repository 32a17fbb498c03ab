#include "core/housekeeping.h"

#include "core/audit.h"
#include "core/calendar.h"
#include "core/cosigning.h"
#include "core/workflow.h"

#include "core/ledger.h"
#include "core/directory.h"
#include "core/mailer.h"
#include "core/runner.h"
#include "util/err.h"
#include "util/log.h"

#include <string.h>

int housekeeping_standby_check(struct store *st, char *err, size_t errlen)
{
    struct store_standbys s;
    int rc = store_pg_standbys(st, &s);

    if (rc == ERR_INVALID) {
        err_set(err, errlen, "require_sync_standby needs PostgreSQL ([server] db)");
        return rc;
    }
    if (rc != 0) {
        err_set(err, errlen, "cannot ask the database about its standbys");
        return rc;
    }
    return housekeeping_standbys_judge(&s, err, errlen);
}

int housekeeping_standbys_judge(const struct store_standbys *sb, char *err, size_t errlen)
{
    const struct store_standbys s = *sb;

    if (s.recovery)
        err_set(err, errlen,
                "the database is a standby itself (in recovery): name the hosts with "
                "target_session_attrs=read-write so that libpq finds the primary");
    else if (strcmp(s.commit, "on") != 0 && strcmp(s.commit, "remote_apply") != 0 &&
             strcmp(s.commit, "remote_write") != 0)
        err_set(err, errlen,
                "synchronous_commit is %s on the primary: a commit is answered before a standby "
                "has it; set it to on (docs/deploy.md, PostgreSQL failover)",
                s.commit);
    else if (s.names[0] == '\0')
        err_set(err, errlen,
                "synchronous_standby_names is empty on the primary: no standby is synchronous "
                "(%lld streaming asynchronously), and writes acknowledged would be lost with the "
                "primary; name the standby there (docs/deploy.md, PostgreSQL failover)",
                (long long)s.streaming);
    else if (s.sync == 0 && s.hidden > 0)
        err_set(err, errlen,
                "cannot see whether a standby is synchronous: the database user may not read "
                "pg_stat_replication's sync_state (GRANT pg_monitor TO it)");
    else if (s.sync == 0)
        err_set(err, errlen,
                "no synchronous standby is attached (synchronous_standby_names '%s', %lld "
                "streaming asynchronously): every commit waits until one is",
                s.names, (long long)s.streaming);
    else
        return 0;
    return ERR_STATE;
}

void housekeeping_tick(struct housekeeping *hk, struct store *st, const struct config *cfg,
                       const struct channel *ch, int64_t now)
{
    uint64_t size = 0;
    bool lead = false;
    int rc;

    /* the runtime calendar, as another server may have changed it (core/calendar.h) */
    if (ch != NULL && now - hk->last_calendar >= CALENDAR_RELOAD_EVERY) {
        hk->last_calendar = now;
        if ((rc = calendar_reload(st, (struct channel *)ch)) != 0)
            log_warn("could not read the runtime calendar again (%s)", err_str(rc));
    }
    /* a synchronous standby, when the deployment requires one (every server checks its own
     * connection: a standby lost is an error in every server's log) */
    if (cfg->require_sync_standby && now - hk->last_standby >= HOUSEKEEPING_STANDBY_EVERY) {
        char why[400];
        hk->last_standby = now;
        if (housekeeping_standby_check(st, why, sizeof(why)) != 0)
            log_error("database: %s", why);
    }
    /* one server at a time does the periodic work (another takes over if it dies) */
    if (store_leader(st, &lead) != 0 || !lead)
        return;
    mailer_lead(); /* the email sender works on the leading server only */
    runner_lead(); /* and the threads of the directory's sync and the retention schedule */

    /* a checkpoint of what was appended, every [tlog] checkpoint_interval seconds, checked
     * against the last one signed first (ledger_sign(): a stopped log signs nothing) */
    if (ch != NULL && now - hk->last_sign >= cfg->log_interval) {
        hk->last_sign = now;
        rc = ledger_sign(st, ch->log_key, ch->log_origin, now, &size);
        if (rc != 0 && rc != ERR_INTEGRITY) /* an integrity stop was logged with its reason */
            log_warn("could not sign a checkpoint (%s)", err_str(rc));
        if (rc == 0 && size != hk->last_size) {
            hk->last_size = size;
            cosigning_wake(); /* the witnesses are asked for it now */
        }
    }
    /* the read audit's head into the log, every [tlog] audit_anchor_interval seconds (and at
     * every filing: core/workflow.c), so that records before it cannot be taken out and the
     * chain made again unnoticed (core/audit.h). Whether or not it grew: an anchor made only
     * when there were reads would say which hours had some */
    if (hk->last_anchor_at == 0)
        hk->last_anchor_at = now; /* not at the start: an interval after it */
    if (ch != NULL && now - hk->last_anchor_at >= cfg->log_audit_anchor) {
        hk->last_anchor_at = now;
        /* a record of the anchoring itself first (no memo, no one), so that every anchor's head
         * is a new hash: two equal heads in a row would say there was no read in between */
        if ((rc = store_begin(st)) == 0) {
            if ((rc = audit_append(st, 0, 0, "anchored", now)) == 0 &&
                (rc = ledger_audit_head(st, now)) == 0)
                rc = store_commit(st);
            else
                store_rollback(st);
        }
        if (rc != 0)
            log_warn("could not anchor the read audit in the log (%s)", err_str(rc));
    }
    if (ch != NULL && now - hk->last_windows >= HOUSEKEEPING_WINDOWS_EVERY) {
        size_t closed = 0;
        hk->last_windows = now;
        if ((rc = workflow_close_windows(st, ch, now, &closed)) != 0)
            log_warn("could not close the memos whose drafter's window ended (%s)", err_str(rc));
        else if (closed > 0)
            log_info("closed %zu memos whose drafter's window ended", closed);
        if ((rc = workflow_escalations(st, ch, now, &closed)) != 0)
            log_warn("could not record the escalations due (%s)", err_str(rc));
        else if (closed > 0)
            log_info("recorded %zu escalations in the log", closed);
    }
    if (now - hk->last_sweep >= HOUSEKEEPING_SWEEP_EVERY) {
        hk->last_sweep = now;
        if (store_session_purge(st, now - cfg->session_idle, now - cfg->session_lifetime) != 0)
            log_warn("session sweep failed");
    }
}
