#include "http/json.h"

#include "util/err.h"
#include "util/mem.h"

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

/* What was wrong, for the error message (never the input itself). */
static const char *why(enum json_error_code code)
{
    switch (code) {
    case json_error_duplicate_key:
        return ": duplicate key";
    case json_error_invalid_utf8:
        return ": invalid UTF-8";
    case json_error_null_character:
    case json_error_null_byte_in_key:
        return ": NUL character";
    case json_error_premature_end_of_input:
        return ": unexpected end of input";
    case json_error_end_of_input_expected:
        return ": text after the value";
    case json_error_numeric_overflow:
        return ": number out of range";
    default:
        return "";
    }
}

int http_json_parse(const char *body, size_t len, json_t **out, char *err, size_t errlen)
{
    json_error_t je;
    bool nomem;
    json_t *v;

    *out = NULL;
    if (depth_within(body, len, HTTP_JSON_MAX_DEPTH) != 0) {
        err_set(err, errlen, "JSON nested deeper than %d levels", HTTP_JSON_MAX_DEPTH);
        return ERR_INVALID;
    }
    v = mem_json_loadb(body, len, JSON_REJECT_DUPLICATES, &je, &nomem);
    if (nomem) {
        err_set(err, errlen, "out of memory");
        return ERR_NOMEM;
    }
    if (v == NULL) {
        err_set(err, errlen, "malformed JSON at line %d column %d%s", je.line, je.column,
                why(json_error_code(&je)));
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
