// dom.js -- building page content safely: every text goes in as a text node, never as HTML.

/**
 * h('a', {href: '#/x', class: 'btn'}, 'text', child, [more]) -> Element.
 * Attributes named on* are refused; `null`/`false` attributes and children are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) throw new Error(`event attribute ${name}: use addEventListener`);
    el.setAttribute(name, value === true ? '' : String(value));
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
