// audit.js -- the audit trail view (#/audit, admins): every sign-in, sign-out and read of protected
// records of the practice, newest first, a page at a time.

import { h, replace } from './dom.js';
import { request } from './api.js';

const PAGE = 50;

function describe(e) {
  return e.record_type ? `${e.record_type}${e.record_id ? ' ' + e.record_id : ''}` : '';
}

/** Renders one page of events; offset comes from the pager buttons. */
export async function auditView(main, offset = 0) {
  document.title = 'Audit trail · psyclaim';
  const data = await request('GET', `/api/audit?limit=${PAGE}&offset=${offset}`);
  const first = data.total ? offset + 1 : 0;
  const last = offset + data.events.length;
  const prev = h('button', { type: 'button', disabled: offset === 0 }, 'Newer');
  const next = h('button', { type: 'button', disabled: last >= data.total }, 'Older');
  prev.addEventListener('click', () => auditView(main, Math.max(0, offset - PAGE)).then(() => main.querySelector('h1').focus()));
  next.addEventListener('click', () => auditView(main, offset + PAGE).then(() => main.querySelector('h1').focus()));
  replace(main,
    h('h1', { tabindex: '-1' }, 'Audit trail'),
    h('p', { class: 'intro' }, 'Every sign-in, sign-out and look at protected records of your practice. Entries cannot be changed or removed.'),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'audit' },
        h('caption', {}, `Entries ${first}–${last} of ${data.total}`),
        h('thead', {}, h('tr', {},
          ['When (UTC)', 'User', 'Action', 'Record', 'From'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, data.events.map((e) => h('tr', {},
          h('td', {}, h('time', { datetime: e.at }, e.at.replace('T', ' ').replace('Z', ''))),
          h('td', {}, e.username || '—'),
          h('td', {}, h('span', { class: 'action' }, e.action)),
          h('td', {}, describe(e) || '—'),
          h('td', {}, e.ip || '—')))))),
    h('div', { class: 'pager' }, prev, next));
}
