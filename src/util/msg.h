/*
 * msg.h - the server's messages in their reader's language (issue 23; docs/translating.md, "The
 * server's messages").
 *
 * A message is an English printf format in the source: err_set()'s and api_error*()'s formats,
 * and those kept in tables, marked M_("..."). scripts/messages.py finds them all, and compiles
 * messages/CODE.json (each format's translation, keyed by the English) into tables this module
 * looks them up in; a translation may reorder the arguments with positional conversions
 * ("%2$s ... %1$s") and converts them exactly as the English does (the build checks it).
 *
 * A thread speaks English until told otherwise: the API tells it, per request, how to choose the
 * language (msg_thread_chooser()); the choice is made at the first message the request writes,
 * so that a request that writes none costs nothing. Emails name their recipient's language
 * (msg_in()). A request's log lines are English: they are written from literal formats, not
 * through tr().
 */
#ifndef DISSENT_UTIL_MSG_H
#define DISSENT_UTIL_MSG_H

#include <stdbool.h>
#include <stddef.h>

/* Marks a message kept in a table (a literal not passed straight to err_set()): it is the same
 * string, found by scripts/messages.py. */
#define M_(s) (s)

/* The generated tables (scripts/messages.py compile): the English formats, sorted by strcmp,
 * and each language's translations in the same order. */
struct msg_catalog {
    const char *code;
    const char *const (*text)[6]; /* per message: a plural's forms by category, or [5] alone */
};
extern const char *const msg_english[];
extern const char *const msg_english_one[]; /* a plural's English singular, or NULL */
extern const unsigned msg_count;
extern const struct msg_catalog msg_catalogs[];
extern const unsigned msg_catalog_count;

/**
 * msg_in() - @english in the language @code ("fr"): its translation, or @english itself when
 * @code is English, NULL, unknown, or the message has none (a format built at run time).
 * The result has the same conversions as @english, and lives for the whole run.
 */
const char *msg_in(const char *code, const char *english) __attribute__((format_arg(2)));

/**
 * tr() - @english in the language of this thread's request (msg_thread_chooser()), or English.
 */
const char *tr(const char *english) __attribute__((format_arg(1)));

/**
 * trn() - the form of a plural message for the count @n in this thread's language: @one or
 * @other in English, the language's CLDR category's form (msg_plural()) in another. Both
 * English forms convert the same arguments, the count among them (the catalogs' key is @other).
 */
const char *trn(unsigned long long n, const char *one, const char *other)
    __attribute__((format_arg(2))) __attribute__((format_arg(3)));

/** msg_in_n() - trn() in the language @code. */
const char *msg_in_n(const char *code, unsigned long long n, const char *one, const char *other)
    __attribute__((format_arg(3))) __attribute__((format_arg(4)));

/**
 * msg_thread_chooser() - until the next call, this thread's messages are in the language
 * @choose(@arg, out, len) writes into out (a code; "" or a failure: English). It is asked at the
 * first message, and again at later ones until it answers with @final set (it may answer
 * provisionally before, say, the request's account is known). NULL @choose: English again.
 * @choose runs with this thread's messages in English (it may itself fail and write one).
 */
void msg_thread_chooser(int (*choose)(void *arg, char *out, size_t len, bool *final), void *arg);

/** msg_known() - whether @code is a language the messages are in: "en" or a catalog's. */
bool msg_known(const char *code);

/**
 * msg_accept_language() - the first language of an Accept-Language header (RFC 9110, 12.5.4)
 * that @known(code) accepts, by quality and then order, matched by its primary subtag ("fr-CA"
 * is "fr"); into @out (@len bytes). Returns 0, or ERR_NOT_FOUND when none is (or @header is
 * NULL, or longer than 1,024 bytes, or holds more than 32 ranges: the rest is not read).
 */
int msg_accept_language(const char *header, bool (*known)(const char *code), char *out, size_t len);

/**
 * msg_plural() - the CLDR plural category of the whole number @n in the language @code, as
 * an index into "zero", "one", "two", "few", "many", "other" (msg_plural_name()). English for an
 * unknown code. The rules are CLDR 46's for en, fr, de, es and ar (tests/unit compares them to
 * ICU's through node).
 */
enum msg_plural { MSG_ZERO, MSG_ONE, MSG_TWO, MSG_FEW, MSG_MANY, MSG_OTHER };
enum msg_plural msg_plural(const char *code, unsigned long long n);
const char *msg_plural_name(enum msg_plural p);

#endif
