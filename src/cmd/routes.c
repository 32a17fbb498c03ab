/*
 * routes.c - `dissent routes [--json]`: print the API's route table (api_routes()), the one
 * source of who may call what, so that tests and reviewers read it from the binary itself.
 *
 *   dissent routes           one line per route: METHOD PATTERN roles=... flags=... relations=...
 *                            query=...
 *   dissent routes --json    {"routes":[{"method","pattern","roles":[...],"flags":[...],
 *                             "relations":[...],"query":[...]}, ...]} in table order
 *
 * roles: the role names allowed, or "any" (any signed-in user; with the "public" flag, anyone).
 * flags: public (no session), slow (runs on the pool), json (takes a JSON body), json_optional,
 * nokey (a memo route that opens no content key), log (public when [tlog] public is set, else
 * auditors only), 2fa_setup (open to a session whose role requires TOTP before it is on), rekey
 * (open to a session whose account must choose a new password first), raw (takes bytes: a file's
 * part), metrics (no session: the [metrics] token as a bearer).
 * relations: the caller's relations to the route's {id} memo that are allowed (drafter, invited,
 * principal, officer); empty for routes without a memo.
 * query: the query parameters the route reads (any other is refused with 422), or "*" for the
 * web interface's pages. Needs no server, no database and no configuration.
 */
#include "cmd/cmd.h"

#include "api/api.h"
#include "core/user.h"
#include "core/workflow.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

struct bit_name {
    unsigned bit;     /* one flag or relation bit */
    const char *name; /* its printed name */
};

static const struct bit_name flag_names[] = {
    {API_R_PUBLIC, "public"},          {API_R_SLOW, "slow"},   {API_R_JSON, "json"},
    {API_R_JSON_OPT, "json_optional"}, {API_R_NOKEY, "nokey"}, {API_R_LOG, "log"},
    {API_R_2FA_SETUP, "2fa_setup"},    {API_R_REKEY, "rekey"}, {API_R_RAW, "raw"},
    {API_R_METRICS, "metrics"},
};

static const struct bit_name rel_names[] = {
    {WF_DRAFTER, "drafter"},
    {WF_INVITED, "invited"},
    {WF_PRINCIPAL, "principal"},
    {WF_OFFICER, "officer"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: dissent routes [--json]\n"
               "Print the API's route table: method, pattern, roles, flags and the relations to\n"
               "the route's memo that are allowed.\n");
}

/* The names of @bits as a JSON array of strings (roles when @table is NULL). */
static json_t *names_json(unsigned bits, const struct bit_name *table, size_t n)
{
    json_t *arr = json_array();

    if (arr == NULL)
        return NULL;
    if (table == NULL) {
        if (bits == 0)
            json_array_append_new(arr, json_string("any"));
        for (unsigned bit = 1; bit & ROLE_ALL; bit <<= 1)
            if ((bits & bit) && user_role_name(bit) != NULL)
                json_array_append_new(arr, json_string(user_role_name(bit)));
        return arr;
    }
    for (size_t i = 0; i < n; i++)
        if (bits & table[i].bit)
            json_array_append_new(arr, json_string(table[i].name));
    return arr;
}

/* One route as a JSON object. */
/* The route's query parameter names as a JSON array. */
static json_t *query_json(const char *list)
{
    json_t *arr = json_array();

    for (const char *p = list ? list : ""; arr != NULL && *p != '\0';) {
        size_t n = strcspn(p, " ");
        if (n > 0)
            json_array_append_new(arr, json_stringn(p, n));
        p += n + strspn(p + n, " ");
    }
    return arr;
}

static json_t *route_json(const struct api_route *r)
{
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "method", api_method_name(r->methods),
                     "pattern", r->pattern, "roles", names_json(r->roles, NULL, 0), "flags",
                     names_json(r->flags, flag_names, sizeof(flag_names) / sizeof(flag_names[0])),
                     "relations",
                     names_json(r->rel, rel_names, sizeof(rel_names) / sizeof(rel_names[0])),
                     "query", query_json(r->query));
}

/* A JSON array of strings as "a,b,c", or "-" when empty, into @out. */
static void join(const json_t *arr, char *out, size_t len)
{
    size_t i, used = 0;
    json_t *v;

    out[0] = '\0';
    json_array_foreach(arr, i, v)
    {
        int n = snprintf(out + used, len - used, "%s%s", i ? "," : "", json_string_value(v));
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
    if (out[0] == '\0')
        snprintf(out, len, "-");
}

int cmd_routes(int argc, char **argv)
{
    bool as_json = false;
    const struct api_route *routes;
    size_t count;
    json_t *all = NULL;
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            as_json = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    routes = api_routes(&count);
    if ((all = json_array()) == NULL)
        goto out;
    for (size_t i = 0; i < count; i++) {
        json_t *o = route_json(&routes[i]);
        if (o == NULL || json_array_append_new(all, o) != 0)
            goto out;
    }
    if (as_json) {
        json_t *doc = json_pack("{s:O}", "routes", all);
        if (doc == NULL || json_dumpf(doc, stdout, JSON_INDENT(1)) != 0) {
            json_decref(doc);
            goto out;
        }
        json_decref(doc);
        putchar('\n');
    } else {
        size_t i;
        json_t *o;
        json_array_foreach(all, i, o)
        {
            char roles[128], flags[128], rels[128], query[128];
            join(json_object_get(o, "roles"), roles, sizeof(roles));
            join(json_object_get(o, "flags"), flags, sizeof(flags));
            join(json_object_get(o, "relations"), rels, sizeof(rels));
            join(json_object_get(o, "query"), query, sizeof(query));
            printf("%-6s %-36s roles=%s flags=%s relations=%s query=%s\n",
                   json_string_value(json_object_get(o, "method")),
                   json_string_value(json_object_get(o, "pattern")), roles, flags, rels, query);
        }
    }
    rc = fflush(stdout) == 0 ? 0 : 1;
out:
    if (rc != 0)
        fprintf(stderr, "dissent: cannot print the route table\n");
    json_decref(all);
    return rc;
}
