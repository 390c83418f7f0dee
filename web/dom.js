// dom.js -- building page content safely: every text goes in as a text node, never as HTML.

// Attributes whose value the browser follows as an address.
const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'data']);
const SCHEMES = new Set(['http', 'https', 'mailto']);

/**
 * The address as given when it is relative (`#/claims/4`, `/api/...`, `page?x=1`) or uses http, https
 * or mailto; throws otherwise (`javascript:`, `data:`, `vbscript:`, ...). Browsers ignore tabs, line
 * breaks and leading spaces or control characters in a scheme (`java\tscript:`), so those are dropped
 * before the scheme is read.
 */
export function safeUrl(value) {
  const s = String(value);
  // eslint-disable-next-line no-control-regex
  const bare = s.replace(/[\u0000-\u0020\u007f]/g, '');
  const m = /^([^/?#]*?):/.exec(bare);
  if (m && !SCHEMES.has(m[1].toLowerCase())) throw new Error(`address scheme ${m[1]}: only http, https and mailto`);
  return s;
}

/**
 * h('a', {href: '#/x', class: 'btn'}, 'text', child, [more]) -> Element.
 * Attributes named on* are refused, and so are addresses (href, src, ...) other than relative, http(s)
 * and mailto ones; `null`/`false` attributes and children are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    const lname = name.toLowerCase();
    if (lname.startsWith('on')) throw new Error(`event attribute ${name}: use addEventListener`);
    if (lname === 'srcdoc') throw new Error('srcdoc: not allowed');
    el.setAttribute(name, value === true ? '' : URL_ATTRS.has(lname) ? safeUrl(value) : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces everything inside el with the children given. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}
