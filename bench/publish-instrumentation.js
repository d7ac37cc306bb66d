// The instrumentation sections of docs/benchmarks.md: per-call overhead timed against
// the peers, the same calls counted in instructions, and costlens on the Vercel AI SDK.
import { f, machineLine, read } from './publish-lib.js';

/**
 * How the run held V8's young generation, when it did (runs before it did let
 * V8 grow it as it saw fit): see youngGeneration in lib.js.
 */
function youngLines(run) {
  if (run.youngGenerationMb === undefined) return [];
  return [
    `Every process ran with V8's young generation fixed at ${run.youngGenerationMb} MB a semi-space`,
    '(`--min-semi-space-size`, `--max-semi-space-size`), the size V8 grows it to in a process under',
    'sustained load on this machine: left to grow, it reaches that size after a number of calls that',
    'depends on how much each contender leaves alive (OpenLLMetry in its 2nd timed round of 20, the',
    'official one in its 10th, costlens in its 14th, the bare SDK not in 29,000 non-streaming calls),',
    'and each contender was timed in a young generation of a different size.',
  ];
}

/** The lines of the instrumentation sections, from the results there are. */
export function instrumentationSections() {
  const parts = [];
  const instr = read('instrumentation');
  if (instr) {
    const c = instr.contenders;
    const v = instr.versions;
    const names = {
      none: `no instrumentation (openai ${v.openai})`,
      costlens: `@costlens/instrumentation ${v.costlens}`,
      'costlens-sdk': `@costlens/instrumentation ${v.costlens}, no metric producer`,
      official: `@opentelemetry/instrumentation-openai ${v.official}`,
      traceloop: `@traceloop/instrumentation-openai ${v.traceloop} (OpenLLMetry)`,
      'none@7': `no instrumentation (openai ${v.openai7})`,
      'costlens@7': `@costlens/instrumentation ${v.costlens} on openai ${v.openai7}`,
    };
    const peers = ['official', 'traceloop'];
    const short = { official: 'the official instrumentation', traceloop: 'OpenLLMetry' };
    const range = ([lo, hi]) => `${f(lo)}–${f(hi)}`;
    const row = (name, mode) => {
      const x = c[name][mode];
      const median = `${f(x.wallUs)} (${range(x.wallQuartilesUs)})`;
      const a = instr.addedUs[name]?.[mode];
      if (!a) return `| ${names[name]} | ${median} | | ${f(x.cpuUs)} |`;
      return `| ${names[name]} | ${median} | **${f(a.wallUs)}** (${range(a.rangeUs)}) | ${f(x.cpuUs)} (+${f(a.cpuUs)}) |`;
    };
    const table = (mode, rows) => [
      '| | µs per call, median (quartiles of rounds) | added µs (range over passes) | main-thread CPU µs (added) |',
      '| --- | ---: | ---: | ---: |',
      ...rows.map((name) => row(name, mode)),
    ];
    const ratios = (ours, mode) =>
      peers
        .map((p) => `${f(instr.ratioToPeers[ours][p][mode], 2)}× what ${short[p]} adds`)
        .join(', ');
    const verdict = (ours, mode) =>
      instr.aimMet.lighterThanPeers[ours][mode]
        ? 'lighter than both peers'
        : 'not lighter than both peers';
    // Pass by pass: a median can lean on a few passes, a count of passes cannot.
    const passesLighter = (mode) => {
      const ours = instr.addedUs.costlens[mode].perPassUs;
      if (!ours) return '';
      const counts = peers.map((p) => {
        const theirs = instr.addedUs[p][mode].perPassUs;
        return `${ours.filter((x, i) => x < theirs[i]).length} for ${short[p]}`;
      });
      return ` Passes in which it added less than the peer, of ${ours.length}: ${counts.join(', ')}.`;
    };
    // What the one-call check found missing on a span, said rather than hidden.
    const who = { costlens: 'costlens', official: 'the official one', traceloop: 'OpenLLMetry' };
    const gaps = ['costlens', ...peers]
      .filter((name) => c[name].check)
      .flatMap((name) =>
        ['nonStreaming', 'streaming']
          .filter((mode) => c[name].check[mode].inputTokens === undefined)
          .map(
            (mode) =>
              `${who[name]}'s ${mode === 'streaming' ? 'streaming' : 'non-streaming'} spans`,
          ),
      );
    // Results from before the metric producer have no such contender.
    const sdkRow = c['costlens-sdk'] !== undefined;
    const modeTitle = {
      nonStreaming: 'Non-streaming `chat.completions.create`',
      streaming: 'Streaming, the stream read to its end',
    };
    const sections = ['nonStreaming', 'streaming'].flatMap((mode) => [
      `### ${modeTitle[mode]}`,
      '',
      ...table(mode, ['none', 'costlens', ...(sdkRow ? ['costlens-sdk'] : []), ...peers]),
      '',
      `costlens adds ${f(instr.addedUs.costlens[mode].wallUs)} µs: ${ratios('costlens', mode)} (${verdict('costlens', mode)}).${passesLighter(mode)}`,
      ...(sdkRow
        ? [
            `Without the metric producer it adds ${f(instr.addedUs['costlens-sdk'][mode].wallUs)} µs: ${ratios('costlens-sdk', mode)}.`,
          ]
        : []),
      '',
    ]);
    const seven = ['nonStreaming', 'streaming'].map(
      (mode) =>
        `- ${mode === 'streaming' ? 'streaming' : 'non-streaming'}: ${f(instr.addedUs['costlens@7'][mode].wallUs)} µs added (${range(instr.addedUs['costlens@7'][mode].rangeUs)}); ${ratios('costlens@7', mode)} on openai ${v.openai}.`,
    );
    parts.push(
      '## Instrumentation overhead per OpenAI call',
      '',
      `Machine: ${machineLine(instr.machine)}. costlens at ${instr.costlensCommit}. The peers on the latest`,
      `openai major they patch (both patch openai < 7 only: openai ${v.openai}); costlens on the same`,
      `openai ${v.openai}, and on openai ${v.openai7} against openai ${v.openai7} bare. Each call goes`,
      'over an in-process fake `fetch` that answers a canned chat completion, or a stream of 5 chunks',
      'and the usage chunk the request asks for: no socket, so only the SDK and the instrumentation',
      'cost time. Each pass starts a fresh process per contender and warms each up with',
      `${instr.warmup.toLocaleString('en')} calls of each kind; then the contenders take turns, round by round (a different one`,
      `first each turn), ${instr.rounds} rounds of ${instr.iterations.toLocaleString('en')} sequential calls of each kind each: the rounds of a pass follow`,
      "each other within seconds, so the machine's slower and faster minutes fall on all of them",
      `alike. ${instr.passes} passes.`,
      ...youngLines(instr),
      `The same telemetry for every instrumented contender: @opentelemetry/api ${v.api}, an AsyncLocalStorage`,
      `context manager, sdk-trace ${v.sdkTrace} with a SimpleSpanProcessor into an exporter that counts the`,
      `spans, sdk-metrics ${v.sdkMetrics} with a reader that does not export during the run, no logger`,
      'provider (the official instrumentation emits its log events to the no-op logger), message',
      "content not recorded (OpenLLMetry's default records it: here `traceContent: false`). Every",
      "instrumented call produced exactly one span, a child of the caller's active span, with the",
      `response model and the token counts${gaps.length ? ` (none on ${gaps.join(', ')})` : ''}.`,
      "Added = the median, over every round, of the contender's round minus the bare SDK's round of",
      'the same turn; its range is that median within each pass. The machine is shared, so the',
      'spread is wide: compare the medians, and read the ranges as how far one pass can stray.',
      'Processes of one contender also differ from each other: V8 settles in each process on how',
      'much of the young generation survives a collection (seen with `--trace-gc-nvp` for the',
      'official instrumentation alone: from 10 kB to 500 kB a collection in processes started the same',
      "way), so a single run's ratios can move by a few tenths: the more passes, the steadier.",
      '',
      ...sections,
      `### costlens on openai ${v.openai7}`,
      '',
      ...table('nonStreaming', ['none@7', 'costlens@7']).map((l, i) =>
        i === 0 ? l.replace('| |', '| non-streaming |') : l,
      ),
      ...table('streaming', ['none@7', 'costlens@7'])
        .slice(2)
        .map((l) =>
          l.replace('| no', '| streaming: no').replace('| @costlens', '| streaming: @costlens'),
        ),
      '',
      ...seven,
      '',
      `Aim: under ${instr.aimUs} µs added per call (${instr.aimMet.under ? 'met' : 'missed'}; µs of the machine at hand, where the`,
      `bare SDK's call took ${instr.contenders.none.nonStreaming.wallUs.toFixed(1)} µs: a slower machine adds more to every figure), and lighter than both peers in`,
      'both modes. costlens does more per call than either peer: it prices the call (cost in USD, its',
      "breakdown and source on the span) and keeps the conventions' two histograms (duration, input",
      'and output tokens), as the official instrumentation does and OpenLLMetry does not, and its calls',
      'and cost counters. ' +
        (sdkRow
          ? 'It sums them in the process, per series, and a metric producer on the reader reports them at' +
            ' each collection: `@costlens/instrumentation/register` adds one to each reader, and an app with' +
            ' its own meter provider adds `instrumentation.metricProducer()` to its reader, as this bench' +
            ' does. "No metric producer" is costlens on a reader without one: its histograms then go' +
            " through the SDK's instruments, three recordings a call (each sorts and serialises the" +
            ' attributes), as the official instrumentation records them.'
          : 'Its calls and cost counters are summed in the process and read by observable counters when' +
            ' metrics are collected; the histograms are recorded through the SDK per call.'),
      'Main-thread CPU time is the same work without the time other processes took from the machine.',
      '',
    );
  }

  // The same contenders' work counted in instructions (valgrind), which the
  // machine's load moves far less than a time: a subsection of the instrumentation one.
  const instructions = read('instrumentation-instructions');
  // A result of one pair per contender (no `repeats`) may hold an outlier: not published.
  if (instructions?.repeats) {
    const ii = instructions;
    const k = (n) => `${f(n / 1000)} k`;
    const label = {
      none: 'no instrumentation',
      costlens: '@costlens/instrumentation',
      'costlens-sdk': '@costlens/instrumentation, no metric producer',
      official: '@opentelemetry/instrumentation-openai',
      traceloop: '@traceloop/instrumentation-openai (OpenLLMetry)',
    };
    const peerName = { official: 'the official instrumentation', traceloop: 'OpenLLMetry' };
    // Results from before the metric producer have no costlens-sdk count.
    const rows = Object.keys(label)
      .filter((name) => ii.perCallInstructions[name])
      .map((name) => {
        const cells = ['nonStreaming', 'streaming'].flatMap((mode) => {
          const plus = ii.addedInstructions[name]?.[mode];
          return [
            k(ii.perCallInstructions[name][mode]),
            plus === undefined ? '' : `**+${k(plus)}**`,
          ];
        });
        return `| ${label[name]} | ${cells.join(' | ')} |`;
      });
    const said = ['nonStreaming', 'streaming'].map((mode) => {
      const r = Object.keys(peerName)
        .map((p) => `${f(ii.ratioToPeers[p][mode], 2)}× what ${peerName[p]} adds`)
        .join(', ');
      return `- ${mode === 'streaming' ? 'streaming' : 'non-streaming'}: costlens adds ${k(ii.addedInstructions.costlens[mode])} instructions a call, ${r} (${ii.lighterThanPeers[mode] ? 'fewer than both peers' : 'not fewer than both peers'}).`;
    });
    parts.push(
      '### The same calls counted in instructions',
      '',
      `Machine: ${machineLine(ii.machine)}.${ii.costlensCommit ? ` costlens at ${ii.costlensCommit}.` : ''} The contenders and telemetry above, each process run under`,
      "valgrind's callgrind, which counts the instructions it executes (the JIT's code included), with",
      "V8's background threads off (`--single-threaded`: compiling and collecting on the main thread):",
      'a count moves far less than a time with what else the machine runs, though not nothing (V8 starts',
      'some collections by the clock, so a slowed process counts more): each process started only when',
      `nothing else ran${ii.startedBusy ? ` (${ii.startedBusy} could not wait for it)` : ''}. Unlike the timed runs, these leave V8's young generation to grow as V8`,
      'sees fit: fixed at its largest, the counted calls hold two or three young collections and part of a',
      "full one, and where those fall decides much of a count (measured: OpenLLMetry's added count",
      "rose from 96k to 251k a call, costlens's stayed at 91k). Each contender",
      `and mode is counted twice after the same warm-up (${ii.warmup.toLocaleString('en')} calls), with ${(ii.fewer * ii.iterations).toLocaleString('en')} and with`,
      `${(ii.more * ii.iterations).toLocaleString('en')} calls after it: the difference over the ${ii.callsCounted.toLocaleString('en')} calls between is the count per call, with`,
      `start-up and warm-up gone; the median of ${ii.repeats} such pairs is kept (one pair in a dozen has been far off). Instructions are not time (a cache miss or an allocation costs more`,
      'than an add), so this table stands beside the timed one, not in its place.',
      '',
      // The widest gap between one contender's pairs: how far a collection caught in one
      // window and not another moves a count per call.
      ...(ii.perCallInstructionsEachRepeat ? [spreadLine(ii), ''] : []),
      '| | non-streaming, per call | added | streaming, per call | added |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
      ...said,
      '',
    );
  }

  /** The widest spread between the pairs of one contender and mode, said in a sentence. */
  function spreadLine(ii) {
    let widest = { gap: -1 };
    for (const [name, modes] of Object.entries(ii.perCallInstructionsEachRepeat)) {
      for (const [mode, each] of Object.entries(modes)) {
        const gap = Math.max(...each) - Math.min(...each);
        if (gap > widest.gap) widest = { gap, name, mode, each };
      }
    }
    const k = (n) => `${f(n / 1000, 0)} k`;
    return (
      `The pairs of one contender agree to within ${k(widest.gap)} a call at most (${widest.name}, ` +
      `${widest.mode === 'streaming' ? 'streaming' : 'non-streaming'}: ${widest.each.map(k).join(', ')}): ` +
      'a collection that falls in one window and not in another moves the count of every call in it, ' +
      'so differences of that size between contenders are not told apart.'
    );
  }

  // costlens on the Vercel AI SDK beside costlens on the official SDK, measured in the
  // same passes: a subsection of the instrumentation one.
  const aiSdk = read('instrumentation-ai-sdk');
  if (aiSdk) {
    const c = aiSdk.contenders;
    const v = aiSdk.versions;
    const range = ([lo, hi]) => `${f(lo)}–${f(hi)}`;
    const row = (label, bare, ours, mode) => {
      const a = aiSdk.addedUs[ours][mode];
      return `| ${label} | ${f(c[bare][mode].wallUs)} | ${f(c[ours][mode].wallUs)} | **${f(a.wallUs)}** (${range(a.rangeUs)}) | ${f(a.cpuUs)} |`;
    };
    const check = c['costlens-ai-sdk'].check;
    const usage = (mode) =>
      `${check[mode].inputTokens} input and ${check[mode].outputTokens} output tokens, $${check[mode].costUsd}`;
    parts.push(
      '### costlens on the Vercel AI SDK, beside the same call through the official SDK',
      '',
      `Machine: ${machineLine(aiSdk.machine)}. costlens at ${aiSdk.costlensCommit}. The same chat call`,
      `and the same fake answers as above, made through \`ai\` ${v.ai}'s \`generateText\` / \`streamText\``,
      `(the stream's text read to its end) with \`@ai-sdk/openai\` ${v.aiSdkOpenai}'s \`createOpenAI({ fetch }).chat('gpt-4o-mini')\`,`,
      `bare and under costlens (the provider package handed to \`instrumentModules({ aiSdk })\`, the`,
      "instrumentation's span processor beside the exporter's, no `@ai-sdk/otel`); beside them, in the",
      `same interleaved passes, openai ${v.openai7} bare and under costlens. ${aiSdk.passes} processes per contender, each`,
      `warming up with ${aiSdk.warmup.toLocaleString('en')} calls of each kind then timing ${aiSdk.rounds} rounds of ${aiSdk.iterations.toLocaleString('en')} calls (fewer than above: an AI SDK`,
      'stream takes milliseconds).',
      ...youngLines(aiSdk),
      'Every AI SDK call under costlens produced one span, a child of the',
      `caller's span, with the response model, ${usage('nonStreaming')} (streaming: ${usage('streaming')}).`,
      'The machine is shared by other work, and these passes ran at another time than the tables above:',
      'compare the rows of this table with each other, by their medians, not single passes.',
      '',
      '| | bare µs (median) | under costlens µs | added µs (range over passes) | added main-thread CPU µs |',
      '| --- | ---: | ---: | ---: | ---: |',
      row(`AI SDK \`generateText\``, 'ai-sdk', 'costlens-ai-sdk', 'nonStreaming'),
      row(
        `openai ${v.openai7} \`chat.completions.create\``,
        'none@7',
        'costlens@7',
        'nonStreaming',
      ),
      row('AI SDK `streamText`, streamed', 'ai-sdk', 'costlens-ai-sdk', 'streaming'),
      row(`openai ${v.openai7}, streamed`, 'none@7', 'costlens@7', 'streaming'),
      '',
    );
  }
  return parts;
}
