/*
 * lang.c - the languages Dissent speaks (see lang.h).
 */
#include "core/lang.h"

#include <string.h>

static const struct lang langs[] = {
    {"en", "English", false}, {"fr", "Français", false}, {"de", "Deutsch", false},
    {"es", "Español", false}, {"ar", "العربية", true},
};

const struct lang *lang_list(size_t *n)
{
    *n = sizeof(langs) / sizeof(langs[0]);
    return langs;
}

const struct lang *lang_find(const char *code)
{
    if (code == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
        if (strcmp(langs[i].code, code) == 0)
            return &langs[i];
    return NULL;
}
