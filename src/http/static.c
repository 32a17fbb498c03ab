/*
 * static.c - lookup in the table of embedded web files that scripts/embed.py generates.
 */
#include "http/static.h"

#include <string.h>

const struct http_static_asset *http_static_find(const char *path)
{
    /* a handful of files: a linear scan is simplest and fast enough */
    for (size_t i = 0; i < http_static_asset_count; i++)
        if (strcmp(http_static_assets[i].path, path) == 0)
            return &http_static_assets[i];
    return NULL;
}

const char *http_static_version(void)
{
    return http_static_version_str;
}
