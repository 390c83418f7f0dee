// clock.js -- dates and times in the practice's time zone (GET /api/me names it), not the browser's
// and not UTC: today's date for new sessions, a stored UTC instant as the practice's "HH:MM", and a
// typed "HH:MM" on a service date back to UTC.

let zone = 'UTC';

/** Remembers the practice's IANA time zone ("America/Chicago"); unknown names fall back to UTC. */
export function setPracticeZone(tz) {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz || 'UTC' });
    zone = tz || 'UTC';
  } catch (e) {
    zone = 'UTC';
  }
}

export function practiceZone() {
  return zone;
}

function parts(date) {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const o = {};
  for (const p of f.formatToParts(date)) o[p.type] = p.value;
  return o;
}

/** Today's date "YYYY-MM-DD" in the practice's time zone. */
export function practiceToday(now = new Date()) {
  const p = parts(now);
  return `${p.year}-${p.month}-${p.day}`;
}

/** "2025-01-07T18:00:00Z" -> "12:00" in the practice's time zone; "" stays "". */
export function localTime(utc) {
  if (!utc) return '';
  const p = parts(new Date(utc));
  return `${p.hour}:${p.minute}`;
}

/** The zone's offset from UTC in minutes at an instant (Chicago in winter: -360). */
function offsetAt(ms) {
  const p = parts(new Date(ms));
  return (Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000) / 60000;
}

/** A service date and a practice-local "HH:MM" -> UTC instant "YYYY-MM-DDTHH:MM:SSZ"; "" when no time. */
export function utcOf(date, hhmm) {
  if (!hhmm || !date) return '';
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = hhmm.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let t = wall - offsetAt(wall) * 60000;
  const again = wall - offsetAt(t) * 60000; // across a change of offset, the second guess is right
  t = again;
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
