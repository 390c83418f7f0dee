// audit.js -- the audit trail view (#/audit, admins): every sign-in, sign-out, read of protected
// records and refused attempt of the practice, newest first, a page at a time (by cursor); filtered by user,
// action, record, outcome and dates (in the practice's time zone), and downloadable as CSV.

import { h, replace } from './dom.js';
import { request, download, saveFile } from './api.js';

const PAGE = 50;
const FIELDS = [
  ['user', 'User', 'text', 'e.g. alex'],
  ['action', 'Action', 'text', 'e.g. client.read, or claim. for every claim action'],
  ['record', 'Record', 'text', 'e.g. client:12'],
  ['outcome', 'Outcome', 'text', 'ok, failed, forbidden, not_found'],
  ['from', 'From', 'date', ''],
  ['to', 'To', 'date', ''],
];

function describe(e) {
  return e.record_type ? `${e.record_type}${e.record_id ? ' ' + e.record_id : ''}` : '';
}

function query(filter) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
  return q.toString();
}

// The event's time in the practice's time zone ("2026-12-05 21:14:03"; the offset is in the title).
const localTime = (e) => (e.at_local || e.at).slice(0, 19).replace('T', ' ');

/**
 * Renders one page of events under filter. back holds the cursors of the pages before this one (the
 * first page has none): "Older" follows the server's next_cursor, "Newer" goes back one.
 */
export async function auditView(main, back = [], filter = {}) {
  document.title = 'Audit trail · psyclaim';
  const qs = query(filter);
  const cursor = back.length ? back[back.length - 1] : '';
  const data = await request('GET', `/api/audit?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}${qs ? '&' + qs : ''}`);
  const first = data.total ? (back.length * PAGE) + 1 : 0;
  const last = back.length * PAGE + data.items.length;
  const prev = h('button', { type: 'button', disabled: back.length === 0 }, 'Newer');
  const next = h('button', { type: 'button', disabled: !data.next_cursor }, 'Older');
  const again = (b, f) => auditView(main, b, f).then(() => main.querySelector('h1').focus());
  prev.addEventListener('click', () => again(back.slice(0, -1), filter));
  next.addEventListener('click', () => again([...back, data.next_cursor], filter));

  const inputs = {};
  const form = h('form', { class: 'audit-filter' },
    FIELDS.map(([name, label, type, hint]) => {
      inputs[name] = h('input', { id: `audit-${name}`, name, type, value: filter[name] || '', placeholder: hint || null });
      return h('label', { for: `audit-${name}` }, label, ' ', inputs[name]);
    }),
    h('button', { type: 'submit' }, 'Filter'),
    h('button', { type: 'button', class: 'csv' }, 'Download CSV'));
  const read = () => Object.fromEntries(FIELDS.map(([name]) => [name, inputs[name].value.trim()]));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); again([], read()); });
  form.querySelector('button.csv').addEventListener('click', async () => {
    const q = query(read());
    saveFile(await download('GET', `/api/audit.csv${q ? '?' + q : ''}`));
  });

  replace(main,
    h('h1', { tabindex: '-1' }, 'Audit trail'),
    h('p', { class: 'intro' }, 'Every sign-in, sign-out, look at protected records and refused attempt of your practice. Entries cannot be changed or removed.'),
    form,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'audit' },
        h('caption', {}, `Entries ${first}–${last} of ${data.total}`),
        h('thead', {}, h('tr', {},
          [`When (${(data.time_zone || 'UTC').replace(/_/g, ' ')})`, 'User', 'Action', 'Record', 'Outcome', 'Detail', 'From'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, data.items.map((e) => h('tr', { class: e.outcome && e.outcome !== 'ok' ? 'warn' : null },
          h('td', {}, h('time', { datetime: e.at, title: e.at_local || e.at }, localTime(e))),
          h('td', {}, e.username || '—'),
          h('td', {}, h('span', { class: 'action' }, e.action)),
          h('td', {}, describe(e) || '—'),
          h('td', {}, e.outcome || 'ok'),
          h('td', { class: 'detail' }, e.detail || ''),
          h('td', {}, e.ip || '—')))))),
    h('div', { class: 'pager' }, prev, next));
}
