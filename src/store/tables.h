/*
 * tables.h - the schema's tables as the export and import operations of store.h see them
 * (store_table_dump(), store_table_load()); shared by the backends, private to src/store/.
 * The column lists name the same columns in both schemas (sqlite.c and pg.c), whatever order
 * their migrations gave them.
 */
#ifndef DISSENT_STORE_TABLES_H
#define DISSENT_STORE_TABLES_H

#include <stdbool.h>
#include <stddef.h>

struct store_table {
    const char *name;     /* the table */
    const char *columns;  /* its columns, comma-separated, as dumped and loaded */
    size_t ncols;         /* how many */
    const char *order;    /* ORDER BY of a dump: the primary key (or every column) */
    const char *conflict; /* appended to a load's INSERT ("" or an upsert of a seeded row) */
    const char *identity; /* a column with a generated id (PostgreSQL identity), or NULL */
    bool seeded;          /* the migrations insert a row (store_table_seeded()) */
};

/* At least the number of tables (store.c checks it). */
#define STORE_TABLES_MAX 28

/* Every table, referenced tables first. */
extern const struct store_table store_tables[];
extern const size_t store_tables_count;

#endif
