// ESLint rule dissent/no-literal-text (issue 23): every word a person reads in web/js comes from
// a catalog (web/i18n/*.json, through i18n.js's t()), so a string literal or template text that
// reads as words is an error, except where the string is plainly not for a reader:
// - an import's source, an object's key, a comparison's side ('===', 'in', a switch's case);
// - an element's attribute that is a name for the machine (class, id, type, href, role, ...);
//   aria-label, title, placeholder, alt and aria-description are for readers and stay checked;
// - the first argument of the calls that take a selector, an event, a path, a tag or a
//   catalog key (querySelector, addEventListener, api/get/post, h, t, ...), and console's and
//   Error's messages (for developers, never shown as they are).
// A string is words when it holds two words with a space between, or is one capitalised word
// ("Save"); a child of h() (an element's text) is checked harder: any letter at all, unless it
// is hidden. A string that must stay as it is (a product's
// name, a format's example) is marked on its line: // eslint-disable-line dissent/no-literal-text

const MACHINE_KEYS = new Set(['class', 'id', 'type', 'href', 'role', 'name', 'autocomplete',
  'inputmode', 'for', 'rel', 'method', 'pattern', 'accept', 'src', 'lang', 'dir', 'target',
  'download', 'style', 'tabindex', 'value', 'aria-labelledby', 'aria-describedby', 'aria-live',
  'aria-controls', 'aria-current', 'aria-expanded', 'aria-hidden', 'aria-invalid', 'aria-modal',
  'aria-sort', 'aria-haspopup', 'aria-pressed', 'aria-selected', 'aria-busy', 'aria-atomic',
  'aria-relevant', 'aria-orientation', 'aria-level', 'spellcheck', 'enterkeyhint', 'wrap',
  'viewBox', 'fill', 'stroke', 'd', 'x', 'y', 'width', 'height', 'transform', 'text-anchor',
  'xmlns', 'code', 'field', 'kind', 'state', 'status', 'tone', 'cls', 'mode', 'format',
  'credentials', 'cache', 'headers', 'content-type', 'accept-language', 'sameSite', 'step',
  'min', 'max', 'minlength', 'maxlength', 'size', 'rows', 'cols', 'focus', 'key', 'path']);

const MACHINE_CALLS = new Set(['querySelector', 'querySelectorAll', 'closest', 'matches',
  'addEventListener', 'removeEventListener', 'dispatchEvent', 'getAttribute', 'removeAttribute',
  'hasAttribute', 'toggleAttribute', 'add', 'remove', 'toggle', 'contains', 'createElement',
  'createElementNS', 'getElementById', 'fetch', 'URL', 'api', 'get', 'post', 'put', 'patch',
  'del', 'h', 's', 't', 'log', 'warn', 'error', 'info', 'debug', 'Error', 'TypeError',
  'RangeError', 'matchMedia', 'getItem', 'setItem', 'removeItem', 'replace', 'replaceAll',
  'split', 'join', 'startsWith', 'endsWith', 'includes', 'indexOf', 'padStart', 'padEnd',
  'RegExp', 'Blob', 'CustomEvent', 'Event', 'postMessage', 'pushState', 'replaceState',
  'Intl', 'NumberFormat', 'DateTimeFormat', 'PluralRules', 'toLocaleString', 'localeCompare',
  'go', 'M', 'has', 'set', 'delete', 'focus', 'scrollIntoView', 'insertAdjacentElement',
  'select', 'plural', 'lookup', 'ask', 'getRandomValues', 'digest', 'importKey', 'encode']);

// The calls whose every argument is for the machine (or a developer).
const ALL_ARGS = new Set(['log', 'warn', 'error', 'info', 'debug', 'Error', 'TypeError',
  'RangeError', 'RegExp', 'replace', 'replaceAll', 'split', 'join', 'includes', 'startsWith',
  'endsWith', 'indexOf', 'padStart', 'padEnd', 'Blob', 'setItem', 'getItem', 'api', 'get',
  'post', 'put', 'patch', 'del', 'fetch', 'URL', 'NumberFormat', 'DateTimeFormat',
  'PluralRules', 'toLocaleString', 'localeCompare', 'toggleAttribute', 'getRandomValues',
  'digest', 'importKey', 'encode', 'pushState', 'replaceState', 'CustomEvent', 'Event']);

// Words: two of them with a space between (punctuation allowed around it), or one capitalised
// word ("Save", "Next →"). A single token without a space ("nav.memos", "error-msg",
// "application/json") is a name for the machine. An element's text: any letter.
const WORDS = /\p{L}\p{P}*\s+[\p{P}\p{S}]*\p{L}|^[\s\p{P}\p{S}]*\p{Lu}\p{Ll}+[\s\p{P}\p{S}]*$/u;
const LETTER = /\p{L}/u;
// What an element's property set by assignment names for the machine.
const MACHINE_PROPS = new Set(['id', 'className', 'type', 'href', 'download', 'name', 'value',
  'hash', 'lang', 'dir', 'autocomplete', 'inputMode', 'htmlFor', 'rel', 'src', 'role']);

function calleeName(c) {
  if (c.type === 'Identifier') return c.name;
  if (c.type === 'MemberExpression' && !c.computed) return c.property.name;
  return null;
}

// Why @node's string is not for a reader, or null; @strict is set for an element's text.
function context(node) {
  let n = node;
  let p = n.parent;
  // Look through the wrappers a string passes unchanged: a template, a condition's branch, an
  // array, a logical expression, a concatenation.
  for (;;) {
    if (p.type === 'TemplateLiteral' && n.type === 'TemplateElement') { n = p; p = p.parent; continue; }
    if (p.type === 'ConditionalExpression' && p.test !== n) { n = p; p = p.parent; continue; }
    if (p.type === 'LogicalExpression' || p.type === 'ArrayExpression' || p.type === 'SpreadElement') { n = p; p = p.parent; continue; }
    if (p.type === 'BinaryExpression' && p.operator === '+') { n = p; p = p.parent; continue; }
    if (p.type === 'TemplateLiteral') { n = p; p = p.parent; continue; }
    break;
  }
  switch (p.type) {
    case 'ImportDeclaration': case 'ExportNamedDeclaration': case 'ExportAllDeclaration':
    case 'ImportExpression':
      return { skip: true };
    case 'Property':
      if (p.key === n && !p.computed) return { skip: true };
      if (p.value === n && !p.computed) {
        const k = p.key.type === 'Identifier' ? p.key.name : String(p.key.value);
        if (MACHINE_KEYS.has(k) || k.startsWith('data-') || k.startsWith('on')) return { skip: true };
      }
      return { skip: false };
    case 'AssignmentExpression':
      return { skip: p.right === n && p.left.type === 'MemberExpression' && !p.left.computed && MACHINE_PROPS.has(p.left.property.name) };
    case 'MemberExpression':
      return { skip: p.property === n };
    case 'BinaryExpression':
      return { skip: ['===', '!==', '==', '!=', 'in', 'instanceof'].includes(p.operator) };
    case 'SwitchCase':
      return { skip: p.test === n };
    case 'CallExpression': case 'NewExpression': {
      const name = calleeName(p.callee);
      const i = p.arguments.indexOf(n);
      if (name === 'h') return i === 0 ? { skip: true } : { skip: false, strict: i >= 2 };
      if (name === 'setAttribute') return { skip: i === 0 || !['aria-label', 'title', 'placeholder', 'alt', 'aria-description'].includes(p.arguments[0].value) };
      if (name && ALL_ARGS.has(name)) return { skip: true };
      if (name && MACHINE_CALLS.has(name)) return { skip: i === 0 };
      if (p.callee.type === 'MemberExpression' && calleeName(p.callee.object) === 'console') return { skip: true };
      return { skip: false };
    }
    case 'ExpressionStatement':
      return { skip: n.type === 'Literal' && typeof n.value === 'string' && p.directive !== undefined };
    default:
      return { skip: false };
  }
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'words a person reads come from the catalogs (web/i18n), through t()' },
    schema: [],
  },
  create(cx) {
    function check(node, text) {
      const c = context(node);
      if (c.skip) return;
      if (c.strict ? LETTER.test(text) : WORDS.test(text)) {
        cx.report({ node, message: `text for a reader outside the catalogs: ${JSON.stringify(text.slice(0, 60))} (use t() and web/i18n/*.json)` });
      }
    }
    return {
      Literal(node) { if (typeof node.value === 'string') check(node, node.value); },
      TemplateElement(node) { check(node, node.value.cooked || ''); },
    };
  },
};

export default { rules: { 'no-literal-text': rule } };
