// The call list of the query API benchmark, over HTTP: the first, middle and last
// page of each order by number and by cursor, the walk through every page, and page 1
// by start time beside page 1 by cost over longer windows and under each common
// filter (a cost-sorted page should cost about what a time-sorted one does).

const DAY_MS = 86_400_000;

/** The filters a dashboard or the usage page puts on the call list, as the generated calls name them. */
const FILTERS = {
  project: 'project=proj-3',
  provider: 'provider=anthropic',
  model: 'model=gpt-4o-2024-08-06',
  status: 'status=error',
};

/**
 * Walks a sort as a client would, 500 calls a page, to take the cursor of the middle
 * page; then 20 a page over the last 500 for the cursor of the last page.
 */
async function cursorsOf(base, window, sort, total) {
  const page = async (size, cursor) =>
    (
      await fetch(
        `${base}/calls?sort=${sort}&page_size=${size}&${window}${cursor ? `&cursor=${cursor}` : ''}`,
      )
    ).json();
  let cursor;
  let seen = 0;
  let middle;
  for (;;) {
    const p = await page(500, cursor);
    seen += p.calls.length;
    if (p.next_cursor === null) break;
    cursor = p.next_cursor;
    if (middle === undefined && seen >= total / 2) middle = cursor;
  }
  // `cursor` now opens the last 500: walk them 20 at a time to the last page's cursor.
  let last = cursor;
  for (let c = cursor; c; ) {
    const p = await page(20, c);
    if (p.next_cursor === null) break;
    last = p.next_cursor;
    c = p.next_cursor;
  }
  return { middle, last };
}

/**
 * Every page figure, each timed by `record(name, query)` (which answers the JSON);
 * `base` is the API's URL and `end` the end of every window. Returns the walks per sort.
 */
export async function callPages(record, base, end) {
  const window = (days) => `from=${end - days * DAY_MS}&to=${end}`;
  const day = window(1);
  const pages = {};
  for (const sort of ['time', 'cost', 'latency']) {
    const first = await record(`calls by ${sort}: page 1`, `/calls?sort=${sort}&${day}`);
    const total = first.total;
    const lastPage = Math.ceil(total / 20);
    await record(
      `calls by ${sort}: middle page by number`,
      `/calls?sort=${sort}&${day}&page=${Math.ceil(lastPage / 2)}`,
    );
    await record(
      `calls by ${sort}: last page by number`,
      `/calls?sort=${sort}&${day}&page=${lastPage}`,
    );
    const t0 = performance.now();
    const cursors = await cursorsOf(base, day, sort, total);
    const walkSeconds = (performance.now() - t0) / 1000;
    await record(
      `calls by ${sort}: middle page by cursor`,
      `/calls?sort=${sort}&${day}&cursor=${cursors.middle}`,
    );
    await record(
      `calls by ${sort}: last page by cursor`,
      `/calls?sort=${sort}&${day}&cursor=${cursors.last}`,
    );
    pages[sort] = { total, walkSeconds, walkPages: Math.ceil(total / 500) };
  }
  // Time beside cost: the usage page opens on 7 days, and a month is the longest window asked.
  for (const days of [7, 30]) {
    for (const sort of ['time', 'cost']) {
      await record(`calls by ${sort}: page 1, ${days} days`, `/calls?sort=${sort}&${window(days)}`);
    }
  }
  for (const [name, filter] of Object.entries(FILTERS)) {
    for (const days of [1, 7]) {
      for (const sort of ['time', 'cost']) {
        const span = days === 1 ? '' : `, ${days} days`;
        await record(
          `calls by ${sort}: page 1, ${name}${span}`,
          `/calls?sort=${sort}&${filter}&${window(days)}`,
        );
      }
    }
  }
  return pages;
}
