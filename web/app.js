// app.js -- the web app's shell: who is signed in, the sign-in form, the header, and the router that
// maps the address (#/ and #/search?q=..., #/lookup, #/codes/cpt/90853, #/coding, #/clients, #/groups,
// #/sessions/ID, #/claims, #/claims/ID, #/reports, #/remittances, #/balances, #/aging, #/audit, #/users, #/account,
// #/import) to a view. Views live in their own modules and get the
// main element; a route names the permission (and scope) it needs.

import { h, replace } from './dom.js';
import { request, setCsrf, ApiError } from './api.js';
import { lookupView, codeView } from './codes.js';
import { searchView, headerSearch } from './search.js';
import { auditView } from './audit.js';
import { codingView } from './coding.js';
import { eraView } from './era.js';
import { clientsView, clientView, groupsView, groupView } from './records.js';
import { sessionView } from './session.js';
import { sessionsView } from './sessions.js';
import { reportsView } from './reports.js';
import { claimsView, claimView } from './claims.js';
import { usersView, accountView } from './users.js';
import { setupView } from './setup.js';
import { practiceView, clinicianView, payerView, clientEditView, policyView, authView, planView, groupEditView } from './forms.js';
import { setPracticeZone } from './clock.js';
import { importView } from './import.js';
import { balancesView, agingView } from './ledger.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const account = document.getElementById('account');
let session = null; // the answer of GET /api/me while signed in

const routes = [
  { pattern: /^#\/codes\/([^/]+)\/([^/]+)$/, view: (m) => codeView(main, decodeURIComponent(m[1]), decodeURIComponent(m[2])) },
  { pattern: /^#\/lookup$/, view: () => lookupView(main) },
  { pattern: /^#\/coding$/, view: () => codingView(main) },
  { pattern: /^#\/clients$/, view: () => clientsView(main, can()), perm: 'clients.read' },
  { pattern: /^#\/clients\/(\d+)$/, view: (m) => clientView(main, m[1], can(), allowed('notes.write')), perm: 'clients.read' },
  // record forms (forms.js)
  { pattern: /^#\/practice$/, view: () => practiceView(main, can()) },
  { pattern: /^#\/clinicians\/(new|\d+)$/, view: (m) => clinicianView(main, m[1]), perm: 'practice.write' },
  { pattern: /^#\/payers\/(new|\d+)$/, view: (m) => payerView(main, m[1]), perm: 'insurance.write' },
  { pattern: /^#\/clients\/new$/, view: () => clientEditView(main, 'new'), perm: 'clients.write', scope: 'practice' },
  { pattern: /^#\/clients\/(\d+)\/edit$/, view: (m) => clientEditView(main, m[1]), perm: 'clients.write' },
  { pattern: /^#\/clients\/(\d+)\/policies\/new$/, view: (m) => policyView(main, m[1], null), perm: 'insurance.write' },
  { pattern: /^#\/policies\/(\d+)$/, view: (m) => policyView(main, null, m[1]), perm: 'insurance.write' },
  { pattern: /^#\/clients\/(\d+)\/authorisations\/new$/, view: (m) => authView(main, m[1], null), perm: 'insurance.write' },
  { pattern: /^#\/authorisations\/(\d+)$/, view: (m) => authView(main, null, m[1]), perm: 'insurance.write' },
  { pattern: /^#\/clients\/(\d+)\/plans\/new$/, view: (m) => planView(main, m[1], null, session.user), perm: 'clients.write' },
  { pattern: /^#\/plans\/(\d+)$/, view: (m) => planView(main, null, m[1], session.user), perm: 'clients.read' },
  { pattern: /^#\/groups\/new$/, view: () => groupEditView(main, 'new'), perm: 'clients.write' },
  { pattern: /^#\/groups\/(\d+)\/edit$/, view: (m) => groupEditView(main, m[1]), perm: 'clients.write' },
  { pattern: /^#\/groups$/, view: () => groupsView(main, can()), perm: 'clients.read' },
  { pattern: /^#\/groups\/(\d+)$/, view: (m) => groupView(main, m[1], allowed('notes.write'), can()), perm: 'clients.read' },
  { pattern: /^#\/sessions$/, view: () => sessionsView(main), perm: 'clients.read' },
  { pattern: /^#\/sessions\/(\d+)$/, view: (m) => sessionView(main, m[1]), perm: 'clients.read' },
  { pattern: /^#\/reports$/, view: () => reportsView(main, allowed('claims.read', 'practice')), perm: 'reports.read' },
  { pattern: /^#\/claims(\?.*)?$/, view: () => claimsView(main, allowed('claims.write', 'practice')), perm: 'claims.read' },
  { pattern: /^#\/claims\/(\d+)$/, view: (m) => claimView(main, m[1], allowed('claims.write', 'practice')), perm: 'claims.read' },
  { pattern: /^#\/balances$/, view: () => balancesView(main, { write: allowed('claims.write', 'practice'), practice: allowed('practice.write') }), perm: 'claims.read', scope: 'practice' },
  { pattern: /^#\/aging$/, view: () => agingView(main), perm: 'claims.read', scope: 'practice' },
  { pattern: /^#\/remittances$/, view: () => eraView(main, allowed('claims.write', 'practice')), perm: 'claims.read', scope: 'practice' },
  { pattern: /^#\/audit$/, view: () => auditView(main), perm: 'audit.read' },
  { pattern: /^#\/users$/, view: () => usersView(main, session), perm: 'users.admin' },
  { pattern: /^#\/account$/, view: () => accountView(main, session, enrolled) },
  { pattern: /^#\/import$/, view: () => importView(main), perm: 'clients.import', scope: 'practice' },
  // the home page: search as you type (the search box, not the heading, takes the focus)
  { pattern: /^(#\/?)?$|^#\/search(\?.*)?$/, view: () => searchView(main), typing: true },
];

// A remittance spans the whole practice, so "own" claims are not enough for it.
function allowed(perm, scope) {
  if (!perm) return true;
  const has = session && session.permissions[perm];
  return scope === 'practice' ? has === 'practice' : Boolean(has && has !== 'none');
}

// What the signed-in user may write, for the record pages' links and forms.
function can() {
  return {
    practice: allowed('practice.write'),
    insurance: allowed('insurance.write'),
    clients: allowed('clients.write'),
    newClient: allowed('clients.write', 'practice'),
    notes: allowed('notes.write'), // documents sessions
    balance: allowed('claims.read'), // the client's ledger (a clinician's when the practice allows it)
    money: allowed('claims.write', 'practice'), // records payments, refunds, write-offs
  };
}

function renderHeader() {
  const links = [];
  if (session) {
    links.push(h('a', { href: '#/' }, 'Search'));
    links.push(h('a', { href: '#/coding' }, 'Code a session'));
    if (allowed('clients.read')) {
      links.push(h('a', { href: '#/clients' }, 'Clients'));
      links.push(h('a', { href: '#/groups' }, 'Groups'));
      links.push(h('a', { href: '#/sessions' }, 'Sessions'));
    }
    if (allowed('claims.read')) links.push(h('a', { href: '#/claims' }, 'Claims'));
    if (allowed('reports.read')) links.push(h('a', { href: '#/reports' }, 'Reports'));
    if (allowed('claims.read', 'practice')) links.push(h('a', { href: '#/remittances' }, 'Incoming files'));
    if (allowed('claims.read', 'practice')) links.push(h('a', { href: '#/balances' }, 'Balances'));
    if (allowed('audit.read')) links.push(h('a', { href: '#/audit' }, 'Audit trail'));
    if (allowed('users.admin')) links.push(h('a', { href: '#/users' }, 'Users'));
    links.push(h('a', { href: '#/practice' }, 'Practice'));
    if (allowed('clients.import', 'practice')) links.push(h('a', { href: '#/import' }, 'Import clients'));
  }
  if (session && session.must_enrol) links.length = 0; // nothing else opens until a second factor is set up
  replace(nav, links, session && !session.must_enrol ? headerSearch() : null);
  if (!session) {
    replace(account);
    return;
  }
  const out = h('button', { type: 'button', class: 'link-button' }, 'Sign out');
  out.addEventListener('click', signOut);
  replace(account,
    h('a', { class: 'who', href: '#/account', title: 'Your account' }, session.user.username, ' ', h('span', { class: 'role' }, session.user.role)),
    out);
}

function markCurrentLink() {
  for (const a of nav.querySelectorAll('a')) {
    const href = a.getAttribute('href');
    const here = href === '#/' ? /^(#\/?)?$|^#\/(codes\/|search|lookup)/.test(location.hash) : location.hash.startsWith(href);
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

/** Shows the view of the current address; a lapsed session leads back to the sign-in form. */
async function route() {
  if (!session) {
    loginView();
    return;
  }
  if (session.must_enrol && location.hash !== '#/account') {
    location.hash = '#/account'; // the practice requires a second factor first
    return;
  }
  markCurrentLink();
  const hash = location.hash;
  for (const r of routes) {
    const m = hash.match(r.pattern);
    if (!m) continue;
    if (!allowed(r.perm, r.scope)) break;
    let shown;
    try {
      shown = await r.view(m);
    } catch (e) {
      viewFailed(e);
      return;
    }
    if (r.typing && shown) shown.focusInput();
    else focusHeading();
    return;
  }
  replace(main, h('h1', {}, 'Page not found'), h('p', {}, 'There is nothing at this address. ', h('a', { href: '#/' }, 'Look up a code')));
  focusHeading();
}

/** A view's request failed: a lapsed session leads to the sign-in form, anything else is shown. */
function viewFailed(e) {
  if (e instanceof ApiError && e.status === 401) {
    session = null;
    setCsrf(null);
    renderHeader();
    loginView('Your session has ended. Please sign in again.');
    return;
  }
  showError(e);
}

function showError(e) {
  replace(main, h('h1', {}, 'Something went wrong'),
    h('p', { class: 'error', role: 'alert' }, e.message || String(e)));
  focusHeading();
}

function focusHeading() {
  const h1 = main.querySelector('h1');
  if (h1) {
    h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: true });
  }
  window.scrollTo(0, 0);
}

function field(label, input, hint) {
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hint || null);
}

/** A second factor was set up: the rest of the app opens. */
function enrolled() {
  renderHeader();
}

// The sign-in form. It asks for the user name and password; only when the answer asks for them, for
// the practice (chosen by name, after the password is proven) and the code of the authenticator app.
function loginView(notice) {
  document.title = 'Sign in · psyclaim';
  const user = h('input', { id: 'login-username', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const practice = h('select', { id: 'login-practice', name: 'practice' });
  const practiceField = field('Practice', practice, h('p', { class: 'hint' }, 'You work in more than one practice: choose one.'));
  practiceField.hidden = true;
  const code = h('input', { id: 'login-code', name: 'code', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9 ]*' });
  const codeField = field('Code from your authenticator app', code);
  codeField.hidden = true;
  const message = h('p', { class: 'error', role: 'alert', id: 'login-error' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'card login', novalidate: true, 'aria-describedby': 'login-error' },
    h('h1', {}, 'Sign in'),
    notice ? h('p', { class: 'notice' }, notice) : null,
    field('User name', user), field('Password', pass), practiceField, codeField, message, button);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    message.textContent = '';
    if (!user.value || !pass.value) {
      message.textContent = 'Enter your user name and password.';
      (user.value ? pass : user).focus();
      return;
    }
    const body = { username: user.value.trim(), password: pass.value };
    if (!practiceField.hidden && practice.value) body.practice = practice.value;
    if (!codeField.hidden && code.value) body.code = code.value.trim();
    button.disabled = true;
    try {
      session = await request('POST', '/api/login', body);
      setCsrf(session.csrf_token);
      setPracticeZone(session.practice && session.practice.time_zone);
      renderHeader();
      await route();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'choose_practice') {
        replace(practice, (e.body.practices || []).map((n) => h('option', { value: n }, n)));
        practiceField.hidden = false;
        practice.focus();
      } else if (e instanceof ApiError && e.field === 'code') {
        codeField.hidden = false;
        code.value = '';
        code.focus();
      } else {
        practiceField.hidden = true;
        codeField.hidden = true;
        pass.value = '';
        pass.focus();
      }
      message.textContent = e.message;
    } finally {
      button.disabled = false;
    }
  });
  replace(main, h('div', { class: 'login-wrap' }, form));
  user.focus();
}

async function signOut() {
  try {
    await request('POST', '/api/logout');
  } catch (e) {
    // the session may have ended already; signing out locally is what matters
  }
  session = null;
  setCsrf(null);
  renderHeader();
  location.hash = '#/';
  loginView('You have signed out.');
}

async function start() {
  document.querySelector('.skip').addEventListener('click', (ev) => {
    ev.preventDefault();
    main.focus();
  });
  try {
    session = await request('GET', '/api/me');
    setCsrf(session.csrf_token);
    setPracticeZone(session.practice && session.practice.time_zone);
  } catch (e) {
    session = null;
  }
  if (!session) {
    // a database without a practice opens on the first-run page (GET /api/setup answers 404 afterwards)
    const setup = await request('GET', '/api/setup').catch(() => null);
    if (setup && setup.needed) {
      renderHeader();
      setupView(main, setup, async (s) => {
        session = s;
        setCsrf(s.csrf_token);
        setPracticeZone(s.practice && s.practice.time_zone); // the new practice's zone, as after a sign-in
        renderHeader();
        window.addEventListener('hashchange', route);
        window.addEventListener('psyclaim:error', (ev) => viewFailed(ev.detail));
        await route();
      });
      return;
    }
  }
  renderHeader();
  window.addEventListener('hashchange', route);
  // views that keep working after they are shown (live coding, uploads) report failures here
  window.addEventListener('psyclaim:error', (ev) => viewFailed(ev.detail));
  await route();
}

start();
