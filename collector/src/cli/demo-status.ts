/** What the demo reads from the collector's JSON API (/api/v1/summary and /budgets). */
export interface Summary {
  cost_usd: number;
  calls: number;
  failed_calls: number;
  unpriced_calls: number;
  image_calls: number;
  video_calls: number;
  distinct: { models: number; users: number; projects: number };
}

export interface BudgetState {
  name: string;
  limit_usd: number;
  spent_usd: number;
  percent_used: number;
  alerts_sent: number[];
}

/** The summary and budgets now, or undefined when the collector did not answer (it is stopping). */
export async function readStatus(
  url: string,
): Promise<{ summary: Summary; budgets: BudgetState[] } | undefined> {
  try {
    const get = async (path: string) => {
      const res = await fetch(`${url}/api/v1${path}`, { signal: AbortSignal.timeout(5_000) });
      if (!res.ok) throw new Error(`${path}: ${res.status}`);
      return res.json();
    };
    // The summary's default range is the last 24 hours: the demo's calls, and a kept database's recent ones.
    const [summary, budgets] = await Promise.all([get('/summary'), get('/budgets')]);
    return {
      summary: summary as Summary,
      budgets: (budgets as { budgets: BudgetState[] }).budgets,
    };
  } catch {
    return undefined;
  }
}

/** Dollars as a person reads them: cents from $1 up, four decimals below (a demo's first calls cost fractions of a cent). */
export function usd(v: number): string {
  return v >= 1 ? `$${v.toFixed(2)}` : `$${v.toFixed(4)}`;
}

/** 0:42, 3:00, 1:05:00. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const mm = String(Math.floor(s / 60) % 60);
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm.padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

const n = (v: number) => v.toLocaleString('en-US');

/** 20 s, 3 min, 1 h 30 min, 2 min 30 s. */
export function span(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 90) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [h ? `${h} h` : '', m ? `${m} min` : '', s % 60 ? `${s % 60} s` : '']
    .filter(Boolean)
    .join(' ');
}

/**
 * The live line: "0:42 of 3:00 · 168 calls stored · $7.42 spent · 9 failed · 1 unpriced";
 * `elapsedS` is undefined until the app makes its first call.
 */
export function statusLine(
  elapsedS: number | undefined,
  durationS: number,
  s: Summary | undefined,
): string {
  if (elapsedS === undefined)
    return 'starting the sample app (it loads the OpenTelemetry SDK and four AI SDKs)';
  const time = `${clock(Math.min(elapsedS, durationS))} of ${clock(durationS)}`;
  if (s === undefined || s.calls === 0) return `${time} · waiting for the first calls`;
  return [
    time,
    `${n(s.calls)} calls stored`,
    `${usd(s.cost_usd)} spent`,
    `${n(s.failed_calls)} failed`,
    `${n(s.unpriced_calls)} unpriced`,
    'Ctrl-C stops',
  ].join(' · ');
}

/** A line for each threshold crossed since `seen` (which it updates): "budget marketing-demo crossed 50% of $8.00 ($4.55 spent): message recorded". */
export function crossings(budgets: BudgetState[], seen: Map<string, Set<number>>): string[] {
  const lines: string[] = [];
  for (const b of budgets) {
    const known = seen.get(b.name) ?? new Set<number>();
    seen.set(b.name, known);
    for (const f of b.alerts_sent) {
      if (known.has(f)) continue;
      known.add(f);
      lines.push(
        `budget ${b.name} crossed ${Math.round(f * 100)}% of ${usd(b.limit_usd)} (${usd(b.spent_usd)} spent): message recorded`,
      );
    }
  }
  return lines;
}

/** The closing lines: what was stored and spent, and each budget. */
export function summaryLines(s: Summary | undefined, budgets: BudgetState[]): string[] {
  if (s === undefined) return ['  the collector could not be read for a summary'];
  const lines = [
    `  ${n(s.calls)} calls stored, ${usd(s.cost_usd)} spent: ${n(s.failed_calls)} failed, ${n(s.unpriced_calls)} unpriced, ${n(s.image_calls)} image and ${n(s.video_calls)} video calls`,
    `  ${n(s.distinct.projects)} projects, ${n(s.distinct.users)} users, ${n(s.distinct.models)} models`,
  ];
  for (const b of budgets) {
    lines.push(
      `  budget ${b.name}: ${usd(b.spent_usd)} of ${usd(b.limit_usd)} (${Math.round(b.percent_used)}%)`,
    );
  }
  return lines;
}
