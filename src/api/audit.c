/*
 * audit.c - GET /api/v1/memos/{id}/audit: who read or changed the memo, and when (drafter and
 * officers, by the route table). Records come from the hash-chained read audit (core/audit.h).
 */
#include "api/api.h"

#include "core/access.h"
#include "core/workflow.h"

#include "util/err.h"
#include "util/strutil.h"
#include "util/mem.h"

#include <stdlib.h>

#define AUDIT_PAGE_MAX 1000

void api_memos_audit(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    struct audit_record *recs = NULL;
    char after_s[24], lim[16];
    int64_t after = 0, limit = AUDIT_PAGE_MAX;
    size_t n = 0;
    json_t *arr;
    int rc;

    if ((rc = api_query(req, resp, "after", after_s, sizeof(after_s))) == ERR_INVALID)
        return;
    if (rc == 0 && str_parse_i64(after_s, 0, INT64_MAX, &after) != 0) {
        api_error_field(resp, "after", "after must be a record id");
        return;
    }
    if ((rc = api_query(req, resp, "limit", lim, sizeof(lim))) == ERR_INVALID)
        return;
    if (rc == 0 && str_parse_i64(lim, 1, AUDIT_PAGE_MAX, &limit) != 0) {
        api_error_field(resp, "limit", "limit must be 1 to %d", AUDIT_PAGE_MAX);
        return;
    }
    /* the audit names every reader: an officer sees it only once holding the channel key, like
     * the memo itself (the drafter always sees who read their memo) */
    if (!(req->rel & WF_DRAFTER)) {
        bool granted = false;
        if ((rc = access_channel_granted(env->st, req->memo.channel_id, req->user.id, &granted)) !=
            0) {
            api_error_rc(resp, rc, NULL);
            return;
        }
        if (!granted) {
            api_error(resp, 403, "no_key",
                      "channel access not yet granted: an officer who holds it must grant it "
                      "to you before you see who read a memo");
            return;
        }
    }
    if ((rc = store_audit_list(env->st, req->memo.id, after, (int)limit, &recs, &n)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)recs[i].id,
                                             "by", recs[i].username, "action", recs[i].action, "at",
                                             (json_int_t)recs[i].at));
    api_ok(resp, 200,
           json_pack("{s:o, s:o}", "records", arr, "next",
                     n == (size_t)limit ? json_integer(recs[n - 1].id) : json_null()));
    mem_free(recs);
}
