// The interface's words in its reader's language (issue 23; docs/translating.md). Every string
// a person reads comes from a catalog, web/i18n/CODE.json, through t('key', {name: value}).
// A message is a string, or a plural: an object of CLDR's plural categories ("one", "other",
// and for some languages "zero", "two", "few", "many"), chosen by Intl.PluralRules (CLDR's
// rules) for its {count}. Placeholders are {name}; a number put in one is written as the
// language writes numbers. The language is the account's choice (GET /api/v1/me's language),
// else the first of the browser's languages that Dissent speaks, else English; Arabic is drawn
// right to left. The codes below are src/core/lang.c's (tests/api/test_language.py).

export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'fr', name: 'Français' },
  { code: 'de', name: 'Deutsch' },
  { code: 'es', name: 'Español' },
  { code: 'ar', name: 'العربية', dir: 'rtl' },
];

let current = 'en';
let messages = {};
let english = {};

// The language in use.
export function language() {
  return current;
}

// The language to use: the account's @setting when Dissent speaks it, else the first of the
// browser's @wanted languages (BCP 47 tags, as navigator.languages) by their language subtag.
export function pick(setting, wanted = navigator.languages || []) {
  const known = (c) => LANGUAGES.some((l) => l.code === c);
  if (setting && known(setting)) return setting;
  for (const tag of wanted) {
    const c = String(tag).toLowerCase().split('-')[0];
    if (known(c)) return c;
  }
  return 'en';
}

async function load(code) {
  const r = await fetch(new URL(`../i18n/${code}.json`, import.meta.url), { credentials: 'same-origin' });
  if (!r.ok) throw new Error(`catalog ${code}: HTTP ${r.status}`);
  return r.json();
}

// Load @code's catalog (and English's, which stands in for a message a catalog lacks) and put
// the page in that language and direction. A catalog that cannot be loaded leaves English (and
// English that cannot, the messages' keys): this never fails.
export async function useLanguage(code) {
  if (!Object.keys(english).length) {
    try { english = await load('en'); } catch { english = {}; }
  }
  let next = english;
  if (code !== 'en') {
    try { next = await load(code); } catch { next = english; }
  }
  messages = next;
  current = next === english ? 'en' : code;
  const lang = LANGUAGES.find((l) => l.code === current);
  document.documentElement.lang = current;
  document.documentElement.dir = lang.dir || 'ltr';
}

// @n written as the language in use writes numbers.
export function number(n) {
  return new Intl.NumberFormat(current).format(n);
}

function put(v) {
  return typeof v === 'number' ? number(v) : String(v);
}

// The message @key in the language in use, as written in the catalog (a plural's form for
// @vars.count), its placeholders not yet filled.
function raw(key, vars) {
  let m = Object.hasOwn(messages, key) ? messages[key] : english[key];
  if (m === undefined) return key;
  if (typeof m === 'object') {
    const n = Number(vars.count);
    m = m[new Intl.PluralRules(current).select(n)] ?? m.other;
  }
  return m;
}

// The message @key in the language in use, its {placeholders} filled from @vars.
export function t(key, vars = {}) {
  return raw(key, vars).replace(/\{(\w+)\}/g, (all, k) => (Object.hasOwn(vars, k) ? put(vars[k]) : all));
}

// The message @key as a list of pieces to put into an element, h('p', {}, parts(...)): its
// text, with each {placeholder} whose value in @vars is a node (a link, a <strong>) put in as
// that node, so that a sentence with a link inside stays one message a translator can reorder.
// The message is cut at its own placeholders before any is filled: a value that holds braces
// (a name someone typed) is text, never a placeholder.
export function parts(key, vars = {}) {
  const out = [];
  for (const [i, piece] of raw(key, vars).split(/\{(\w+)\}/).entries()) {
    if (i % 2 === 0) {
      if (piece) out.push(piece);
    } else if (!Object.hasOwn(vars, piece)) {
      out.push(`{${piece}}`);
    } else {
      const v = vars[piece];
      out.push(v && typeof v === 'object' && 'nodeType' in v ? v : put(v));
    }
  }
  return out;
}
