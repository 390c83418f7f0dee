// test_dom.mjs -- web/dom.js's h() under node, with a minimal stand-in for the browser's document:
// addresses other than relative, http(s) and mailto are refused, whatever their spelling.
import assert from 'node:assert/strict';

class FakeNode {}
class FakeElement extends FakeNode {
  constructor(tag) { super(); this.tag = tag; this.attrs = {}; this.children = []; }
  setAttribute(n, v) { this.attrs[n] = v; }
  append(c) { this.children.push(c); }
  replaceChildren() { this.children = []; }
}
globalThis.Node = FakeNode;
globalThis.document = {
  createElement: (tag) => new FakeElement(tag),
  createTextNode: (t) => Object.assign(new FakeNode(), { text: t }),
};

const { h } = await import(new URL('../../web/dom.js', import.meta.url));

const allowed = ['#/claims/4', '/api/claims/4/cms1500', 'page?x=1', '../x', '//example.org/x', 'https://www.cms.gov/',
  'http://127.0.0.1:8080/', 'HTTPS://EXAMPLE.ORG', 'mailto:billing@example.org', '?q=a:b', '#a:b', ''];
for (const href of allowed) assert.equal(h('a', { href }, 'x').attrs.href, href, href);

const refused = ['javascript:alert(1)', 'JavaScript:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)',
  'java\nscript:alert(1)', '\u0001javascript:alert(1)', 'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)', 'file:///etc/passwd', 'blob:https://example.org/x'];
for (const href of refused) {
  assert.throws(() => h('a', { href }, 'x'), /scheme/, JSON.stringify(href));
  assert.throws(() => h('iframe', { src: href }), /scheme/, JSON.stringify(href));
  assert.throws(() => h('form', { action: href }), /scheme/, JSON.stringify(href));
}
assert.throws(() => h('a', { HREF: 'javascript:alert(1)' }), /scheme/);
assert.throws(() => h('a', { onclick: 'alert(1)' }), /addEventListener/);
assert.throws(() => h('a', { ONCLICK: 'alert(1)' }), /addEventListener/);
assert.throws(() => h('iframe', { srcdoc: '<script>alert(1)</script>' }), /srcdoc/);
// other attributes take any text; children are text nodes
const el = h('span', { title: 'javascript:alert(1)' }, '<b>x</b>');
assert.equal(el.attrs.title, 'javascript:alert(1)');
assert.equal(el.children[0].text, '<b>x</b>');
console.log(`dom.js: ${allowed.length} addresses allowed, ${refused.length} refused`);
