// search.js -- search as you type over every code (#/ and #/search?q=...&system=...&billable=1): system
// filter chips, a billable-only switch, results after each keystroke (80 ms debounce; a newer query
// aborts the fetch of an older one), arrow keys through the results, Enter opens the code's page.
// The address keeps the query (replaceState, so typing does not fill the history).

import { h, replace } from './dom.js';
import { request } from './api.js';
import { codeHref, recentList } from './codes.js';

const CHIPS = [
  ['all', 'All'],
  ['cpt', 'CPT'],
  ['icd10cm', 'ICD-10-CM'],
  ['hcpcs', 'HCPCS'],
  ['modifier', 'Modifiers'],
  ['pos', 'POS'],
];
const TAG = { cpt: 'CPT', icd10cm: 'ICD-10-CM', hcpcs: 'HCPCS', modifier: 'Modifier', pos: 'POS' };
const DEBOUNCE_MS = 80;
const PAGE = 25;

/** The search state of an address: {q, system, billable}. */
function parseHash(hash) {
  const i = hash.indexOf('?');
  const p = new URLSearchParams(i < 0 ? '' : hash.slice(i + 1));
  const system = p.get('system');
  return {
    q: p.get('q') || '',
    system: CHIPS.some(([v]) => v === system) ? system : 'all',
    billable: p.get('billable') === '1',
  };
}

function stateHash(s) {
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  if (s.system !== 'all') p.set('system', s.system);
  if (s.billable) p.set('billable', '1');
  const qs = p.toString();
  return qs ? '#/search?' + qs : '#/search';
}

/** #/ and #/search: the search page. */
export function searchView(main) {
  document.title = 'Search codes · psyclaim';
  const state = parseHash(location.hash);
  // typing in the header box that led here goes on there: its text is the query
  const header = document.getElementById('header-q');
  if (header && document.activeElement === header) state.q = header.value;
  const input = h('input', {
    id: 'search-q', type: 'search', name: 'q', value: state.q, autocomplete: 'off', spellcheck: 'false',
    role: 'combobox', 'aria-controls': 'search-results', 'aria-expanded': 'false', 'aria-autocomplete': 'list',
    placeholder: 'e.g. ptsd chronic, group therapy, F43.1, 90837, modifier 95',
  });
  const chips = h('div', { class: 'filter-chips', role: 'group', 'aria-label': 'Code system' },
    CHIPS.map(([v, label]) => h('button', { type: 'button', class: 'chip', 'data-system': v, 'aria-pressed': String(v === state.system) }, label)));
  const billable = h('input', { id: 'search-billable', type: 'checkbox', checked: state.billable });
  const status = h('p', { id: 'search-status', class: 'search-status', role: 'status', 'aria-live': 'polite' });
  const list = h('ul', { id: 'search-results', class: 'results', role: 'listbox', 'aria-label': 'Matching codes' });
  const recent = recentList();
  replace(main,
    h('h1', {}, 'Search codes'),
    h('form', { class: 'search-form', role: 'search' },
      h('label', { for: 'search-q' }, 'Search every CPT, HCPCS, ICD-10-CM, modifier and place-of-service code'),
      input,
      h('div', { class: 'search-filters' }, chips,
        h('label', { class: 'toggle', for: 'search-billable' }, billable, ' Billable only'))),
    status, list, recent ? h('div', { class: 'search-recent' }, recent) : null,
    h('p', { class: 'hint' }, 'Know the exact code? ', h('a', { href: '#/lookup' }, 'Open it directly'), '.'));

  let timer = null;
  let inflight = null;
  let active = -1;
  let seq = 0;

  function options() {
    return [...list.querySelectorAll('[role="option"]')];
  }

  function setActive(i) {
    const opts = options();
    if (!opts.length) return;
    active = (i + opts.length) % opts.length;
    opts.forEach((o, k) => o.setAttribute('aria-selected', String(k === active)));
    input.setAttribute('aria-activedescendant', opts[active].id);
    opts[active].scrollIntoView({ block: 'nearest' });
  }

  function show(data) {
    active = -1;
    input.removeAttribute('aria-activedescendant');
    replace(list, data.hits.map((c, i) => h('li', { id: `search-opt-${i}`, role: 'option', 'aria-selected': 'false' },
      h('a', { href: codeHref(c.system, c.code), tabindex: '-1' },
        h('span', { class: 'code' }, c.code),
        h('span', { class: 'title' }, c.title),
        h('span', { class: 'system-tag' }, TAG[c.system] || c.system),
        c.billable ? null : h('span', { class: 'not-billable' }, 'not billable')))));
    input.setAttribute('aria-expanded', String(data.hits.length > 0));
    const n = data.total;
    status.textContent = n === 0 ? 'No code matches.'
      : data.close === false && data.hits.length ? 'No close match. The nearest codes are shown.'
      : n > data.hits.length ? `${n} codes match; the best ${data.hits.length} are shown.`
        : `${n} ${n === 1 ? 'code matches' : 'codes match'}.`;
    if (recent) recent.parentElement.hidden = true;
  }

  function clear() {
    replace(list);
    status.textContent = '';
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    if (recent) recent.parentElement.hidden = false;
  }

  async function run() {
    if (!list.isConnected) return; // the page was left while a keystroke waited
    history.replaceState(null, '', stateHash(state));
    if (inflight) inflight.abort();
    if (!state.q.trim()) {
      inflight = null;
      clear();
      return;
    }
    const ctl = new AbortController();
    inflight = ctl;
    const mine = ++seq;
    const p = new URLSearchParams({ q: state.q, limit: String(PAGE) });
    if (state.system !== 'all') p.set('system', state.system);
    if (state.billable) p.set('billable', 'true');
    try {
      const data = await request('GET', '/api/search?' + p, undefined, ctl.signal);
      if (mine === seq) {
        show(data);
        list.dataset.q = state.q; // what the results shown are for (tests wait on it)
      }
    } catch (e) {
      if (e.name === 'AbortError' || mine !== seq) return;
      replace(list);
      status.textContent = e.message;
    }
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  }

  input.addEventListener('input', () => {
    state.q = input.value;
    soon();
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      ev.preventDefault();
      setActive(active + (ev.key === 'ArrowDown' ? 1 : -1));
    } else if (ev.key === 'Enter') {
      ev.preventDefault();
      const opts = options();
      const pick = opts[active >= 0 ? active : 0];
      if (pick) location.hash = pick.querySelector('a').getAttribute('href');
    } else if (ev.key === 'Escape' && input.value) {
      input.value = '';
      state.q = '';
      soon();
    }
  });
  chips.addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-system]');
    if (!b) return;
    state.system = b.dataset.system;
    for (const c of chips.querySelectorAll('button')) c.setAttribute('aria-pressed', String(c === b));
    run();
  });
  billable.addEventListener('change', () => {
    state.billable = billable.checked;
    run();
  });
  main.querySelector('form').addEventListener('submit', (ev) => ev.preventDefault());
  if (state.q) run();
  return {
    focusInput: () => {
      if (header && document.activeElement === header) return; // the header box keeps the typing
      input.focus();
      input.setSelectionRange(input.value.length, input.value.length);
    },
  };
}

/**
 * The search box of the header: typing there shows the search page and drives it (the text goes to
 * the page's own box on every keystroke); leaving the box empties it.
 */
export function headerSearch() {
  const box = h('input', { id: 'header-q', type: 'search', 'aria-label': 'Search codes', placeholder: 'Search codes…', autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', { class: 'header-search', role: 'search' }, box);
  const go = () => {
    const page = document.getElementById('search-q');
    if (page) {
      page.value = box.value;
      page.dispatchEvent(new Event('input'));
    } else {
      location.hash = stateHash({ q: box.value, system: 'all', billable: false });
    }
  };
  box.addEventListener('input', go);
  box.addEventListener('blur', () => {
    box.value = '';
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go();
  });
  return form;
}
