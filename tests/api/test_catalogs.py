"""Issue 23: the message catalogs of the web interface (web/i18n/CODE.json, read by
web/js/i18n.js). Each language has every message English has, of the same kind, with the same
placeholders; a plural message has exactly the plural categories CLDR gives its language (as
ICU's Intl.PluralRules reports them, through node); nothing is left empty."""
import json
import os
import re
import subprocess

from conftest import ROOT

CATALOGS = os.path.join(ROOT, "web", "i18n")
LANGUAGES = ["en", "fr", "de", "es", "ar"]
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def load(code):
    with open(os.path.join(CATALOGS, code + ".json"), encoding="utf-8") as f:
        return json.load(f)


def messages(cat):
    return {k: v for k, v in cat.items() if not k.startswith("@")}


def placeholders(msg):
    forms = msg.values() if isinstance(msg, dict) else [msg]
    return set().union(*(PLACEHOLDER.findall(f) for f in forms))


def cldr_categories():
    script = ("console.log(JSON.stringify(Object.fromEntries(%s.map((l) => "
              "[l, new Intl.PluralRules(l).resolvedOptions().pluralCategories]))))"
              % json.dumps(LANGUAGES))
    out = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30,
                         check=True).stdout
    return {code: set(cats) for code, cats in json.loads(out).items()}


def test_every_language_has_every_message_of_the_same_kind():
    assert sorted(f[:-5] for f in os.listdir(CATALOGS) if f.endswith(".json")) == sorted(LANGUAGES)
    en = messages(load("en"))
    assert len(en) >= 15
    for code in LANGUAGES:
        cat = load(code)
        if code != "en":  # notes for translators are English's alone
            assert not [k for k in cat if k.startswith("@")], code
        got = messages(cat)
        assert sorted(got) == sorted(en), (code, set(en) ^ set(got))
        for key, msg in got.items():
            assert isinstance(msg, type(en[key])), (code, key)
            forms = msg.values() if isinstance(msg, dict) else [msg]
            for form in forms:
                assert isinstance(form, str) and form.strip() == form and form, (code, key)
            # the same placeholders (a plural form may leave {count} out: it shows elsewhere)
            assert placeholders(msg) - {"count"} == placeholders(en[key]) - {"count"}, (code, key)
            assert placeholders(msg) <= placeholders(en[key]) | {"count"}, (code, key)
    # every note is about a message
    assert all(k[1:] in en for k in load("en") if k.startswith("@"))


def test_plural_messages_have_their_languages_categories():
    cldr = cldr_categories()
    assert cldr["en"] == {"one", "other"}
    assert cldr["ar"] == {"zero", "one", "two", "few", "many", "other"}
    plural = [k for k, v in messages(load("en")).items() if isinstance(v, dict)]
    assert plural, "no plural message to check"
    for code in LANGUAGES:
        cat = load(code)
        for key in plural:
            assert set(cat[key]) == cldr[code], (code, key, sorted(cat[key]), sorted(cldr[code]))
