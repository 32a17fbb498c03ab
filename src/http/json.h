/*
 * json.h - request bodies in, response bodies out (over jansson).
 */
#ifndef DISSENT_HTTP_JSON_H
#define DISSENT_HTTP_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define HTTP_JSON_MAX_DEPTH 16 /* nesting of arrays and objects in a request body */

/**
 * http_json_is_json_type() - true when the Content-Type header value is application/json
 * (parameters such as "; charset=utf-8" allowed).
 */
bool http_json_is_json_type(const char *content_type);

/**
 * http_json_parse() - parse @len bytes as one JSON object, rejecting nesting deeper than
 * HTTP_JSON_MAX_DEPTH, duplicate keys, NUL bytes and invalid UTF-8.
 * Returns 0 and a new reference in *@out (caller json_decref()s it), or ERR_INVALID with a short
 * reason in @err (never echoing the input).
 */
int http_json_parse(const char *body, size_t len, json_t **out, char *err, size_t errlen);

#endif
