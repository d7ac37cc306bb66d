import { ApiError, AuthError, get, storedKey, storeKey } from './api.js';
import { barList } from './bars.js';
import { budgetList } from './budgets.js';
import { callTable } from './calls.js';
import { createCards } from './cards.js';
import { timeChart } from './charts.js';
import { $, setText, show } from './dom.js';
import { filterBar } from './filters.js';
import { clockNow, counted, int, ms, usd, usdShort, whenShort } from './format.js';
import { renderGuide } from './guide.js';
import { askForKey, hideKeyForm } from './keyform.js';
import { projectTable } from './projects.js';
import {
  apiFilters,
  FILTERS,
  PAGE_SIZE,
  readState,
  resolveRange,
  writeState,
} from './url-state.js';

// The page's loop: read the view from the URL, ask the API, draw. A background
// refresh every 30 s draws over what is there; only a change of view dims it.

const REFRESH_MS = 30_000;

let state = readState(location.search);
let generation = 0;
let controller = null;
let timer = null;
let lastLoad = 0;
let firstDone = false;

const cards = createCards($('cards'));
const budgets = budgetList($('budgets'), $('budget-list'));
const sum = (values) => values.reduce((t, v) => t + (v ?? 0), 0);
const costChart = timeChart($('cost-chart'), {
  empty: 'No spending in this range.',
  readout: $('cost-readout'),
  total: ([cost]) => `${usd(sum(cost ?? []))} in this range`,
  series: [
    { label: 'Cost', color: '--c1', kind: 'bars', scale: 'usd', fmt: usd, axisFmt: usdShort },
  ],
});
const trendChart = timeChart($('trend-chart'), {
  empty: 'No calls in this range.',
  readout: $('trend-readout'),
  total: ([calls]) => counted(sum(calls ?? []), 'call'),
  series: [
    { label: 'Calls', color: '--c2', kind: 'bars', scale: 'calls', fmt: int, axisFmt: int },
    { label: 'p95 latency', color: '--c3', kind: 'line', scale: 'ms', fmt: ms, axisFmt: ms },
  ],
});
const models = barList($('models'), {
  empty: 'No calls in this range.',
  onPick: (model) => setFilter('model', model),
});
const projects = projectTable($('projects'), { onPick: (p) => setFilter('project', p) });
const calls = callTable(
  {
    head: $('calls-head'),
    body: $('calls-body'),
    count: $('calls-count'),
    prev: $('prev'),
    next: $('next'),
    info: $('page-info'),
  },
  {
    onSort(sort) {
      const order = state.sort === sort && state.order === 'desc' ? 'asc' : 'desc';
      navigate({ ...state, sort, order, page: 1, call: undefined });
    },
    onPage(delta) {
      navigate({ ...state, page: Math.max(1, state.page + delta), call: undefined });
    },
    onOpen(id) {
      state = { ...state, call: id ?? undefined };
      history.replaceState(null, '', `${location.pathname}${writeState(state)}`);
    },
    load: (id) => get(`calls/${encodeURIComponent(id)}`),
  },
);
const filters = filterBar(
  {
    ranges: $('ranges'),
    custom: $('custom'),
    customFrom: $('custom-from'),
    customTo: $('custom-to'),
    selects: $('selects'),
    clear: $('clear'),
  },
  {
    range(range) {
      if (range === 'custom') {
        const now = Date.now();
        const from = state.from ?? new Date(now - 7 * 86_400_000).toISOString();
        navigate({ ...state, range, from, to: state.to ?? null, page: 1, call: undefined });
      } else navigate({ ...state, range, from: null, to: null, page: 1, call: undefined });
    },
    custom: (from, to) =>
      navigate({ ...state, range: 'custom', from, to, page: 1, call: undefined }),
    filter: setFilter,
    clear() {
      const next = { ...state, page: 1, call: undefined };
      for (const f of FILTERS) delete next[f];
      navigate(next);
    },
  },
);
$('project-back').addEventListener('click', () => setFilter('project', null));
$('forget').addEventListener('click', () => {
  storeKey(null);
  load({ quiet: false });
});

function setFilter(name, value) {
  const next = { ...state, page: 1, call: undefined };
  if (value) next[name] = value;
  else delete next[name];
  navigate(next);
}

function navigate(next) {
  state = next;
  history.pushState(null, '', `${location.pathname}${writeState(state)}`);
  load({ quiet: false });
}

addEventListener('popstate', () => {
  state = readState(location.search);
  load({ quiet: false });
});

document.addEventListener('visibilitychange', () => {
  if (!document.hidden && Date.now() - lastLoad >= REFRESH_MS) load({ quiet: true });
});

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(() => {
    // A hidden tab waits; it catches up when it is shown again.
    if (document.hidden) schedule();
    else load({ quiet: true });
  }, REFRESH_MS);
}

function setStatus(text, tone) {
  setText($('status-text'), text);
  $('status').dataset.tone = tone;
}

function banner(text) {
  const b = $('banner');
  setText(b, text ?? '');
  show(b, Boolean(text));
}

/** The menus' choices: each filter's values given the others, asked after the figures. */
function facets(range, signal) {
  const facet = (by) =>
    get('breakdown', { ...apiFilters(state, range, by), by }, signal).then(
      (b) => b.rows.map((x) => x.key).filter(Boolean),
      () => undefined,
    );
  return Promise.all(['project', 'provider', 'model'].map(facet)).then(
    ([project, provider, model]) => ({ project, provider, model }),
  );
}

/** What each part of the page asks the API for this view. */
function requests(range, signal) {
  const f = apiFilters(state, range);
  const ask = (path, params) => get(path, params, signal);
  const project = state.project;
  return {
    info: ask('info'),
    summary: ask('summary', f),
    budgets: ask('budgets'),
    cost: ask('timeseries', { ...f, granularity: range.granularity, metric: 'cost' }),
    models: project ? null : ask('breakdown', { ...f, by: 'model' }),
    projects: project ? null : ask('projects', f),
    project: project ? ask(`projects/${encodeURIComponent(project)}`, f) : null,
    calls: ask('calls', {
      ...f,
      page: state.page,
      page_size: PAGE_SIZE,
      sort: state.sort,
      order: state.order,
    }),
  };
}

async function load({ quiet }) {
  const mine = ++generation;
  controller?.abort();
  controller = new AbortController();
  const range = resolveRange(state, Date.now());
  filters.render(state, null);
  if (!quiet) document.body.classList.add('busy');
  const asked = requests(range, controller.signal);
  // Sent last, so the collector answers the figures first; the menus fill in after.
  const choices = facets(range, controller.signal);
  const names = Object.keys(asked);
  const settled = await Promise.allSettled(Object.values(asked));
  if (mine !== generation) return;
  void choices.then((options) => {
    if (mine === generation) filters.render(state, options);
  });
  lastLoad = Date.now();
  document.body.classList.remove('busy');
  const r = {};
  const errors = {};
  names.forEach((n, i) => {
    if (settled[i].status === 'fulfilled') r[n] = settled[i].value;
    else errors[n] = settled[i].reason;
  });
  if (Object.values(errors).some((e) => e instanceof AuthError)) {
    clearTimeout(timer);
    show($('main'), false);
    document.body.classList.remove('loading');
    setStatus('needs a key', 'idle');
    const rejected = storedKey() !== null;
    storeKey(null);
    show($('forget'), false);
    askForKey(rejected, (key) => {
      storeKey(key);
      hideKeyForm();
      load({ quiet: false });
    });
    return;
  }
  hideKeyForm();
  show($('main'), true);
  show($('forget'), storedKey() !== null);
  draw(r, errors, range);
  schedule();
}

function draw(r, errors, range) {
  const projectMissing = errors.project instanceof ApiError && errors.project.status === 404;
  const problems = Object.entries(errors).filter(([n, e]) => {
    // Budgets are optional (a collector without them shows none), and a project
    // with no calls in the range is shown empty, not as an error.
    if (n === 'budgets' || (n === 'project' && projectMissing)) return false;
    return !(e instanceof DOMException && e.name === 'AbortError');
  });
  const unreachable = problems.some(([, e]) => e instanceof ApiError && e.status === 0);
  if (unreachable) {
    setStatus(firstDone ? 'offline, retrying' : 'cannot reach the collector', 'bad');
    banner(
      'The collector cannot be reached. The figures below are the last ones seen; the page tries again every 30 s.',
    );
  } else if (problems.length > 0) {
    const [name, err] = problems[0];
    setStatus(`updated ${clockNow()}`, 'warn');
    // A 400 names the parameter of the view (the URL) the collector refused.
    banner(
      err instanceof ApiError && err.status === 400
        ? `This view cannot be shown: ${err.message}.`
        : `Some figures could not be loaded (${name}): ${err.message}`,
    );
  } else {
    setStatus(`updated ${clockNow()}`, 'ok');
    banner(null);
  }

  const empty = r.info?.calls === 0;
  show($('guide'), empty);
  show($('dashboard'), !empty);
  show($('filters'), !empty);
  show($('caption'), !empty);
  if (empty) {
    renderGuide($('guide'), { keyed: storedKey() !== null });
    finishFirst();
    return;
  }

  const bucket = range.granularity === 'hour' ? 'hourly' : 'daily (UTC days)';
  setText($('caption'), `${whenShort(range.from)} – ${whenShort(range.to)} · ${bucket}`);

  if (r.summary) cards.render(r.summary);
  if (r.budgets) budgets.render(r.budgets.budgets ?? []);
  else budgets.render([]);
  if (r.cost)
    costChart.update(r.cost.buckets, [r.cost.series[0]?.values ?? r.cost.buckets.map(() => 0)]);

  const project = state.project;
  document.body.classList.toggle('project-mode', Boolean(project));
  show($('project-head'), Boolean(project));
  show($('trend-panel'), Boolean(project));
  show($('projects-panel'), !project);
  if (project) {
    setText($('project-title'), project);
    const p = r.project;
    if (p) {
      trendChart.update(p.trend.buckets, [p.trend.calls, p.trend.latency_p95_ms]);
      models.render(p.models);
    } else if (projectMissing) {
      const buckets = r.cost?.buckets ?? [];
      trendChart.update(buckets, [buckets.map(() => 0), buckets.map(() => null)]);
      models.render([]);
    }
  } else {
    if (r.models) models.render(r.models.rows);
    if (r.projects) projects.render(r.projects.projects);
  }
  if (r.calls) {
    // The summary and the call list are two reads of the same window: a call stored
    // between them (live ingest) would make the table count one more than the Calls
    // card. The table counts the summary's calls, so the two always agree.
    const page = r.summary ? { ...r.calls, total: r.summary.calls } : r.calls;
    calls.render(page, { ...state, pageSize: PAGE_SIZE });
  }
  finishFirst();
}

function finishFirst() {
  if (firstDone) return;
  firstDone = true;
  document.body.classList.remove('loading');
  document.body.dataset.ready = 'true';
  // How long the first figures took from navigation (the page tests report it).
  performance.mark('costlens:first-render');
}

load({ quiet: false });
