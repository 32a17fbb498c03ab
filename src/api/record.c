/*
 * record.c - GET /api/v1/memos/{id}/record.pdf: a memo's record copy, as PDF (doc/pdf.h).
 *
 * What the caller may see of the memo (api_memo_view(): the same names, the same text), laid out
 * for the records: the organisation's banner ([records] marking) on every page, the title, the
 * text rendered from its CommonMark, the attached files with their SHA-256, the signers (their
 * names where the caller sees them, else how many), the deadlines and whether they were met, the
 * reply and who approved it, the timeline, and what lets anyone check the copy against the
 * original: the canonical digest, and the memo's entry in the transparency log with the newest
 * checkpoint. Making one is a read in the audit (read_record).
 */
#include "api/api.h"

#include "core/audit.h"
#include "core/ledger.h"
#include "doc/pdf.h"
#include "util/err.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "";
}

/* Unix seconds as "YYYY-MM-DD HH:MM UTC". */
static void when(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm);
}

/* One deadline's line: due, done, met or not. */
static int deadline_line(struct pdf_doc *d, const char *label, json_t *k)
{
    char line[256];
    const char *due = str(k, "due"), *done = str(k, "done_on");
    json_t *on_time = json_object_get(k, "on_time"), *overdue = json_object_get(k, "overdue");

    if (!json_is_object(k))
        return pdf_field(d, label, "none");
    if (done[0] != '\0')
        snprintf(line, sizeof(line), "due %s; done %s, %s", due, done,
                 json_is_true(on_time) ? "on time" : "late");
    else if (json_object_get(k, "stopped") != NULL && json_is_string(json_object_get(k, "stopped")))
        snprintf(line, sizeof(line), "due %s; not done (%s)%s", due, str(k, "stopped"),
                 json_is_true(json_object_get(k, "missed")) ? ", missed" : "");
    else
        snprintf(line, sizeof(line), "due %s; not done yet%s", due,
                 json_is_true(overdue) ? ", overdue" : "");
    return pdf_field(d, label, line);
}

static int build(struct api_env *env, struct api_req *req, const struct memo *m, json_t *v,
                 struct pdf_doc *d)
{
    json_t *files = json_object_get(v, "attachments"), *signers = json_object_get(v, "signers"),
           *dl = json_object_get(v, "deadlines"), *reply = json_object_get(v, "reply"),
           *timeline = json_object_get(v, "timeline"), *drafter = json_object_get(v, "drafter"), *x;
    char line[512], at[32], *cp = NULL;
    uint64_t size = 0;
    size_t i;
    int rc;

    when(req->now, at);
    if ((rc = pdf_title(d, json_is_string(json_object_get(v, "title")) ? str(v, "title")
                                                                       : "(title not shown)")) ||
        (rc = pdf_field(d, "Memo", m->public_id)) || (rc = pdf_field(d, "State", str(v, "state"))))
        return rc;
    if (json_is_object(drafter)) {
        if (str(drafter, "display_name")[0] != '\0')
            snprintf(line, sizeof(line), "%s (%s)", str(drafter, "display_name"),
                     str(drafter, "username"));
        else
            snprintf(line, sizeof(line), "%s", str(drafter, "username"));
        if ((rc = pdf_field(d, "Drafter", line)) != 0)
            return rc;
    }
    when(m->created_at, line);
    if ((rc = pdf_field(d, "Created", line)) != 0 ||
        (json_is_string(json_object_get(v, "filed_on")) &&
         (rc = pdf_field(d, "Filed", str(v, "filed_on"))) != 0) ||
        (rc = pdf_field(d, "Record copy made", at)) != 0)
        return rc;

    if ((rc = pdf_heading(d, "Text")) != 0 ||
        (rc = pdf_markdown(d, str(v, "body"), strlen(str(v, "body")))) != 0)
        return rc;

    if (json_array_size(files) > 0) {
        if ((rc = pdf_heading(d, "Attached files")) != 0)
            return rc;
        json_array_foreach(files, i, x)
        {
            snprintf(line, sizeof(line), "%zu. %s — %lld bytes, %s%s", i + 1, str(x, "name"),
                     (long long)json_integer_value(json_object_get(x, "size")), str(x, "type"),
                     json_is_true(json_object_get(x, "complete")) ? "" : " (not yet complete)");
            if ((rc = pdf_para(d, line)) != 0)
                return rc;
            snprintf(line, sizeof(line), "SHA-256 %s", str(x, "sha256"));
            if ((rc = pdf_mono(d, line, 14)) != 0)
                return rc;
        }
    }

    if ((rc = pdf_heading(d, "Signers")) != 0)
        return rc;
    if (json_is_array(signers)) {
        if (json_array_size(signers) == 0 && (rc = pdf_para(d, "No signatures.")) != 0)
            return rc;
        json_array_foreach(signers, i, x)
        {
            when(json_integer_value(json_object_get(x, "signed_at")), at);
            if (str(x, "display_name")[0] != '\0')
                snprintf(line, sizeof(line), "%s (%s), signed %s", str(x, "display_name"),
                         str(x, "username"), at);
            else
                snprintf(line, sizeof(line), "%s, signed %s", str(x, "username"), at);
            if ((rc = pdf_para(d, line)) != 0)
                return rc;
        }
    } else {
        snprintf(line, sizeof(line),
                 "%lld signature%s; the drafter chose not to show the signers' names.",
                 (long long)json_integer_value(json_object_get(v, "signer_count")),
                 json_integer_value(json_object_get(v, "signer_count")) == 1 ? "" : "s");
        if ((rc = pdf_para(d, line)) != 0)
            return rc;
    }

    if (json_is_object(dl)) {
        if ((rc = pdf_heading(d, "Deadlines")) != 0 ||
            (rc = deadline_line(d, "Acknowledgement", json_object_get(dl, "acknowledge"))) != 0 ||
            (rc = deadline_line(d, "Reply", json_object_get(dl, "reply"))) != 0)
            return rc;
    }
    if (json_is_string(json_object_get(v, "decline_reason")) &&
        ((rc = pdf_heading(d, "Why it was declined")) != 0 ||
         (rc = pdf_para(d, str(v, "decline_reason"))) != 0))
        return rc;

    if (json_is_object(reply)) {
        json_t *ap = json_object_get(reply, "approved_by");
        if ((rc = pdf_heading(d, "The channel's reply")) != 0 ||
            (rc = pdf_markdown(d, str(reply, "body"), strlen(str(reply, "body")))) != 0)
            return rc;
        if (json_is_object(ap) && (rc = pdf_field(d, "Approved and signed by the channel's head",
                                                  str(ap, "username"))) != 0)
            return rc;
        if ((rc = pdf_para(d, "The channel's signed note binding the reply to this memo:")) != 0 ||
            (rc = pdf_mono(d, str(reply, "note"), 0)) != 0)
            return rc;
    }

    if ((rc = pdf_heading(d, "Timeline")) != 0)
        return rc;
    json_array_foreach(timeline, i, x)
    {
        const char *by = str(x, "by"), *detail = str(x, "detail");
        when(json_integer_value(json_object_get(x, "at")), at);
        snprintf(line, sizeof(line), "%s — %s%s%s", at, str(x, "event"), by[0] ? " by " : "", by);
        if ((rc = pdf_para(d, line)) != 0 || (detail[0] && (rc = pdf_mono(d, detail, 14)) != 0))
            return rc;
    }

    if ((rc = pdf_heading(d, "Checking this copy")) != 0)
        return rc;
    if (m->has_digest) {
        if ((rc = pdf_para(d, "The SHA-256 digest of the memo's canonical text (its title, its "
                              "text and its files' names, sizes and digests; docs/formats.md), "
                              "which every signature covers:")) != 0 ||
            (rc = pdf_mono(d, str(v, "digest"), 14)) != 0)
            return rc;
    } else if ((rc = pdf_para(d, "A draft: its text is not frozen, and has no digest yet.")) != 0) {
        return rc;
    }
    if (m->has_log && m->log_index >= 0) {
        snprintf(line, sizeof(line),
                 "Its filing is entry %lld of the channel's public transparency log; the "
                 "filing receipt (GET .../receipt, `dissent verify`) proves it.",
                 (long long)m->log_index);
        if ((rc = pdf_para(d, line)) != 0)
            return rc;
        rc = ledger_checkpoint(env->st, &cp, &size);
        if (rc == 0 && size > (uint64_t)m->log_index)
            rc = pdf_para(d, "The newest signed checkpoint of the log, which covers it:");
        if (rc == 0 && size > (uint64_t)m->log_index)
            rc = pdf_mono(d, cp, 14);
        else if (rc == 0 || rc == ERR_NOT_FOUND)
            rc = pdf_para(d, "No signed checkpoint covers it yet (one is signed every minute).");
        mem_free(cp);
    }
    return rc;
}

void api_memos_record(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    const struct memo *m = &req->memo;
    const char *marking = env->cfg->records_marking;
    struct pdf_doc *d = NULL;
    json_t *v = NULL;
    char footer[128];
    uint8_t *pdf = NULL;
    size_t len = 0;
    int rc;

    if ((rc = api_memo_view(env, req, m, &v)) != 0) {
        api_error_rc(resp, rc, NULL);
        return;
    }
    snprintf(footer, sizeof(footer), "Dissent memo %s, record copy", m->public_id);
    if ((rc = pdf_new(marking, footer, json_string_value(json_object_get(v, "title")), &d)) == 0 &&
        (rc = build(env, req, m, v, d)) == 0 && (rc = pdf_render(d, &pdf, &len)) == 0 &&
        req->method != API_HEAD) /* a HEAD request reads nothing */
        rc = audit_read(env->st, m->id, req->user.id, "read_record", req->now);
    pdf_free(d);
    json_decref(v);
    if (rc != 0) {
        mem_free(pdf);
        api_error_rc(resp, rc, NULL);
        return;
    }
    resp->status = 200;
    resp->raw = pdf;
    resp->raw_len = len;
    resp->content_type = "application/pdf";
    if ((resp->disposition = mem_alloc(80)) != NULL)
        snprintf(resp->disposition, 80, "attachment; filename=\"dissent-memo-%s.pdf\"",
                 m->public_id);
}
