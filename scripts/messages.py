#!/usr/bin/python3
"""The server's message catalogs (issue 23; docs/translating.md, "The server's messages").

Every message the server writes for a person (an API error's "message", an email) is an English
printf format in the C source: passed to err_set() or api_error*(), translated where it is used
(tr("..."), trn(n, "one", "other") for a plural, msg_in(code, "...")), or marked M_("...") where
it is kept in a table. messages/CODE.json gives each format's translation, keyed by the English
format itself (as gettext's msgid); a plural's is an object of the language's CLDR categories.
A translation may reorder its arguments with glibc's positional conversions ("%2$s ... %1$s"),
and must convert the same arguments the same way. The command line's own messages (src/cmd/)
are English: they are not collected.

  messages.py extract            the English formats the source holds, one JSON list
  messages.py check [CODE...]    every catalog (or those named) has every format and no other,
                                 each well formed
  messages.py compile OUT.c      the catalogs as C tables for util/msg.c (the build runs this:
                                 a wrong translation stops it, a missing one is English)
"""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LANGUAGES = ["fr", "de", "es", "ar"]  # English is the source: no catalog

# The calls whose format (after how many arguments) is a message: err_set(buf, len, FMT, ...).
CALLS = {"err_set": 2, "api_error": 3, "api_error_field": 2, "api_error_rc": 2,
         "api_error_state": 1, "api_error_wf": 2, "M_": 0, "tr": 0, "msg_in": 1,
         "trn": 1, "msg_in_n": 2, "pub_tr": 1}
# the plural calls: (count[, ...], ONE, OTHER), after how many arguments ONE comes
PLURAL = {"trn", "msg_in_n"}
CALL = re.compile(r"\b(" + "|".join(CALLS) + r")\s*\(")
STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
CONV = re.compile(r"%(?:(\d+)\$)?[-+ #0']*(\*|\d+)?(?:\.(\*|\d+))?(hh|h|ll|l|z|j|t|L)?([diouxXeEfgGcsp%])")


def unescape(s):
    return s.encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1").decode("utf-8") \
        if "\\" in s else s


def strip_comments(src):
    return re.sub(r"/\*.*?\*/|//[^\n]*", lambda m: " " * len(m.group(0)), src, flags=re.S)


def skip_args(src, i, n):
    """From @i (just after the call's parenthesis), skip @n arguments; the index after them."""
    depth = 0
    while n and i < len(src):
        c = src[i]
        if c == '"':
            m = STRING.match(src, i)
            i = m.end()
            continue
        if c == "'":
            i = src.index("'", i + 2 if src[i + 1] == "\\" else i + 1) + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return None
            depth -= 1
        elif c == "," and depth == 0:
            n -= 1
        i += 1
    return i


def literal_at(src, i):
    """The string literal (adjacent literals joined) at @i, as the argument it is, and the index
    after it; (None, i) when the argument is not a literal alone."""
    parts = []
    while True:
        while i < len(src) and src[i].isspace():
            i += 1
        s = STRING.match(src, i)
        if not s:
            break
        parts.append(s.group(1))
        i = s.end()
    while i < len(src) and src[i].isspace():
        i += 1
    if not parts or (i < len(src) and src[i] not in ",)"):
        return None, i
    return unescape("".join(parts)), i


def words(fmt):
    return re.search(r"[A-Za-z]{2}", CONV.sub("", fmt)) is not None


def formats_in(src):
    """(English format, its singular or None) for each message of @src."""
    src = strip_comments(src)
    for m in CALL.finditer(src):
        if m.start() > 0 and (src[m.start() - 1].isalnum() or src[m.start() - 1] == "_"):
            continue
        i = skip_args(src, m.end(), CALLS[m.group(1)])
        if i is None:
            continue
        fmt, i = literal_at(src, i)
        if fmt is None:
            continue
        if m.group(1) in PLURAL:  # trn(n, ONE, OTHER): the catalog's key is OTHER
            if i >= len(src) or src[i] != ",":
                continue
            other, i = literal_at(src, i + 1)
            if other is not None:
                yield other, fmt
            continue
        if words(fmt):
            yield fmt, None


def extract():
    """Every message of the source: {English format: its singular (a plural), or None}."""
    found = {}
    for d, _, files in os.walk(os.path.join(ROOT, "src")):
        # the command line's own messages are for the operator at a terminal: English (its
        # threads never choose another language), so they need no catalog
        if os.path.relpath(d, ROOT).startswith(os.path.join("src", "cmd")):
            continue
        for f in files:
            if f.endswith(".c"):
                with open(os.path.join(d, f), encoding="utf-8") as fh:
                    for fmt, one in formats_in(fh.read()):
                        if found.get(fmt) is not None and one is not None and found[fmt] != one:
                            raise SystemExit(f"messages.py: {fmt!r} has two singulars")
                        found[fmt] = one if one is not None else found.get(fmt)
    return dict(sorted(found.items()))


# One conversion, whole: an optional position, flags, width, precision, length, and one of the
# conversions the sources use. Anything else after a "%" (%n, glibc's I flag, q, Z, %S, %a,
# positional stars...) is refused, never skipped: at run time the translation is the format.
SPEC = re.compile(r"%(?:(?P<pos>[1-9][0-9]?)\$)?(?P<flags>[-+ #0]*)(?P<width>\*|[0-9]+)?"
                  r"(?:\.(?P<prec>\*|[0-9]+))?(?P<len>hh|h|ll|l|z|j|t)?(?P<conv>[diouxXcsp])")


def conversions(fmt):
    """The conversions a format makes, in argument order: each its exact spec (flags, width,
    precision, length, conversion; a star is an argument of its own). ValueError for anything
    printf would read that is not one of those, for mixed or gappy or repeated positions."""
    seq = []
    positional = {}
    i = 0
    while True:
        i = fmt.find("%", i)
        if i < 0:
            break
        if fmt.startswith("%%", i):
            i += 2
            continue
        m = SPEC.match(fmt, i)
        if not m:
            raise ValueError("an unknown or refused conversion at %r" % fmt[i:i + 8])
        pos, flags, width, prec, length, conv = m.group("pos", "flags", "width", "prec", "len", "conv")
        spec = "%%%s%s%s%s%s" % (flags, width or "", "." + prec if prec is not None else "",
                                 length or "", conv)
        stars = ["*"] * ((width == "*") + (prec == "*"))
        if pos:
            if stars:
                raise ValueError("a positional conversion with * is not allowed")
            if int(pos) in positional:
                raise ValueError("argument %s is converted twice" % pos)
            positional[int(pos)] = spec
        else:
            seq.extend(stars + [spec])
        i = m.end()
    if positional:
        if seq:
            raise ValueError("positional and sequential conversions mixed")
        if sorted(positional) != list(range(1, len(positional) + 1)):
            raise ValueError("positional conversions must number every argument from 1")
        return [positional[i] for i in range(1, len(positional) + 1)]
    return seq


# markup in a message (the public page's <code>, <strong>): kept as it is by a translation
TAG = re.compile(r"</?[a-z]+[^<>]*>")

# "title: ..." names the request's field (api_error_wf() reads it): a translation keeps it.
FIELD = re.compile(r"^(%s|[a-z_\[\]]+): " )


def load(code):
    with open(os.path.join(ROOT, "messages", code + ".json"), encoding="utf-8") as f:
        return json.load(f)


# The plural categories of each language (CLDR; util/msg.c's msg_plural() chooses among them).
PLURALS = {"fr": ["one", "many", "other"], "de": ["one", "other"], "es": ["one", "many", "other"],
           "ar": ["zero", "one", "two", "few", "many", "other"]}
CATEGORIES = ["zero", "one", "two", "few", "many", "other"]


def html_messages():
    """The messages the public page writes into its HTML as they are (src/api/public.c)."""
    with open(os.path.join(ROOT, "src", "api", "public.c"), encoding="utf-8") as fh:
        return {fmt for fmt, _ in formats_in(fh.read())}


def problems(code, cat, english, html=None, missing=True):
    """What is wrong with catalog @cat; with @missing, a message it lacks or has too many too
    (the build writes those in English: only a wrong translation stops it)."""
    html = html_messages() if html is None else html
    bad = []
    want = set(english)
    for k in sorted(want - set(cat)) if missing else []:
        bad.append(f"{code}: no translation of {k!r}")
    for k in sorted(set(cat) - want) if missing else []:
        bad.append(f"{code}: {k!r} is not a message of the source (any more)")
    for k, v in cat.items():
        if k not in want:
            continue
        if english[k] is not None:  # a plural: a form for each of the language's categories
            if not isinstance(v, dict) or sorted(v) != sorted(PLURALS[code]):
                bad.append(f"{code}: {k!r}: a plural needs exactly the forms {PLURALS[code]}")
                continue
            forms = list(v.values())
        else:
            forms = [v]
        for form in forms:
            if not isinstance(form, str) or not form.strip() or form.strip() != form:
                bad.append(f"{code}: {k!r}: empty, or a space at an end")
                continue
            field = FIELD.match(k)
            if field and not form.startswith(field.group(0)):
                bad.append(f"{code}: {k!r}: the translation must begin with {field.group(0)!r} (the field's name)")
            if k in html and re.search(r'[<>&"]', TAG.sub("", form)):
                bad.append(f"{code}: {k!r}: the page writes it into HTML as it is: no <, >, & or \" "
                           "besides the English's own markup")
            if sorted(TAG.findall(form)) != sorted(TAG.findall(k)):
                bad.append(f"{code}: {k!r}: the translation must keep the markup {TAG.findall(k)}")
            try:
                if conversions(form) != conversions(k):
                    bad.append(f"{code}: {k!r}: the translation converts {conversions(form)}, English {conversions(k)}")
            except ValueError as e:
                bad.append(f"{code}: {k!r}: {e}")
    for k, one in english.items():
        try:
            conversions(k)
            if one is not None and conversions(one) != conversions(k):
                bad.append(f"source: the singular {one!r} and plural {k!r} convert differently")
        except ValueError as e:
            bad.append(f"source: {k!r}: {e}")
    return bad


def c_string(s):
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif 32 <= b < 127 and c != "?":
            out.append(c)
        else:
            out.append("\\%03o" % b)
    return '"' + "".join(out) + '"'


def compile_to(path):
    english = extract()
    bad = []
    cats = {}
    for code in LANGUAGES:
        cats[code] = load(code)
        # a message without a translation is written in English (the catalog test fails until
        # it has one); a wrong translation stops the build: its conversions would not match
        bad += [p for p in problems(code, cats[code], english, missing=False)]
    if bad:
        sys.exit("messages.py: the server's catalogs (messages) are not right:\n  " + "\n  ".join(bad[:40]))
    with open(path, "w", encoding="utf-8") as out:
        out.write("/* Generated by scripts/messages.py from messages/CODE.json: do not edit. */\n")
        out.write('#include "util/msg.h"\n\n')
        out.write("const char *const msg_english[] = {\n")
        for k in english:
            out.write(f"    {c_string(k)},\n")
        out.write("};\nconst unsigned msg_count = %d;\n\n" % len(english))
        # each message's text in each language: a string's, or the plural's forms by category
        # (msg_plural()'s order; NULL where the language has no such category, or no text)
        for code in LANGUAGES:
            out.write(f"static const char *const msg_{code}[][6] = {{\n")
            for k, one in english.items():
                v = cats[code].get(k)
                if isinstance(v, dict):
                    forms = [v.get(c) for c in CATEGORIES]
                else:
                    forms = [None] * 5 + [v]
                out.write("    {" + ", ".join(c_string(f) if f else "NULL" for f in forms) + "},\n")
            out.write("};\n")
        out.write("const char *const msg_english_one[] = {\n")
        for k, one in english.items():
            out.write(f"    {c_string(one) if one else 'NULL'},\n")
        out.write("};\n")
        out.write("const struct msg_catalog msg_catalogs[] = {\n")
        for code in LANGUAGES:
            out.write(f'    {{"{code}", msg_{code}}},\n')
        out.write("};\nconst unsigned msg_catalog_count = %d;\n" % len(LANGUAGES))


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "extract":
        json.dump(list(extract()), sys.stdout, ensure_ascii=False, indent=1)
        print()
    elif len(sys.argv) >= 2 and sys.argv[1] == "check":
        english = extract()
        codes = sys.argv[2:] or LANGUAGES
        bad = [p for code in codes for p in problems(code, load(code), english)]
        print("\n".join(bad) if bad else f"ok: {len(english)} messages, {len(LANGUAGES)} catalogs")
        sys.exit(1 if bad else 0)
    elif len(sys.argv) == 3 and sys.argv[1] == "compile":
        compile_to(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
