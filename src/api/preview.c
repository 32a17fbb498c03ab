/*
 * preview.c - POST /api/v1/preview {"body"} -> {"html"}: a memo's CommonMark source rendered by
 * cmark in its safe mode (raw HTML and javascript:/vbscript:/file:/data: links are dropped), so
 * the web interface can show it with no renderer of its own. Nothing is stored or logged.
 */
#include "api/api.h"

#include "util/err.h"

#include <cmark.h>
#include <stdlib.h>
#include <string.h>

#define PREVIEW_MAX (200 * 1024) /* the memo body limit */

char *api_markdown_html(const char *src, size_t len)
{
    /* CMARK_OPT_SAFE is cmark's default since 0.29; say so anyway */
    return cmark_markdown_to_html(src, len, CMARK_OPT_SAFE);
}

void api_preview(struct api_env *env, struct api_req *req, struct api_resp *resp)
{
    static const char *const allowed[] = {"body", NULL};
    const char *body = NULL;
    char *html;

    if (api_fields_allowed(resp, req->json, allowed) != 0 ||
        api_get_string(resp, req->json, "body", true, PREVIEW_MAX, &body) != 0)
        return;
    html = api_markdown_html(body, strlen(body));
    if (html == NULL) {
        api_error_rc(resp, ERR_NOMEM, NULL);
        return;
    }
    api_ok(resp, 200, json_pack("{s:s}", "html", html));
    free(html);
}
