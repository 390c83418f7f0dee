// codes.js -- the code reference views: the look-up form (#/lookup) and a code's page (#/codes/SYSTEM/CODE)
// with every explainer section, the codes it is confused with, linked codes, billing and payer notes.

import { h, replace } from './dom.js';
import { request, ApiError } from './api.js';

const SYSTEMS = [
  ['any', 'Any code system'],
  ['cpt', 'CPT'],
  ['hcpcs', 'HCPCS Level II'],
  ['icd10cm', 'ICD-10-CM'],
  ['modifier', 'Modifier'],
  ['pos', 'Place of service'],
];
const SYSTEM_LABEL = Object.fromEntries(SYSTEMS);

// The explainer page in reading order: key, heading, how to show it.
const SECTIONS = [
  ['summary', 'Summary', 'lead'],
  ['purpose', 'Purpose', 'text'],
  ['indications', 'Indications', 'list'],
  ['preparation', 'Preparation', 'list'],
  ['procedure', 'Procedure', 'steps'],
  ['personnel', 'Who may provide it', 'list'],
  ['risks', 'Risks and complications', 'list'],
  ['benefits', 'Benefits', 'list'],
  ['recovery', 'Recovery', 'text'],
  ['alternatives', 'Alternatives', 'list'],
  ['patient_experience', 'What the patient experiences', 'text'],
];
const FACTS = [
  ['time_band', 'Time that selects this code'],
  ['duration', 'Duration'],
  ['setting', 'Setting'],
];
const LINK_KINDS = [
  ['addon', 'Add-on codes that may go with it'],
  ['primary', 'Primary codes it goes with'],
  ['instead', 'Use instead when'],
  ['similar', 'Neighbouring codes'],
];
const RECENT_KEY = 'psyclaim.recent';

export function codeHref(system, code) {
  return `#/codes/${encodeURIComponent(system)}/${encodeURIComponent(code)}`;
}

function recent() {
  try {
    return JSON.parse(sessionStorage.getItem(RECENT_KEY)) || [];
  } catch (e) {
    return [];
  }
}

function remember(c) {
  const list = recent().filter((r) => !(r.system === c.system && r.code === c.code));
  list.unshift({ system: c.system, code: c.code, title: c.short_title });
  sessionStorage.setItem(RECENT_KEY, JSON.stringify(list.slice(0, 8)));
}

function codeList(items, label) {
  return h('ul', { class: 'code-list', 'aria-label': label },
    items.map((c) => h('li', {},
      h('a', { href: codeHref(c.system, c.code) }, h('span', { class: 'code' }, c.code), ' ', c.title),
      ' ', h('span', { class: 'system-tag' }, SYSTEM_LABEL[c.system] || c.system))));
}

function lookupForm(system, code) {
  const sel = h('select', { id: 'lookup-system', name: 'system' },
    SYSTEMS.map(([v, label]) => h('option', { value: v, selected: v === system }, label)));
  const input = h('input', { id: 'lookup-code', name: 'code', required: true, value: code || '', autocapitalize: 'characters', spellcheck: 'false', placeholder: 'e.g. 90853, F43.10, H0004' });
  const form = h('form', { class: 'lookup', role: 'search' },
    h('div', { class: 'field' }, h('label', { for: 'lookup-code' }, 'Code'), input),
    h('div', { class: 'field' }, h('label', { for: 'lookup-system' }, 'Code system'), sel),
    h('button', { type: 'submit', class: 'primary' }, 'Open'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = input.value.trim();
    if (v) location.hash = codeHref(sel.value, v);
    else input.focus();
  });
  return form;
}

/** The codes opened lately in this tab, as a section; null when there are none. */
export function recentList() {
  const seen = recent();
  return seen.length ? h('section', { class: 'recent' }, h('h2', {}, 'Opened lately'), codeList(seen, 'Opened lately')) : null;
}

/** #/lookup : the look-up form and the codes opened lately in this tab. */
export async function lookupView(main) {
  document.title = 'Open a code · psyclaim';
  replace(main,
    h('h1', {}, 'Look up a code'),
    h('p', { class: 'intro' }, 'Open any CPT, HCPCS, ICD-10-CM, modifier or place-of-service code. Psychotherapy codes have a full page: what the service is, the time that selects the code, similar codes, billing rules and payer notes.'),
    lookupForm('any', ''),
    recentList());
}

function textBlock(value, kind) {
  if (kind === 'list') return h('ul', { class: 'bullets' }, value.map((v) => h('li', {}, v)));
  if (kind === 'steps') return h('ol', { class: 'steps' }, value.map((v) => h('li', {}, v)));
  return h('p', { class: kind === 'lead' ? 'lead' : null }, value);
}

function section(id, title, body, cls) {
  return h('section', { id: `sec-${id}`, class: cls || null, 'aria-labelledby': `h-${id}` },
    h('h2', { id: `h-${id}` }, title), body);
}

function similarTable(items) {
  return h('table', { class: 'similar' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Code'), h('th', { scope: 'col' }, 'How it differs'))),
    h('tbody', {}, items.map((s) => h('tr', {},
      h('th', { scope: 'row' },
        s.title ? h('a', { href: codeHref(s.system, s.code) }, h('span', { class: 'code' }, s.code)) : h('span', { class: 'code' }, s.code),
        s.title ? h('span', { class: 'sub' }, s.title) : null),
      h('td', {}, s.difference)))));
}

function linkGroups(links) {
  return LINK_KINDS.filter(([kind]) => links.some((l) => l.kind === kind)).map(([kind, label]) =>
    h('div', { class: 'link-group' }, h('h3', {}, label),
      h('ul', { class: 'code-list' }, links.filter((l) => l.kind === kind).map((l) => h('li', {},
        l.title ? h('a', { href: codeHref(l.system, l.code) }, h('span', { class: 'code' }, l.code), ' ', l.title) : h('span', { class: 'code' }, l.code),
        ' ', h('span', { class: 'system-tag' }, SYSTEM_LABEL[l.system] || l.system),
        l.note ? h('span', { class: 'note' }, l.note) : null)))));
}

function toc(entries) {
  const list = h('ol', {}, entries.map(([id, title]) => {
    const a = h('a', { href: `#sec-${id}`, 'data-section': id }, title);
    a.addEventListener('click', (ev) => {
      ev.preventDefault(); // the address stays the code's; the router owns the hash
      const target = document.getElementById(`h-${id}`);
      target.setAttribute('tabindex', '-1');
      target.scrollIntoView({ behavior: 'smooth', block: 'start' });
      target.focus({ preventScroll: true });
    });
    return h('li', {}, a);
  }));
  return h('nav', { class: 'toc', 'aria-label': 'On this page' }, h('h2', {}, 'On this page'), list);
}

function notFound(main, system, code, err) {
  document.title = 'Code not found · psyclaim';
  const sugg = (err.body && err.body.suggestions) || [];
  replace(main,
    h('h1', {}, err.field === 'system' ? 'Unknown code system' : `No code ${code}`),
    h('p', { class: 'error', role: 'alert' }, err.message),
    sugg.length ? h('section', { class: 'recent' }, h('h2', {}, 'Did you mean'), codeList(sugg, 'Did you mean')) : null,
    lookupForm(SYSTEM_LABEL[system] ? system : 'any', code));
}

/** #/codes/SYSTEM/CODE : the code's page. */
export async function codeView(main, system, code) {
  replace(main, h('p', { class: 'loading', role: 'status' }, 'Loading…'));
  let c;
  try {
    c = await request('GET', `/api/codes/${encodeURIComponent(system)}/${encodeURIComponent(code)}`);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 400)) return notFound(main, system, code, e);
    throw e;
  }
  remember(c);
  const p = c.page;
  document.title = `${c.code} ${p ? p.name : c.short_title} · psyclaim`;

  const badges = [
    h('li', { class: c.billable ? 'ok' : 'warn' }, c.billable ? 'Billable' : 'Not billable'),
    c.addon ? h('li', {}, 'Add-on code') : null,
    c.effective ? h('li', {}, `Effective ${c.effective}`) : null,
    c.terminated ? h('li', { class: 'warn' }, `Ended ${c.terminated}`) : null,
  ];
  const head = h('header', { class: 'code-head' },
    h('p', { class: 'eyebrow' }, `${SYSTEM_LABEL[c.system] || c.system} code`),
    h('h1', {}, h('span', { class: 'code' }, c.code), ' ', h('span', { class: 'name' }, p ? p.name : c.short_title)),
    h('p', { class: 'long-title' }, c.long_title),
    h('ul', { class: 'badges', 'aria-label': 'Status' }, badges),
    p && p.common_names && p.common_names.length
      ? h('div', { class: 'aka' }, h('span', { class: 'aka-label' }, 'Also called'),
        h('ul', { class: 'chips' }, p.common_names.map((n) => h('li', {}, n))))
      : null);

  const entries = [];
  const body = [];
  if (p) {
    for (const [key, title, kind] of SECTIONS) {
      if (key === 'purpose') {
        const facts = FACTS.filter(([k]) => p[k]);
        if (facts.length) {
          entries.push(['facts', 'At a glance']);
          body.push(section('facts', 'At a glance',
            h('dl', { class: 'facts' }, facts.map(([k, label]) => [h('dt', {}, label), h('dd', {}, p[k])])), 'facts-box'));
        }
      }
      const v = p[key];
      if (!v || (Array.isArray(v) && !v.length)) continue;
      entries.push([key, title]);
      body.push(section(key, title, textBlock(v, kind)));
    }
    if (p.similar_codes && p.similar_codes.length) {
      entries.push(['similar', 'Similar codes']);
      body.push(section('similar', 'Similar codes', similarTable(p.similar_codes)));
    }
  }
  if (c.links.length) {
    entries.push(['related', 'Related codes']);
    body.push(section('related', 'Related codes', linkGroups(c.links)));
  }
  if (p && p.billing_notes && p.billing_notes.length) {
    entries.push(['billing', 'Billing notes']);
    body.push(section('billing', 'Billing notes', textBlock(p.billing_notes, 'list'), 'callout billing'));
  }
  if (p && p.payer_policies && p.payer_policies.length) {
    entries.push(['payers', 'Payer policies']);
    body.push(section('payers', 'Payer policies', textBlock(p.payer_policies, 'list'), 'callout payers'));
  }
  if (p && p.sources && p.sources.length) {
    entries.push(['sources', 'Sources']);
    body.push(section('sources', 'Sources', textBlock(p.sources, 'list'), 'sources'));
  }
  if (!p) {
    body.unshift(h('p', { class: 'intro' }, 'This code has no explainer page; its record and related codes are below.'));
  }
  replace(main, h('article', { class: 'code-page' }, head,
    h('div', { class: entries.length > 2 ? 'code-body with-toc' : 'code-body' },
      entries.length > 2 ? toc(entries) : null,
      h('div', { class: 'sections' }, body))));
}
