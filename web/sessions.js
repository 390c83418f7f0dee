// sessions.js -- the practice's sessions (#/sessions): newest first, a page at a time, searched by the
// client's or group's name and narrowed by clinician, dates and signed or draft on the server; and the
// paged sessions list of one client's page. A clinician sees their own; the server decides.

import { h, replace } from './dom.js';
import { request } from './api.js';
import { morePager } from './list.js';

const kindName = (k) => ({ individual: 'Individual', family: 'Family', intake: 'Intake', crisis: 'Crisis', group: 'Group', multifamily: 'Multifamily' }[k] || k);

/** One session's row: date (a link to the session), who, kind, clinician, status, minutes, code. */
function sessionRow(s) {
  const who = s.client ? h('a', { href: `#/clients/${s.client.id}` }, `${s.client.last_name}, ${s.client.first_name}`)
    : s.group ? h('a', { href: `#/groups/${s.group.id}` }, s.group.name) : '—';
  return h('tr', { 'data-session': s.id, class: s.status === 'draft' ? 'draft' : null },
    h('th', { scope: 'row' }, h('a', { href: `#/sessions/${s.id}` }, s.service_date)),
    h('td', {}, who), h('td', {}, kindName(s.kind)), h('td', {}, s.clinician.name),
    h('td', {}, s.status === 'signed' ? 'signed' : h('strong', {}, 'draft')),
    h('td', { class: 'num' }, s.minutes ? String(s.minutes) : '—'), h('td', { class: 'code' }, s.billed_code || '—'));
}

/** A table of the first page of `path`'s sessions with its "More" button (or a notice when none). */
async function sessionsTable(path, caption, empty) {
  const data = await request('GET', path);
  if (!data.items.length) return h('p', { class: 'notice' }, empty);
  const body = h('tbody', {}, data.items.map(sessionRow));
  return h('div', {}, h('div', { class: 'table-wrap' }, h('table', { class: 'sessions' },
    h('caption', {}, caption(data.total)),
    h('thead', {}, h('tr', {}, ['Date', 'Client or group', 'Kind', 'Clinician', 'Status', 'Minutes', 'Code'].map((t) => h('th', { scope: 'col' }, t)))),
    body)),
  morePager(data, body, (cursor) => request('GET', `${path}&cursor=${encodeURIComponent(cursor)}`), sessionRow, 'More sessions'));
}

const plural = (n) => `${n} session${n === 1 ? '' : 's'}`;

/** One client's sessions, newest first, a page at a time (the client's page). */
export function clientSessions(clientId) {
  const holder = h('div', { class: 'client-sessions' }, h('p', { class: 'hint' }, 'Loading sessions…'));
  sessionsTable(`/api/sessions?client=${encodeURIComponent(clientId)}&limit=20`, (n) => plural(n), 'No sessions yet.')
    .then((el) => replace(holder, el))
    .catch((e) => window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e })));
  return holder;
}

/** #/sessions : every session the user may see, searched and filtered on the server. */
export async function sessionsView(main) {
  document.title = 'Sessions · psyclaim';
  const field = (id, label, input) => h('label', { for: id }, label, ' ', input);
  const q = h('input', { id: 'sessions-q', type: 'search', placeholder: 'Client or group name', autocomplete: 'off' });
  const from = h('input', { id: 'sessions-from', type: 'date' });
  const to = h('input', { id: 'sessions-to', type: 'date' });
  const status = h('select', { id: 'sessions-status' }, h('option', { value: '' }, 'signed or draft'),
    h('option', { value: 'signed' }, 'signed'), h('option', { value: 'draft' }, 'draft'));
  const clinician = h('select', { id: 'sessions-clinician' }, h('option', { value: '' }, 'any clinician'));
  request('GET', '/api/clinicians').then((list) => {
    const items = Array.isArray(list) ? list : list.clinicians || list.items || [];
    clinician.append(...items.map((c) => h('option', { value: c.id }, [c.first_name, c.last_name].filter(Boolean).join(' ') || c.name || `#${c.id}`)));
  }).catch(() => { clinician.hidden = true; });
  const results = h('div', { class: 'sessions-results' });
  const form = h('form', { class: 'sessions-filter row', role: 'search' },
    field('sessions-q', 'Search', q), field('sessions-clinician', 'Clinician', clinician), field('sessions-from', 'From', from),
    field('sessions-to', 'To', to), field('sessions-status', 'Status', status), h('button', { type: 'submit' }, 'Show'));
  const load = async () => {
    const p = new URLSearchParams({ limit: '50' });
    if (q.value.trim()) p.set('q', q.value.trim());
    if (clinician.value) p.set('clinician', clinician.value);
    if (from.value) p.set('from', from.value);
    if (to.value) p.set('to', to.value);
    if (status.value) p.set('status', status.value);
    replace(results, await sessionsTable(`/api/sessions?${p}`, (n) => plural(n), 'No session matches.'));
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load().catch((e) => window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e })));
  });
  replace(main, h('h1', {}, 'Sessions'), form, results);
  await load();
}
