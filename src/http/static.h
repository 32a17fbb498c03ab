/*
 * static.h - the web interface's files (web/), embedded into the binary at build time by
 * scripts/embed.py, and looked up by path. Read-only data: thread safe.
 */
#ifndef DISSENT_HTTP_STATIC_H
#define DISSENT_HTTP_STATIC_H

#include <stddef.h>

/* One embedded file. Every field points to static storage. */
struct http_static_asset {
    const char *path;          /* relative to web/, e.g. "js/app.js" */
    const char *content_type;  /* Content-Type to serve it with */
    const char *etag;          /* quoted hash of the content, e.g. "\"3f2a...\"" */
    const unsigned char *data; /* the bytes */
    size_t len;                /* their number */
};

/* Generated (build/web_assets.c). */
extern const struct http_static_asset http_static_assets[];
extern const size_t http_static_asset_count;
extern const char http_static_version_str[];

/** http_static_find() - the asset at @path (relative to web/), or NULL. */
const struct http_static_asset *http_static_find(const char *path);

/**
 * http_static_version() - the build's asset version: a hash over every asset, the second segment
 * of the versioned URLs /assets/VERSION/PATH that index.html uses.
 */
const char *http_static_version(void);

#endif
