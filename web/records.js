// records.js -- the practice's records: clients (#/clients, #/clients/ID) and groups (#/groups,
// #/groups/ID). A clinician sees only their own; the server decides, these views show what it sends.

import { h, replace } from './dom.js';
import { request } from './api.js';
import { practiceToday, utcOf } from './clock.js';
import { newSessionForm } from './visit.js';
import { morePager } from './list.js';
import { eligibilitySection } from './elig.js';
import { ledgerSection } from './ledger.js';
import { clientSessions } from './sessions.js';

const dash = (v) => (v === '' || v === null || v === undefined ? '—' : v);
const dollars = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const money = (cents) => dollars.format(cents / 100);
const none = {};

function table(caption, heads, rows, empty) {
  if (!rows.length) return h('p', { class: 'notice' }, empty);
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows)));
}

const fullName = (c) => `${c.last_name}, ${c.first_name}`;

function clientRow(c) {
  return h('tr', {},
    h('th', { scope: 'row' }, h('a', { href: `#/clients/${c.id}` }, fullName(c))),
    h('td', {}, c.birth_date), h('td', {}, c.diagnoses.join(', ') || '—'), h('td', {}, c.active ? 'yes' : 'no'));
}

/** #/clients : the clients by last name, a page at a time, searched by name or birth date on the server. */
export async function clientsView(main, can = none, q = '') {
  document.title = 'Clients · psyclaim';
  const base = `/api/clients?limit=100${q ? `&q=${encodeURIComponent(q)}` : ''}`;
  const data = await request('GET', base);
  const search = h('input', { id: 'clients-q', type: 'search', value: q, placeholder: 'Name or birth date (YYYY-MM-DD)', autocomplete: 'off' });
  const form = h('form', { class: 'clients-filter row', role: 'search' },
    h('label', { for: 'clients-q' }, 'Search '), search, h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clientsView(main, can, search.value.trim()).catch((e) => window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e })));
  });
  const body = h('tbody', {}, data.items.map(clientRow));
  replace(main, h('h1', {}, 'Clients'),
    can.newClient ? h('p', {}, h('a', { href: '#/clients/new', class: 'button' }, 'Add a client')) : null,
    form,
    data.items.length ? [h('div', { class: 'table-wrap' }, h('table', {},
      h('caption', {}, `${data.total} client${data.total === 1 ? '' : 's'}${q ? ` matching “${q}”` : ''}`),
      h('thead', {}, h('tr', {}, ['Name', 'Born', 'Diagnoses', 'Active'].map((t) => h('th', { scope: 'col' }, t)))),
      body)), morePager(data, body, (cursor) => request('GET', `${base}&cursor=${encodeURIComponent(cursor)}`), clientRow, 'More clients')]
      : h('p', { class: 'notice' }, q ? 'No client matches.' : 'No clients to show.'));
}

export async function clientView(main, id, can = none, canWrite = false) {
  const c = await request('GET', `/api/clients/${encodeURIComponent(id)}`);
  document.title = `${fullName(c)} · psyclaim`;
  const today = practiceToday();
  replace(main,
    h('p', { class: 'eyebrow' }, h('a', { href: '#/clients' }, 'Clients')),
    h('h1', {}, fullName(c)),
    can.clients ? h('p', {}, h('a', { href: `#/clients/${c.id}/edit`, class: 'button' }, 'Edit client')) : null,
    h('dl', { class: 'facts' },
      h('dt', {}, 'Born'), h('dd', {}, c.birth_date),
      h('dt', {}, 'Sex'), h('dd', {}, c.sex),
      h('dt', {}, 'Address'), h('dd', {}, [c.address, c.city, c.state, c.zip].filter(Boolean).join(', ') || '—'),
      h('dt', {}, 'Phone'), h('dd', {}, dash(c.phone)),
      h('dt', {}, 'Telehealth consent'), h('dd', {}, dash(c.telehealth_consent_date)),
      h('dt', {}, 'Diagnoses'), h('dd', {}, c.diagnoses.length
        ? c.diagnoses.map((d, i) => [i ? ', ' : '', h('a', { href: `#/codes/icd10cm/${d}`, class: 'code' }, d)]) : '—'),
      h('dt', {}, 'Groups'), h('dd', {}, c.groups.length
        ? c.groups.map((g, i) => [i ? ', ' : '', h('a', { href: `#/groups/${g.id}` }, g.name)]) : '—')),
    can.notes ? newSessionForm(c) : null,
    h('h2', {}, 'Sessions'),
    clientSessions(c.id),
    h('h2', {}, 'Insurance'),
    can.insurance ? h('p', {}, h('a', { href: `#/clients/${c.id}/policies/new`, class: 'button' }, 'Add a policy')) : null,
    table('Policies by priority', ['Priority', 'Payer', 'Member id', 'Copay', 'From', 'To'],
      c.policies.map((p) => h('tr', {}, h('td', {}, p.priority), h('th', { scope: 'row' }, can.insurance ? h('a', { href: `#/policies/${p.id}` }, p.payer) : p.payer), h('td', {}, p.member_id),
        h('td', { class: 'num' }, money(p.copay_cents)), h('td', {}, p.start_date), h('td', {}, dash(p.end_date)))),
      'No insurance on record.'),
    eligibilitySection(c, can),
    h('h2', {}, 'Authorisations'),
    can.insurance ? h('p', {}, h('a', { href: `#/clients/${c.id}/authorisations/new`, class: 'button' }, 'Add an authorisation')) : null,
    table('Prior authorisations', ['Number', 'Codes', 'From', 'To', 'Approved', 'Used', 'Left'],
      c.authorisations.map((a) => h('tr', { class: a.units_left <= 0 || a.end_date < today ? 'warn' : null },
        h('th', { scope: 'row' }, can.insurance ? h('a', { href: `#/authorisations/${a.id}` }, a.number) : a.number), h('td', {}, a.codes.join(', ')), h('td', {}, a.start_date), h('td', {}, a.end_date),
        h('td', { class: 'num' }, `${a.units_approved} ${a.unit_kind}s`), h('td', { class: 'num' }, a.units_used),
        h('td', { class: 'num' }, a.units_left))),
      'No authorisations on record.'),
    h('h2', {}, 'Treatment plans'),
    can.clients ? h('p', {}, h('a', { href: `#/clients/${c.id}/plans/new`, class: 'button' }, 'Add a treatment plan')) : null,
    table('Plans', ['Modalities', 'Frequency', 'Diagnoses', 'From', 'Review by', 'Ends', 'Signed'],
      c.plans.map((p) => h('tr', {},
        h('th', { scope: 'row' }, h('a', { href: `#/plans/${p.id}` }, p.modalities.join(', '))), h('td', {}, p.frequency), h('td', {}, p.diagnoses.join(', ')),
        h('td', {}, p.start_date),
        h('td', {}, p.review_date, !p.end_date && p.review_date && p.review_date < today ? h('span', { class: 'warn-tag' }, ' overdue') : null),
        h('td', {}, dash(p.end_date)), h('td', {}, p.clinician_signed_at ? p.clinician_signed_at.slice(0, 10) : 'not signed'))),
      'No treatment plan on record.'));
  if (can.balance) {
    const ledger = await ledgerSection(c.id, can.money);
    if (ledger) main.append(ledger);
  }
}

export async function groupsView(main, can = none) {
  document.title = 'Groups · psyclaim';
  const data = await request('GET', '/api/groups');
  replace(main, h('h1', {}, 'Groups'),
    can.clients ? h('p', {}, h('a', { href: '#/groups/new', class: 'button' }, 'Add a group')) : null,
    table(`${data.groups.length} groups`, ['Group', 'Clinician', 'Meets', 'Members', 'Capacity', 'Mode'],
      data.groups.map((g) => h('tr', {},
        h('th', { scope: 'row' }, h('a', { href: `#/groups/${g.id}` }, g.name)), h('td', {}, g.clinician), h('td', {}, dash(g.schedule)),
        h('td', { class: 'num' }, g.members), h('td', { class: 'num' }, g.capacity), h('td', {}, g.telehealth ? 'video' : 'in person'))),
      'No groups to show.'));
}

export async function groupView(main, id, canWrite, can = none) {
  const g = await request('GET', `/api/groups/${encodeURIComponent(id)}`);
  document.title = `${g.name} · psyclaim`;
  let opener = null;
  if (canWrite) {
    const date = h('input', { id: 'new-session-date', type: 'date', value: practiceToday(), required: true });
    // a group's second session on one date is billed only as a distinct session with its own times
    const distinct = h('input', { id: 'new-session-distinct', type: 'checkbox' });
    const start = h('input', { id: 'new-session-start', type: 'time' });
    const stop = h('input', { id: 'new-session-stop', type: 'time' });
    const times = h('div', { class: 'row', hidden: true },
      h('div', { class: 'field' }, h('label', { for: start.id }, 'Starts'), start),
      h('div', { class: 'field' }, h('label', { for: stop.id }, 'Ends'), stop));
    distinct.addEventListener('change', () => {
      times.hidden = !distinct.checked;
      start.required = stop.required = distinct.checked;
    });
    const msg = h('p', { class: 'error', role: 'alert' });
    opener = h('form', { class: 'card new-session' },
      h('h2', {}, 'Document a new session'),
      h('div', { class: 'field' }, h('label', { for: date.id }, 'Date'), date),
      h('div', { class: 'field check' }, h('label', {}, distinct, 'second, distinct session this day')),
      times, msg,
      h('button', { type: 'submit', class: 'primary' }, 'Open session'));
    opener.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      msg.textContent = '';
      const body = { service_date: date.value };
      if (distinct.checked)
        Object.assign(body, { distinct_session: true, start_utc: utcOf(date.value, start.value), stop_utc: utcOf(date.value, stop.value) });
      try {
        const s = await request('POST', `/api/groups/${g.id}/sessions`, body);
        location.hash = `#/sessions/${s.id}`;
      } catch (e) {
        msg.textContent = e.message;
      }
    });
  }
  replace(main,
    h('p', { class: 'eyebrow' }, h('a', { href: '#/groups' }, 'Groups')),
    h('h1', {}, g.name),
    can.clients ? h('p', {}, h('a', { href: `#/groups/${g.id}/edit`, class: 'button' }, 'Edit group and roster')) : null,
    h('dl', { class: 'facts' },
      h('dt', {}, 'Clinician'), h('dd', {}, g.clinician),
      h('dt', {}, 'Meets'), h('dd', {}, dash(g.schedule), g.telehealth ? ' (video)' : ''),
      h('dt', {}, 'Capacity'), h('dd', {}, `${g.roster.length} of ${g.capacity}`)),
    h('h2', {}, 'Roster'),
    table('Members today', ['Name', 'Diagnoses'],
      g.roster.map((c) => h('tr', {}, h('th', { scope: 'row' }, h('a', { href: `#/clients/${c.id}` }, fullName(c))),
        h('td', {}, c.diagnoses.join(', ')))), 'Nobody is on the roster.'),
    opener,
    h('h2', {}, 'Sessions'),
    table('Sessions by date', ['Date', 'Present', 'State'],
      g.sessions.slice().reverse().map((s) => h('tr', {},
        h('th', { scope: 'row' }, h('a', { href: `#/sessions/${s.id}` }, s.service_date)),
        h('td', { class: 'num' }, `${s.present} of ${s.recorded}`), h('td', {}, s.signed_at ? 'signed' : 'open'))),
      'No sessions yet.'));
}
