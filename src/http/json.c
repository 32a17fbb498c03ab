#include "http/json.h"

#include "util/err.h"

#include <string.h>
#include <strings.h>

bool http_json_is_json_type(const char *ct)
{
    size_t n = strlen("application/json");

    if (ct == NULL)
        return false;
    while (*ct == ' ')
        ct++;
    if (strncasecmp(ct, "application/json", n) != 0)
        return false;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* Nesting depth of the JSON text, skipping strings; -1 when it exceeds @max. */
static int depth_within(const char *s, size_t len, int max)
{
    int depth = 0;
    bool in_str = false;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return -1;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 0;
}

int http_json_parse(const char *body, size_t len, json_t **out, char *err, size_t errlen)
{
    json_error_t je;
    json_t *v;

    *out = NULL;
    if (depth_within(body, len, HTTP_JSON_MAX_DEPTH) != 0) {
        err_set(err, errlen, "JSON nested deeper than %d levels", HTTP_JSON_MAX_DEPTH);
        return ERR_INVALID;
    }
    v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (v == NULL) {
        err_set(err, errlen, "malformed JSON at line %d column %d", je.line, je.column);
        return ERR_INVALID;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        err_set(err, errlen, "the body must be a JSON object");
        return ERR_INVALID;
    }
    *out = v;
    return 0;
}
