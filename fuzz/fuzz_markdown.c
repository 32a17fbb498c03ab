/*
 * fuzz_markdown.c - the CommonMark rendering wrapper of POST /api/v1/preview
 * (api_markdown_html()): any bytes up to the memo body limit render without a crash, and the
 * safe mode lets no raw HTML tag through.
 */
#include "fuzz.h"

#include "api/api.h"

#include <strings.h>

#define MARKDOWN_MAX (200 * 1024) /* the memo body limit (api/preview.c) */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *src, *html;

    if (size > MARKDOWN_MAX)
        return 0;
    src = fuzz_cstr(data, size);
    html = api_markdown_html(src, size);
    if (html == NULL)
        abort();
    /* safe mode: cmark writes "<!-- raw HTML omitted -->" instead of any raw HTML */
    if (strcasestr(html, "<script") != NULL || strcasestr(html, "href=\"javascript:") != NULL ||
        strcasestr(html, "src=\"javascript:") != NULL)
        abort();
    free(html);
    free(src);
    return 0;
}
