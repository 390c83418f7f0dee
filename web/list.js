// list.js -- the lists the server hands out a page at a time (docs/api.yaml, "Lists"): below a table
// whose body holds the first page, "Showing N of TOTAL" and a button that fetches the next page by its
// cursor and adds its rows, while the server says more follow.

import { h } from './dom.js';

/**
 * first: the first page's answer ({items, next_cursor, total}); body: the table body holding its rows;
 * fetchMore(cursor) -> the next page's answer; row(item) -> a table row. Returns the pager element.
 */
export function morePager(first, body, fetchMore, row, label = 'More') {
  const shown = h('span', { class: 'shown' });
  const button = h('button', { type: 'button', class: 'more' }, label);
  let cursor = first.next_cursor;
  let count = first.items.length;
  const update = () => {
    shown.textContent = `Showing ${count} of ${first.total}.`;
    button.hidden = !cursor;
  };
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const next = await fetchMore(cursor);
      body.append(...next.items.map(row));
      count += next.items.length;
      cursor = next.next_cursor;
      update();
    } catch (e) {
      window.dispatchEvent(new CustomEvent('psyclaim:error', { detail: e }));
    } finally {
      button.disabled = false;
    }
  });
  update();
  return h('p', { class: 'pager' }, shown, ' ', button);
}
