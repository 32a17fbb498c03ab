/*
 * lang.h - the languages Dissent speaks (issue 23): the web interface's, and in time its emails'
 * and its API messages'. Each is named by its BCP 47 primary language subtag ("fr"); a user's
 * choice is kept with the account (store_language_set(), PATCH /api/v1/me), else the browser's
 * languages decide (web/js/i18n.js), else English. Only the chrome is translated: a memo, its
 * canonical text and its signatures never are. docs/translating.md tells a translator how to
 * add one; web/js/i18n.js lists the same codes (a test compares the two lists).
 */
#ifndef DISSENT_CORE_LANG_H
#define DISSENT_CORE_LANG_H

#include <stdbool.h>
#include <stddef.h>

#define LANG_CODE_MAX 8 /* bytes of a code, its NUL included */

struct lang {
    const char *code; /* "en", "fr", ... */
    const char *name; /* in its own language: "Français" */
    bool rtl;         /* written right to left (Arabic) */
};

/** lang_list() - every language, English first; their count in *@n. */
const struct lang *lang_list(size_t *n);

/** lang_find() - the language whose code is exactly @code, or NULL (NULL @code too). */
const struct lang *lang_find(const char *code);

#endif
