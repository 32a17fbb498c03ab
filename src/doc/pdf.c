/*
 * pdf.c - documents typeset by pango and cairo (pdf.h).
 */
#include "doc/pdf.h"

#include "util/err.h"
#include "util/mem.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <cmark.h>
#include <pango/pangocairo.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_W 595.28 /* A4, points */
#define PAGE_H 841.89
#define MARGIN 56.0
#define TOP (MARGIN + 20.0) /* below the top banner */
#define BOTTOM (PAGE_H - MARGIN - 20.0)
#define WIDTH (PAGE_W - 2 * MARGIN)
#define NEST_MAX 24 /* CommonMark nesting laid out as such; deeper is flattened */

enum font { F_BODY, F_MONO, F_TITLE, F_H1, F_H2, F_H3, F_SMALL, F__COUNT };
static const char *const fonts[F__COUNT] = {
    "DejaVu Sans 10",      "DejaVu Sans Mono 8.5",  "DejaVu Sans Bold 17", "DejaVu Sans Bold 13.5",
    "DejaVu Sans Bold 12", "DejaVu Sans Bold 10.5", "DejaVu Sans 8"};

struct block {
    char *markup; /* pango markup; NULL for a rule */
    enum font font;
    double indent, before;
    bool anywhere; /* break lines anywhere (monospace digests) */
};

struct pdf_doc {
    struct block *blocks;
    size_t n, cap;
    size_t text; /* bytes of markup so far */
    char *banner, *footer, *title;
};

/* A growing string; @oom once an allocation failed (then it stays as it was). */
struct sb {
    char *p;
    size_t n, cap;
    bool oom;
};

static void sb_add(struct sb *b, const char *s, size_t len)
{
    if (b->oom)
        return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *np;
        while (cap < b->n + len + 1)
            cap *= 2;
        if (cap > PDF_MAX_TEXT + 1 || (np = mem_realloc(b->p, cap)) == NULL) {
            b->oom = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

static void sb_str(struct sb *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

/* @s as text in pango markup: &, <, >, quotes escaped; invalid UTF-8 never reaches pango. */
static void sb_esc(struct sb *b, const char *s, size_t len)
{
    gchar *e;

    if (!g_utf8_validate(s, (gssize)len, NULL)) {
        sb_str(b, "\xef\xbf\xbd");
        return;
    }
    e = g_markup_escape_text(s, (gssize)len);
    if (e == NULL) {
        b->oom = true;
        return;
    }
    sb_str(b, e);
    g_free(e);
}

int pdf_new(const char *banner, const char *footer, const char *title, struct pdf_doc **out)
{
    struct pdf_doc *d = mem_calloc(1, sizeof(*d));

    *out = NULL;
    if (d == NULL)
        return ERR_NOMEM;
    if ((banner && banner[0] && (d->banner = mem_strdup(banner)) == NULL) ||
        (footer && (d->footer = mem_strdup(footer)) == NULL) ||
        (title && (d->title = mem_strdup(title)) == NULL)) {
        pdf_free(d);
        return ERR_NOMEM;
    }
    *out = d;
    return 0;
}

/* Append a block owning @markup (NULL: a rule). */
static int add(struct pdf_doc *d, char *markup, enum font f, double indent, double before,
               bool anywhere)
{
    size_t len = markup ? strlen(markup) : 0;

    if (d->text + len > PDF_MAX_TEXT) {
        mem_free(markup);
        return ERR_TOO_LARGE;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 32;
        struct block *nb = mem_realloc(d->blocks, cap * sizeof(*nb));
        if (nb == NULL) {
            mem_free(markup);
            return ERR_NOMEM;
        }
        d->blocks = nb;
        d->cap = cap;
    }
    d->blocks[d->n++] = (struct block){
        .markup = markup, .font = f, .indent = indent, .before = before, .anywhere = anywhere};
    d->text += len;
    return 0;
}

/* A block of plain @text, escaped, wrapped in @open and @close (markup, may be ""). */
static int add_text(struct pdf_doc *d, const char *open, const char *text, const char *close,
                    enum font f, double indent, double before, bool anywhere)
{
    struct sb b = {0};

    sb_str(&b, open);
    sb_esc(&b, text ? text : "", text ? strlen(text) : 0);
    sb_str(&b, close);
    if (b.oom) {
        mem_free(b.p);
        return ERR_NOMEM;
    }
    return add(d, b.p, f, indent, before, anywhere);
}

int pdf_title(struct pdf_doc *d, const char *text)
{
    return add_text(d, "", text, "", F_TITLE, 0, 0, false);
}

int pdf_heading(struct pdf_doc *d, const char *text)
{
    return add_text(d, "", text, "", F_H1, 0, 14, false);
}

int pdf_para(struct pdf_doc *d, const char *text)
{
    return add_text(d, "", text, "", F_BODY, 0, 4, false);
}

int pdf_mono(struct pdf_doc *d, const char *text, double indent)
{
    return add_text(d, "", text, "", F_MONO, indent, 2, true);
}

int pdf_rule(struct pdf_doc *d)
{
    return add(d, NULL, F_BODY, 0, 6, false);
}

int pdf_field(struct pdf_doc *d, const char *label, const char *value)
{
    struct sb b = {0};

    sb_str(&b, "<b>");
    sb_esc(&b, label, strlen(label));
    sb_str(&b, ":</b> ");
    sb_esc(&b, value ? value : "", value ? strlen(value) : 0);
    if (b.oom) {
        mem_free(b.p);
        return ERR_NOMEM;
    }
    return add(d, b.p, F_BODY, 0, 2, false);
}

/* ---- CommonMark ---- */

static void inlines(struct sb *b, cmark_node *n, int depth);

static void inline_one(struct sb *b, cmark_node *n, int depth)
{
    const char *lit = cmark_node_get_literal(n), *url;

    switch (cmark_node_get_type(n)) {
    case CMARK_NODE_TEXT:
    case CMARK_NODE_HTML_INLINE:
        sb_esc(b, lit ? lit : "", lit ? strlen(lit) : 0);
        break;
    case CMARK_NODE_SOFTBREAK:
        sb_str(b, " ");
        break;
    case CMARK_NODE_LINEBREAK:
        sb_str(b, "\n");
        break;
    case CMARK_NODE_CODE:
        sb_str(b, "<tt>");
        sb_esc(b, lit ? lit : "", lit ? strlen(lit) : 0);
        sb_str(b, "</tt>");
        break;
    case CMARK_NODE_EMPH:
        sb_str(b, "<i>");
        inlines(b, n, depth + 1);
        sb_str(b, "</i>");
        break;
    case CMARK_NODE_STRONG:
        sb_str(b, "<b>");
        inlines(b, n, depth + 1);
        sb_str(b, "</b>");
        break;
    case CMARK_NODE_LINK:
    case CMARK_NODE_IMAGE:
        url = cmark_node_get_url(n);
        if (cmark_node_get_type(n) == CMARK_NODE_IMAGE)
            sb_str(b, "[image: ");
        sb_str(b, "<u>");
        inlines(b, n, depth + 1);
        sb_str(b, "</u>");
        if (cmark_node_get_type(n) == CMARK_NODE_IMAGE)
            sb_str(b, "]");
        if (url != NULL && url[0] != '\0') {
            sb_str(b, " &lt;");
            sb_esc(b, url, strlen(url));
            sb_str(b, "&gt;");
        }
        break;
    default:
        inlines(b, n, depth + 1);
    }
}

/*
 * Everything under @n as plain text, without recursion (cmark's iterator): what is nested
 * deeper than NEST_MAX is laid out this way, so that no input nests the layout's own calls
 * (a body of 100,000 nested list markers is 200 KB).
 */
static void flat_text_as(struct sb *b, cmark_node *n, bool escape);

static void flat_text(struct sb *b, cmark_node *n)
{
    flat_text_as(b, n, true);
}

/* flat_text(), the text left as it is (@escape false) or escaped as markup. */
static void flat_text_as(struct sb *b, cmark_node *n, bool escape)
{
    cmark_iter *it = cmark_iter_new(n);
    cmark_event_type ev;

    if (it == NULL) {
        b->oom = true;
        return;
    }
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE && !b->oom) {
        cmark_node *c = cmark_iter_get_node(it);
        const char *lit;
        if (ev != CMARK_EVENT_ENTER)
            continue;
        switch (cmark_node_get_type(c)) {
        case CMARK_NODE_SOFTBREAK:
            sb_str(b, " ");
            break;
        case CMARK_NODE_LINEBREAK:
        case CMARK_NODE_PARAGRAPH:
        case CMARK_NODE_HEADING:
        case CMARK_NODE_ITEM:
            if (c != n && b->n > 0)
                sb_str(b, "\n");
            break;
        default:
            if ((lit = cmark_node_get_literal(c)) == NULL)
                break;
            if (escape)
                sb_esc(b, lit, strlen(lit));
            else
                sb_str(b, lit);
        }
    }
    cmark_iter_free(it);
}

/*
 * Add the plain text @s[0..@len) as blocks of at most PIECE_MAX bytes each, cut at a line break,
 * else a space, else anywhere between two code points: pango lays a block out in time that grows
 * faster than its length (long runs, many lines), so no block is allowed to be large. @prefix
 * (markup, may be NULL) goes before the first.
 */
#define PIECE_MAX 4096
#define PIECE_LINES 60
#define BLOCK_MARKUP_MAX 8192 /* a paragraph's markup beyond which it is laid out as plain text */
static int add_pieces(struct pdf_doc *d, const char *prefix, const char *s, size_t len, enum font f,
                      double indent, double before, bool anywhere)
{
    size_t at = 0;
    int rc = 0;

    while (rc == 0 && (at < len || at == 0)) {
        size_t n = len - at, cut = n, lines = 0;
        struct sb b = {0};
        /* at most PIECE_LINES lines in one block too */
        for (size_t i = 0; i < n && i < PIECE_MAX; i++)
            if (s[at + i] == '\n' && ++lines == PIECE_LINES) {
                cut = i + 1;
                break;
            }
        if (cut == n && n > PIECE_MAX) {
            const char *nl = NULL, *sp = NULL;
            for (size_t i = PIECE_MAX; i > PIECE_MAX / 2 && !nl; i--) {
                if (s[at + i] == '\n')
                    nl = s + at + i;
                else if (!sp && s[at + i] == ' ')
                    sp = s + at + i;
            }
            cut = nl ? (size_t)(nl - (s + at)) + 1 : sp ? (size_t)(sp - (s + at)) + 1 : PIECE_MAX;
            while (cut > 1 && ((unsigned char)s[at + cut] & 0xC0) == 0x80)
                cut--; /* never inside a code point */
        }
        if (at == 0 && prefix != NULL)
            sb_str(&b, prefix);
        sb_esc(&b, s + at, cut);
        if (b.oom) {
            mem_free(b.p);
            return ERR_NOMEM;
        }
        rc = add(d, b.p ? b.p : mem_strdup(""), f, indent, at == 0 ? before : 0, anywhere);
        at += cut;
        if (cut == 0)
            break;
    }
    return rc;
}

/* The inline children of @n as markup (deeper than NEST_MAX: their text only). */
static void inlines(struct sb *b, cmark_node *n, int depth)
{
    if (depth > NEST_MAX) {
        flat_text(b, n);
        return;
    }
    for (cmark_node *c = cmark_node_first_child(n); c != NULL; c = cmark_node_next(c))
        inline_one(b, c, depth);
}

static int blocks_of(struct pdf_doc *d, cmark_node *n, double indent, const char *prefix,
                     int depth);

/* A paragraph or heading @n, with @prefix (a list item's marker) first. */
static int para_of(struct pdf_doc *d, cmark_node *n, enum font f, double indent, const char *prefix,
                   double before, int depth)
{
    struct sb b = {0};

    if (prefix != NULL)
        sb_str(&b, prefix);
    inlines(&b, n, depth);
    if (b.oom) {
        mem_free(b.p);
        return ERR_NOMEM;
    }
    if (b.n > BLOCK_MARKUP_MAX) {
        /* too large to lay out as one block: its text, plain, in pieces */
        struct sb plain = {0};
        int rc;
        mem_free(b.p);
        flat_text_as(&plain, n, false);
        if (plain.oom) {
            mem_free(plain.p);
            return ERR_NOMEM;
        }
        rc = add_pieces(d, prefix, plain.p ? plain.p : "", plain.n, f, indent, before, false);
        mem_free(plain.p);
        return rc;
    }
    if (b.p == NULL && (b.p = mem_strdup("")) == NULL)
        return ERR_NOMEM;
    return add(d, b.p, f, indent, before, false);
}

/* A code block or raw HTML: its text as it is, in monospace. */
static int literal_of(struct pdf_doc *d, cmark_node *n, double indent, const char *prefix)
{
    const char *lit = cmark_node_get_literal(n);
    size_t len = lit ? strlen(lit) : 0;

    while (len > 0 && lit[len - 1] == '\n')
        len--;
    return add_pieces(d, prefix, lit ? lit : "", len, F_MONO, indent + 8, 4, true);
}

static int blocks_of(struct pdf_doc *d, cmark_node *n, double indent, const char *prefix, int depth)
{
    char marker[32];
    int rc = 0, k;

    if (depth > NEST_MAX) /* flattened: a paragraph of its text */
        return para_of(d, n, F_BODY, indent, prefix, 4, depth);
    switch (cmark_node_get_type(n)) {
    case CMARK_NODE_PARAGRAPH:
        return para_of(d, n, F_BODY, indent, prefix, 5, depth);
    case CMARK_NODE_HEADING:
        k = cmark_node_get_heading_level(n);
        return para_of(d, n, k <= 1 ? F_H1 : k == 2 ? F_H2 : F_H3, indent, prefix, 10, depth);
    case CMARK_NODE_CODE_BLOCK:
    case CMARK_NODE_HTML_BLOCK:
        return literal_of(d, n, indent, prefix);
    case CMARK_NODE_THEMATIC_BREAK:
        return pdf_rule(d);
    case CMARK_NODE_LIST:
        k = cmark_node_get_list_start(n);
        for (cmark_node *item = cmark_node_first_child(n); item != NULL && rc == 0;
             item = cmark_node_next(item), k++) {
            bool first = true;
            if (cmark_node_get_list_type(n) == CMARK_ORDERED_LIST)
                snprintf(marker, sizeof(marker), "%d. ", k);
            else
                snprintf(marker, sizeof(marker), "\xe2\x80\xa2 ");
            for (cmark_node *c = cmark_node_first_child(item); c != NULL && rc == 0;
                 c = cmark_node_next(c)) {
                rc = blocks_of(d, c, indent + (first ? 0 : 14), first ? marker : NULL, depth + 1);
                first = false;
            }
            if (first) /* an empty item */
                rc = add_text(d, "", marker, "", F_BODY, indent, 3, false);
        }
        return rc;
    case CMARK_NODE_BLOCK_QUOTE:
    default:
        for (cmark_node *c = cmark_node_first_child(n); c != NULL && rc == 0;
             c = cmark_node_next(c))
            rc = blocks_of(d, c,
                           indent + (cmark_node_get_type(n) == CMARK_NODE_BLOCK_QUOTE ? 18 : 0),
                           c == cmark_node_first_child(n) ? prefix : NULL, depth + 1);
        return rc;
    }
}

int pdf_markdown(struct pdf_doc *d, const char *src, size_t len)
{
    cmark_node *doc;
    int rc;

    if (len > PDF_MAX_TEXT)
        return ERR_TOO_LARGE;
    if ((doc = cmark_parse_document(src ? src : "", src ? len : 0, CMARK_OPT_DEFAULT)) == NULL)
        return ERR_NOMEM;
    rc = blocks_of(d, doc, 0, NULL, 0);
    cmark_node_free(doc);
    return rc;
}

/* ---- layout and rendering ---- */

/* One line of text placed on a page. */
struct placed {
    int page;
    PangoLayoutLine *line; /* NULL: a rule */
    double x, y;           /* the baseline's start; for a rule, its height */
};

struct out {
    uint8_t *p;
    size_t n, cap;
    bool over;
};

static cairo_status_t write_cb(void *arg, const unsigned char *data, unsigned int len)
{
    struct out *o = arg;

    if (o->n + len > PDF_MAX_BYTES) {
        o->over = true;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    if (o->n + len > o->cap) {
        size_t cap = o->cap ? o->cap : 65536;
        uint8_t *np;
        while (cap < o->n + len)
            cap *= 2;
        if ((np = mem_realloc(o->p, cap)) == NULL)
            return CAIRO_STATUS_NO_MEMORY;
        o->p = np;
        o->cap = cap;
    }
    memcpy(o->p + o->n, data, len);
    o->n += len;
    return CAIRO_STATUS_SUCCESS;
}

static PangoLayout *layout_for(PangoContext *ctx, const char *markup, enum font f, double width,
                               bool anywhere, PangoAlignment align)
{
    PangoLayout *l = pango_layout_new(ctx);
    PangoFontDescription *fd = pango_font_description_from_string(fonts[f]);

    pango_layout_set_font_description(l, fd);
    pango_font_description_free(fd);
    pango_layout_set_width(l, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(l, anywhere ? PANGO_WRAP_CHAR : PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(l, align);
    /* markup made here is valid; should pango refuse it, its text is shown as text */
    if (pango_parse_markup(markup, -1, 0, NULL, NULL, NULL, NULL))
        pango_layout_set_markup(l, markup, -1);
    else
        pango_layout_set_text(l, markup, -1);
    return l;
}

/* The banner, the footer and the page number of page @p of @n. */
static void page_frame(cairo_t *cr, PangoContext *ctx, const struct pdf_doc *d, int p, int n)
{
    char num[64];
    PangoLayout *l;

    if (d->banner != NULL) {
        for (int end = 0; end < 2; end++) {
            l = layout_for(ctx, "", F_H3, WIDTH, false, PANGO_ALIGN_CENTER);
            pango_layout_set_text(l, d->banner, -1);
            cairo_set_source_rgb(cr, 0.55, 0.0, 0.0);
            cairo_move_to(cr, MARGIN, end == 0 ? MARGIN - 24 : PAGE_H - MARGIN + 6);
            pango_cairo_show_layout(cr, l);
            g_object_unref(l);
        }
    }
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    snprintf(num, sizeof(num), "page %d of %d", p, n);
    l = layout_for(ctx, "", F_SMALL, WIDTH, false, PANGO_ALIGN_RIGHT);
    pango_layout_set_text(l, num, -1);
    cairo_move_to(cr, MARGIN, PAGE_H - MARGIN - 12);
    pango_cairo_show_layout(cr, l);
    g_object_unref(l);
    if (d->footer != NULL) {
        l = layout_for(ctx, "", F_SMALL, WIDTH - 80, false, PANGO_ALIGN_LEFT);
        pango_layout_set_text(l, d->footer, -1);
        cairo_move_to(cr, MARGIN, PAGE_H - MARGIN - 12);
        pango_cairo_show_layout(cr, l);
        g_object_unref(l);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
}

int pdf_render(struct pdf_doc *d, uint8_t **out, size_t *len)
{
    PangoFontMap *fm = NULL;
    PangoContext *ctx = NULL;
    PangoLayout **layouts = NULL;
    struct placed *pl = NULL;
    size_t npl = 0, cappl = 0;
    cairo_surface_t *surface = NULL;
    cairo_t *cr = NULL;
    struct out o = {0};
    double y = TOP;
    int page = 1, rc = 0;

    *out = NULL;
    *len = 0;
    if ((fm = pango_cairo_font_map_new()) == NULL ||
        (ctx = pango_font_map_create_context(fm)) == NULL) {
        rc = ERR_INTERNAL;
        goto done;
    }
    pango_cairo_context_set_resolution(ctx, 72);
    if ((layouts = mem_calloc(d->n ? d->n : 1, sizeof(*layouts))) == NULL) {
        rc = ERR_NOMEM;
        goto done;
    }
    /* lay every block out, line by line onto pages */
    for (size_t i = 0; i < d->n && rc == 0; i++) {
        const struct block *b = &d->blocks[i];
        PangoLayoutIter *it;

        y += b->before;
        if (npl + 1 > cappl) {
            size_t cap = cappl ? 2 * cappl : 256;
            struct placed *np = mem_realloc(pl, cap * sizeof(*np));
            if (np == NULL) {
                rc = ERR_NOMEM;
                break;
            }
            pl = np;
            cappl = cap;
        }
        if (b->markup == NULL) { /* a rule */
            if (y + 8 > BOTTOM) {
                page++;
                y = TOP;
            }
            pl[npl++] = (struct placed){.page = page, .line = NULL, .x = MARGIN, .y = y + 4};
            y += 8;
            continue;
        }
        layouts[i] =
            layout_for(ctx, b->markup, b->font, WIDTH - b->indent, b->anywhere, PANGO_ALIGN_LEFT);
        it = pango_layout_get_iter(layouts[i]);
        do {
            PangoRectangle logical;
            double h, base;

            pango_layout_iter_get_line_extents(it, NULL, &logical);
            h = (double)logical.height / PANGO_SCALE;
            base = (double)(pango_layout_iter_get_baseline(it) - logical.y) / PANGO_SCALE;
            if (y + h > BOTTOM && y > TOP) {
                page++;
                y = TOP;
            }
            if (npl == cappl) {
                size_t cap = 2 * cappl;
                struct placed *np = mem_realloc(pl, cap * sizeof(*np));
                if (np == NULL) {
                    rc = ERR_NOMEM;
                    break;
                }
                pl = np;
                cappl = cap;
            }
            pl[npl++] = (struct placed){.page = page,
                                        .line = pango_layout_iter_get_line_readonly(it),
                                        .x = MARGIN + b->indent + (double)logical.x / PANGO_SCALE,
                                        .y = y + base};
            y += h;
        } while (pango_layout_iter_next_line(it));
        pango_layout_iter_free(it);
    }
    if (rc != 0)
        goto done;
    surface = cairo_pdf_surface_create_for_stream(write_cb, &o, PAGE_W, PAGE_H);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        rc = ERR_INTERNAL;
        goto done;
    }
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Dissent");
    if (d->title != NULL)
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, d->title);
    cr = cairo_create(surface);
    for (int p = 1; p <= page; p++) {
        page_frame(cr, ctx, d, p, page);
        for (size_t k = 0; k < npl; k++) {
            if (pl[k].page != p)
                continue;
            if (pl[k].line == NULL) {
                cairo_set_line_width(cr, 0.6);
                cairo_move_to(cr, MARGIN, pl[k].y);
                cairo_line_to(cr, MARGIN + WIDTH, pl[k].y);
                cairo_stroke(cr);
                continue;
            }
            cairo_move_to(cr, pl[k].x, pl[k].y);
            pango_cairo_show_layout_line(cr, pl[k].line);
        }
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cr = NULL;
    cairo_surface_finish(surface);
    if (o.over)
        rc = ERR_TOO_LARGE;
    else if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS)
        rc = ERR_INTERNAL;
done:
    if (cr != NULL)
        cairo_destroy(cr);
    if (surface != NULL)
        cairo_surface_destroy(surface);
    for (size_t i = 0; layouts != NULL && i < d->n; i++)
        if (layouts[i] != NULL)
            g_object_unref(layouts[i]);
    mem_free(layouts);
    mem_free(pl);
    if (ctx != NULL)
        g_object_unref(ctx);
    if (fm != NULL)
        g_object_unref(fm);
    if (rc != 0) {
        mem_free(o.p);
        return rc;
    }
    *out = o.p;
    *len = o.n;
    return 0;
}

void pdf_free(struct pdf_doc *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n; i++)
        mem_free(d->blocks[i].markup);
    mem_free(d->blocks);
    mem_free(d->banner);
    mem_free(d->footer);
    mem_free(d->title);
    mem_free(d);
}
