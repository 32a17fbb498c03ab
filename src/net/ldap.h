/*
 * ldap.h - reading an organisation's directory over LDAP (OpenLDAP's libldap), for the
 * directory sync (core/directory.h).
 *
 * Only ldaps:// or ldap:// with StartTLS, the server's certificate verified (against @ca_file
 * when given, else the system's store); plain ldap:// only to this machine and only when asked
 * (netldap_params.starttls false). A simple bind with a DN and a password (never logged). Every
 * operation has a deadline; searches are paged (RFC 2696) and bounded in entries, and their
 * values in size. Read only: nothing is ever written to the directory.
 */
#ifndef DISSENT_NET_LDAP_H
#define DISSENT_NET_LDAP_H

#include <stdbool.h>
#include <stddef.h>

#define NETLDAP_TIMEOUT 10         /* seconds per operation */
#define NETLDAP_PAGE 500           /* entries per page of a search */
#define NETLDAP_VALUE_MAX 4096     /* bytes of one attribute value used */
#define NETLDAP_ENTRIES_MAX 200000 /* entries of one search */

struct netldap_params {
    const char *url;      /* ldaps://HOST[:PORT] or ldap://HOST[:PORT] */
    bool starttls;        /* with ldap://: StartTLS before the bind (refused off but locally) */
    const char *ca_file;  /* CA bundle, or NULL / "" for the system's */
    const char *bind_dn;  /* "" for an anonymous bind */
    const char *password; /* the bind password */
};

struct netldap;

/**
 * netldap_url_allowed() - whether @url may be used with @starttls: ldaps://, or ldap:// with
 * StartTLS, or ldap:// without it to a loopback address only (libldap's URL parser decides).
 */
bool netldap_url_allowed(const char *url, bool starttls);

/**
 * netldap_open() - connect, StartTLS where asked, and bind. ERR_INVALID (URL refused), ERR_IO
 * (unreachable, TLS failed, timed out), ERR_UNAUTH (the bind was refused), ERR_NOMEM; @err says
 * which, never the password. Close with netldap_close().
 */
int netldap_open(const struct netldap_params *p, struct netldap **out, char *err, size_t errlen);

/* One entry of a search: its DN, and for each attribute asked (in that order) its values, a
 * NULL-terminated array (possibly empty) of NUL-terminated strings. Valid during the call. */
typedef int (*netldap_entry_fn)(void *arg, const char *dn, char *const *const *values);

/**
 * netldap_search() - the entries under @base (the subtree) that match @filter, with the
 * attributes @attrs (NULL-terminated, at most 8), page by page, each given to @fn (a non-zero
 * return stops the search and is returned). A value with a NUL byte or over NETLDAP_VALUE_MAX is
 * left out. ERR_IO (@err says why), ERR_TOO_LARGE (over NETLDAP_ENTRIES_MAX entries).
 */
int netldap_search(struct netldap *c, const char *base, const char *filter,
                   const char *const *attrs, netldap_entry_fn fn, void *arg, char *err,
                   size_t errlen);

/** netldap_close() - unbind and free (NULL is a no-op). */
void netldap_close(struct netldap *c);

#endif
