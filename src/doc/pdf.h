/*
 * pdf.h - a document typeset as PDF: cairo draws, pango lays the text out (harfbuzz shapes it,
 * fontconfig finds the fonts), so every script is real text in the PDF, right to left
 * included, and `pdftotext` gives it back. Used for a memo's record copy (api/record.c).
 *
 * A document is a list of blocks (a title, headings, paragraphs, label-value lines, monospace
 * lines, CommonMark rendered, rules), laid out on A4 pages with a banner at the top and the
 * bottom of every page (a marking such as "SENSITIVE BUT UNCLASSIFIED", or none) and a footer
 * with "page N of M". Text given as plain text is plain text: nothing in it is read as markup.
 *
 * Not thread safe per document; documents on different threads are independent (each has its
 * own font map).
 */
#ifndef DISSENT_DOC_PDF_H
#define DISSENT_DOC_PDF_H

#include <stddef.h>
#include <stdint.h>

#define PDF_MAX_BYTES (64u * 1024 * 1024) /* the largest PDF made */
#define PDF_MAX_TEXT (8u * 1024 * 1024)   /* the most text one document takes, bytes */

struct pdf_doc;

/**
 * pdf_new() - an empty document; @banner (may be NULL or "") on every page, top and bottom;
 * @footer (may be NULL) at the bottom left of every page; @title the PDF's title metadata.
 * 0 or ERR_NOMEM.
 */
int pdf_new(const char *banner, const char *footer, const char *title, struct pdf_doc **out);

/* Blocks, in order. Each returns 0, ERR_NOMEM, or ERR_TOO_LARGE past PDF_MAX_TEXT. */
int pdf_title(struct pdf_doc *d, const char *text);
int pdf_heading(struct pdf_doc *d, const char *text);
int pdf_para(struct pdf_doc *d, const char *text);
/* "LABEL: value", the label in bold */
int pdf_field(struct pdf_doc *d, const char *label, const char *value);
/* monospace, broken anywhere (digests, ids); @indent in points */
int pdf_mono(struct pdf_doc *d, const char *text, double indent);
/* @src[0..@len) as CommonMark (cmark): headings, paragraphs, emphasis, lists, quotes, code,
 * links (their address shown), rules; raw HTML shown as the text it is */
int pdf_markdown(struct pdf_doc *d, const char *src, size_t len);
/* a horizontal rule */
int pdf_rule(struct pdf_doc *d);

/**
 * pdf_render() - lay the document out and make the PDF: malloc'd in *@out, *@len bytes.
 * 0, ERR_NOMEM, ERR_TOO_LARGE (over PDF_MAX_BYTES) or ERR_INTERNAL (cairo or pango failed).
 */
int pdf_render(struct pdf_doc *d, uint8_t **out, size_t *len);

/** pdf_free() - NULL is a no-op. */
void pdf_free(struct pdf_doc *d);

#endif
