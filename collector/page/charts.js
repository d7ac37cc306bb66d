import { h } from './dom.js';

// Time charts drawn by uPlot (served from the collector, loaded before this
// module). A refresh gives an existing chart new data; it is rebuilt only when
// the colour scheme changes, so the cursor and legend never blink.

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const charts = new Set();

matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
  for (const c of charts) c.rebuild();
});

const hourly = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
// Daily buckets are UTC days (the API's): they are named and placed as UTC dates,
// or a reader west of Greenwich would see each day's bar under the day before.
const daily = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});
const dateTick = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const utcDateTick = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  timeZone: 'UTC',
});
const hourTick = new Intl.DateTimeFormat(undefined, { hour: 'numeric' });

/**
 * The time axis's labels: the date for steps of a day and at midnight, else the
 * hour. uPlot centres a label on its tick, so one near an edge of the canvas
 * would be cut in half: such a label is left out (its tick stays).
 */
function timeLabels(u, splits, _axis, _space, incr) {
  const ctx = u.ctx;
  ctx.save();
  ctx.font = u.axes[0].font[0];
  const labels = splits.map((v) => {
    if (v === null || v === undefined) return null;
    const at = new Date(v * 1000);
    const midnight = at.getHours() === 0 && at.getMinutes() === 0;
    const text =
      incr >= 86_400
        ? utcDateTick.format(at)
        : midnight
          ? dateTick.format(at)
          : hourTick.format(at);
    // In canvas pixels; the canvas itself may not be sized yet when labels are made.
    const x = u.valToPos(v, 'x', true);
    const half = ctx.measureText(text).width / 2;
    return x - half < 0 || x + half > u.width * devicePixelRatio ? null : text;
  });
  ctx.restore();
  return labels;
}

/**
 * spec: { series: [{ label, color (a CSS variable), kind: 'bars' | 'line', scale,
 * fmt (readout value), axisFmt }], empty (the sentence shown when every value is 0),
 * readout (an element that names the bucket under the cursor, else `total(values)`) }
 */
export function timeChart(root, spec) {
  const plot = h('div', { class: 'plot' });
  const note = h('p', { class: 'chart-note', hidden: true });
  root.replaceChildren(plot, note);
  let u = null;
  let data = null;
  let step = 3600;

  function readout(i) {
    if (!spec.readout) return;
    let text;
    if (i === null || i === undefined || data === null)
      text = spec.total(data ? data.slice(1) : []);
    else {
      const at = new Date(data[0][i] * 1000);
      const label = step >= 86_400 ? daily.format(at) : hourly.format(at);
      const values = spec.series.map((s, k) => {
        const v = data[k + 1][i];
        return `${s.label} ${v === null || v === undefined ? '–' : s.fmt(v)}`;
      });
      text = [label, ...values].join(' · ');
    }
    if (spec.readout.textContent !== text) spec.readout.textContent = text;
  }
  // The chart fills its box, which the layout sizes (at least its CSS min-height):
  // the plot is positioned out of the flow, so it never feeds back into that size.
  const size = () => ({
    width: Math.max(root.clientWidth, 200),
    height: Math.max(root.clientHeight, 160),
  });

  function options() {
    const uPlot = globalThis.uPlot;
    const axis = css('--muted');
    const grid = css('--grid');
    const scales = [...new Set(spec.series.map((s) => s.scale))];
    return {
      ...size(),
      // Days' ticks at UTC midnights, where the daily buckets start.
      ...(step >= 86_400 ? { tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC') } : {}),
      padding: [8, 8, 0, 0],
      cursor: { points: { size: 7 }, drag: { x: false, y: false } },
      legend: { show: false },
      hooks: { setCursor: [(u) => readout(u.cursor.idx)] },
      scales: {
        // Half a bucket of room at each end: the first and last bars are whole,
        // and the last bucket's label is not on the canvas's edge.
        x: { time: true, range: (_u, min, max) => [min - step / 2, max + step / 2] },
        // Amounts and counts start at 0, so a bar's height reads as its size.
        ...Object.fromEntries(
          scales.map((k) => [k, { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] }]),
        ),
      },
      series: [
        {},
        ...spec.series.map((s) => ({
          label: s.label,
          scale: s.scale,
          stroke: css(s.color),
          fill: s.kind === 'bars' ? css(`${s.color}-fill`) : undefined,
          width: s.kind === 'bars' ? 0 : 2,
          paths:
            s.kind === 'bars'
              ? uPlot.paths.bars({ size: [0.7, 28], gap: 1, radius: 0.12 })
              : undefined,
          points: { show: false },
          spanGaps: false,
          value: (_u, v) => (v === null || v === undefined ? '–' : s.fmt(v)),
        })),
      ],
      axes: [
        {
          stroke: axis,
          grid: { show: false },
          ticks: { stroke: grid },
          space: 56,
          values: timeLabels,
        },
        ...scales.map((scale, i) => {
          const s = spec.series.find((x) => x.scale === scale);
          return {
            scale,
            side: i === 0 ? 3 : 1,
            stroke: axis,
            grid: { show: i === 0, stroke: grid, width: 1 },
            ticks: { show: false },
            size: 64,
            values: (_u, splits) => splits.map((v) => s.axisFmt(v)),
          };
        }),
      ],
    };
  }

  function build() {
    u?.destroy();
    u = null;
    if (globalThis.uPlot === undefined) {
      note.textContent = 'The charts need uPlot, which this install is missing (npm install).';
      note.hidden = false;
      return;
    }
    if (data !== null) u = new globalThis.uPlot(options(), data, plot);
  }

  new ResizeObserver(() => {
    const next = size();
    if (u !== null && (Math.abs(u.width - next.width) > 1 || Math.abs(u.height - next.height) > 1))
      u.setSize(next);
  }).observe(root);

  const chart = {
    /** buckets: ISO bucket starts; values: one array per series. */
    update(buckets, values) {
      const next = [buckets.map((b) => Date.parse(b) / 1000), ...values];
      const before = step;
      step = next[0].length > 1 ? next[0][1] - next[0][0] : 3600;
      const empty = values.every((v) => v.every((x) => !x));
      note.textContent = empty ? spec.empty : '';
      note.hidden = !empty;
      root.classList.toggle('is-empty', empty);
      const same =
        data !== null && u !== null && data[0].length === next[0].length && step === before;
      data = next;
      if (same) u.setData(data);
      else build();
      readout(u?.cursor.idx ?? null);
    },
    rebuild: build,
  };
  charts.add(chart);
  return chart;
}
