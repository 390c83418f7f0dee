// reports.js -- the reports page (#/reports): group attendance rates by week, and group economics:
// revenue per session against the number of members present at the roster's payer mix, the sessions
// actually held, the $30-65 per member reference range, and the break-even size for a clinician cost
// per hour; and, for admins and billers, revenue by service month and payer (billed against paid over
// the claims sent, GET /api/reports/revenue). Plots are drawn with uPlot (web/vendor/, copied from npm by scripts/vendor-web.sh).

import { h, replace } from './dom.js';
import { request } from './api.js';
import uPlot from './vendor/uPlot.esm.js';

const COLOURS = ['#1f5fa8', '#b3541e', '#2e7d32', '#7b3fa0', '#8a6d00', '#00838f'];
const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const dollars = (cents) => usd.format(cents / 100);

function ensureCss() {
  if (document.querySelector('link[data-uplot]')) return;
  document.head.append(h('link', { rel: 'stylesheet', href: '/vendor/uPlot.min.css', 'data-uplot': true }));
}

function plotWidth(el) {
  return Math.max(320, Math.min(900, (el.clientWidth || 900) - 8));
}

function attendancePlot(box, data) {
  const weeks = [...new Set(data.groups.flatMap((g) => g.weeks.map((w) => w.week)))].sort();
  if (!weeks.length) {
    replace(box, h('p', { class: 'notice' }, 'No attendance recorded yet.'));
    return;
  }
  const xs = weeks.map((w) => Date.parse(`${w}T12:00:00Z`) / 1000);
  const series = [{}];
  const ys = data.groups.map((g, i) => {
    series.push({ label: g.name, stroke: COLOURS[i % COLOURS.length], width: 2, value: (u, v) => (v == null ? '—' : `${v.toFixed(0)}%`) });
    const by = new Map(g.weeks.map((w) => [w.week, w.rate * 100]));
    return weeks.map((w) => (by.has(w) ? by.get(w) : null));
  });
  replace(box);
  new uPlot({
    width: plotWidth(box), height: 300, series, spanGaps: true,
    scales: { y: { range: [0, 100] } },
    axes: [{}, { label: 'present (%)', values: (u, vals) => vals.map((v) => `${v}%`) }],
  }, [xs, ...ys], box);
}

function economicsPlot(box, g, sessionCost) {
  const sizes = g.curve.map((c) => c.size);
  const held = new Map();
  for (const s of g.sessions) {
    const e = held.get(s.present) || { sum: 0, n: 0 };
    e.sum += s.revenue_cents;
    e.n++;
    held.set(s.present, e);
  }
  const money = (u, v) => (v == null ? '—' : dollars(v * 100));
  replace(box);
  new uPlot({
    width: plotWidth(box), height: 280,
    scales: { x: { time: false } },
    axes: [{ label: 'members present' }, { label: 'per session', values: (u, vals) => vals.map((v) => `$${v}`) }],
    series: [
      { label: 'members' },
      { label: 'at this payer mix', stroke: COLOURS[0], width: 2, value: money },
      { label: 'sessions held (average)', stroke: COLOURS[1], width: 0, points: { show: true, size: 8, fill: COLOURS[1] }, paths: () => null, value: money },
      { label: '$30 per member', stroke: '#9aa3ad', dash: [4, 4], value: money },
      { label: '$65 per member', stroke: '#9aa3ad', dash: [8, 4], value: money },
      { label: 'clinician cost', stroke: '#c62828', width: 2, value: money },
    ],
  }, [
    sizes,
    g.curve.map((c) => c.revenue_cents / 100),
    sizes.map((n) => (held.has(n) ? held.get(n).sum / held.get(n).n / 100 : null)),
    sizes.map((n) => n * 30),
    sizes.map((n) => n * 65),
    sizes.map(() => sessionCost / 100),
  ], box);
}

function economicsSection(data) {
  return data.groups.map((g) => {
    const plot = h('div', { class: 'plot', id: `economics-${g.id}` });
    const section = h('section', { class: 'card report-group' },
      h('h3', {}, g.name),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Average fee per member'), h('dd', {}, dollars(g.average_fee_cents)),
        h('dt', {}, 'Break-even size'), h('dd', { class: 'break-even' }, g.break_even_size == null ? 'no payer fee on file'
          : `${g.break_even_size} member${g.break_even_size === 1 ? '' : 's'}${g.break_even_size > g.capacity ? ` (more than the capacity of ${g.capacity})` : ''}`),
        h('dt', {}, 'Sessions held'), h('dd', {}, g.sessions.length)),
      h('table', { class: 'payer-mix' }, h('caption', {}, 'Payer mix of the roster'),
        h('thead', {}, h('tr', {}, ['Payer', 'Members', 'Fee for 90853'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, g.payer_mix.map((p) => h('tr', {}, h('th', { scope: 'row' }, p.payer), h('td', { class: 'num' }, p.members),
          h('td', { class: 'num' }, dollars(p.fee_cents)))))),
      plot);
    return { section, plot, g };
  });
}

function revenuePlot(box, data) {
  if (!data.months.length) {
    replace(box, h('p', { class: 'notice' }, 'No claims have been sent yet.'));
    return;
  }
  const xs = data.months.map((m) => Date.parse(`${m.month}-15T12:00:00Z`) / 1000);
  const money = (u, v) => (v == null ? '—' : dollars(v * 100));
  replace(box);
  new uPlot({
    width: plotWidth(box), height: 280,
    axes: [{}, { label: 'per month', values: (u, vals) => vals.map((v) => `$${v}`) }],
    series: [
      { label: 'service month', value: (u, v) => (v == null ? '—' : new Date(v * 1000).toISOString().slice(0, 7)) },
      { label: 'billed', stroke: COLOURS[0], width: 2, points: { show: true }, value: money },
      { label: 'paid', stroke: COLOURS[2], width: 2, points: { show: true }, value: money },
    ],
  }, [xs, data.months.map((m) => m.billed_cents / 100), data.months.map((m) => m.paid_cents / 100)], box);
}

function revenueTable(data) {
  if (!data.rows.length) return null;
  return h('div', { class: 'table-wrap' }, h('table', { class: 'revenue' },
    h('caption', {}, 'Claims sent, by service month and payer'),
    h('thead', {}, h('tr', {}, ['Month', 'Payer', 'Claims', 'Billed', 'Paid', 'Patient owes', 'Paid share'].map((t, i) =>
      h('th', { scope: 'col', class: i >= 2 ? 'num' : null }, t)))),
    h('tbody', {}, data.rows.map((r) => h('tr', {},
      h('th', { scope: 'row' }, r.month), h('td', {}, r.payer_name, ' ', h('span', { class: 'code' }, r.payer_code)),
      h('td', { class: 'num' }, r.claims), h('td', { class: 'num' }, dollars(r.billed_cents)),
      h('td', { class: 'num' }, dollars(r.paid_cents)), h('td', { class: 'num' }, dollars(r.patient_cents)),
      h('td', { class: 'num' }, r.billed_cents ? `${Math.round((100 * r.paid_cents) / r.billed_cents)}%` : '—'))))));
}

export async function reportsView(main, showRevenue) {
  document.title = 'Reports · psyclaim';
  ensureCss();
  const cost = h('input', { id: 'report-cost', type: 'text', inputmode: 'decimal', value: '120', 'aria-describedby': 'report-cost-err' });
  const minutes = h('input', { id: 'report-minutes', type: 'number', min: 15, max: 480, step: 5, value: 90 });
  const attendanceBox = h('div', { class: 'plot', id: 'attendance-plot' });
  const economicsBox = h('div', { class: 'economics' });
  const message = h('p', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'report-form' },
    h('div', { class: 'field' }, h('label', { for: cost.id }, 'Clinician cost per hour ($)'), cost),
    h('div', { class: 'field' }, h('label', { for: minutes.id }, 'Session length (minutes)'), minutes),
    h('button', { type: 'submit' }, 'Recalculate'));
  replace(main,
    h('h1', {}, 'Reports'),
    h('h2', {}, 'Group attendance by week'),
    h('p', { class: 'intro' }, 'Members present as a share of the members recorded, per group and week.'),
    attendanceBox,
    h('h2', {}, 'Group economics'),
    h('p', { class: 'intro' }, 'What one group session earns against the number of members present, at the fees of each member\'s primary payer for 90853; the dashed lines mark $30 and $65 per member. A group breaks even when it earns the clinician\'s cost for the session.'),
    form, message, economicsBox);
  const revenueBox = h('div', { class: 'plot', id: 'revenue-plot' });
  const revenueRows = h('div', { id: 'revenue-table' });
  if (showRevenue) {
    main.append(h('h2', {}, 'Revenue by month and payer'),
      h('p', { class: 'intro' }, 'What was billed on the claims sent (by month of service) against what remittances have paid so far.'),
      revenueBox, revenueRows);
  }

  async function loadEconomics() {
    message.textContent = '';
    cost.removeAttribute('aria-invalid');
    const c = cost.value.trim();
    try {
      const data = await request('GET', `/api/reports/group-economics?cost_per_hour=${encodeURIComponent(c)}&minutes=${Number(minutes.value)}`);
      const parts = economicsSection(data);
      replace(economicsBox, h('p', {}, `Clinician cost per session: ${dollars(data.session_cost_cents)}.`),
        parts.length ? parts.map((p) => p.section) : h('p', { class: 'notice' }, 'No groups to show.'));
      for (const p of parts) economicsPlot(p.plot, p.g, data.session_cost_cents);
    } catch (e) {
      message.textContent = e.field === 'cost_per_hour' ? 'Clinician cost per hour: type an amount in dollars, such as 120 or 120.50.' : e.message;
      if (e.field === 'cost_per_hour') cost.setAttribute('aria-invalid', 'true');
    }
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    loadEconomics();
  });
  attendancePlot(attendanceBox, await request('GET', '/api/reports/attendance'));
  await loadEconomics();
  if (showRevenue) {
    const data = await request('GET', '/api/reports/revenue');
    revenuePlot(revenueBox, data);
    replace(revenueRows, revenueTable(data));
  }
}
