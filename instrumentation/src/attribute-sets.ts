import { CALL_TYPE_OF_OPERATION } from '@costlens/pricing';
import type { Attributes } from '@opentelemetry/api';
import type { SeriesHistograms } from './own-histogram.js';
import * as S from './semconv.js';

/**
 * The distinct low-cardinality attribute sets of an app's calls, each built once
 * and reused by every call that has it: an app calls a handful of models through
 * a handful of clients, and building, copying and hashing the same attributes on
 * every call was a measured share of the instrumentation's cost. A set is frozen:
 * the span, the SDK's metric storage and our counters all hold the same object.
 */

/** What a call's metric attributes are made of, known when it starts (with its project). */
export interface BaseFacts {
  operation: string;
  provider: string;
  callType: string;
  model?: string | undefined;
  serverAddress?: string | undefined;
  serverPort?: number | undefined;
}

/**
 * Distinct sets kept, at most (the SDK's own default cardinality limit): past it
 * a call's metrics go to one overflow series, as the SDK's would.
 */
const LIMIT = 2000;
const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });

/**
 * One metric series: the attributes of the conventions' histograms (with the
 * token type for the token histogram), those of our counters (the same and the
 * call type), and the calls and cost counted for it, which the metrics report
 * at collection time rather than recording on every call.
 */
export class Series {
  calls = 0;
  /** Priced calls' cost in pUSD; unpriced calls add nothing (a false 0 is worse than none). */
  costPusd = 0;
  readonly input: Attributes;
  readonly output: Attributes;
  /** The counters' attributes: the call type too, which the histograms leave out (it follows from the operation). */
  readonly counted: Attributes;
  /** When the series was first seen (epoch ms): the start of its cumulative points. */
  readonly since = Date.now();
  /** Its histograms, when the instrumentation sums them itself (see metric-producer.ts). */
  histograms: SeriesHistograms | undefined;

  constructor(
    readonly attributes: Attributes,
    callType: string | undefined,
  ) {
    this.input = sorted({ ...attributes, [S.ATTR_GEN_AI_TOKEN_TYPE]: 'input' });
    this.output = sorted({ ...attributes, [S.ATTR_GEN_AI_TOKEN_TYPE]: 'output' });
    this.counted =
      callType === undefined
        ? attributes
        : sorted({ ...attributes, [S.ATTR_COSTLENS_CALL_TYPE]: callType });
  }
}

/**
 * Frozen, its keys in sorted order: the SDK sorts an attribute set's keys on
 * every recording, and a sorted list is its cheapest case (measured: about a
 * tenth of the SDK's hashing of a set, on each of three recordings a call).
 */
function sorted(a: Attributes): Attributes {
  const out: Attributes = {};
  for (const key of Object.keys(a).sort()) out[key] = a[key];
  return Object.freeze(out);
}

/** A call's attributes known at start: shared by its span and its metric series. */
export class BaseSet {
  /** The span's start attributes, for a call that is not streamed and one that is. */
  private readonly starts: (Attributes | undefined)[] = [undefined, undefined];
  /** Series by response model and error type (see seriesFor). */
  private readonly series = new Map<string, Series>();

  /** The span's name: the operation, and the model asked for. */
  readonly spanName: string;

  constructor(
    /** Operation, provider, call type, request model, server, project. */
    readonly attributes: Attributes,
    private readonly sets: AttributeSets,
    /** Kept by the registry: beyond its limit a set serves its span, and its calls count as overflow. */
    private readonly kept: boolean,
    private readonly facts: BaseFacts & { project: string | undefined },
  ) {
    const model = attributes[S.ATTR_GEN_AI_REQUEST_MODEL];
    const operation = String(attributes[S.ATTR_GEN_AI_OPERATION_NAME]);
    this.spanName = model ? `${operation} ${String(model)}` : operation;
  }

  /** Whether this is the set of these facts. */
  is(f: BaseFacts, project: string | undefined): boolean {
    const m = this.facts;
    return (
      m.operation === f.operation &&
      m.provider === f.provider &&
      m.callType === f.callType &&
      m.serverAddress === f.serverAddress &&
      m.serverPort === f.serverPort &&
      m.project === project
    );
  }

  /**
   * What the span starts with, before the per-call attributes (user, account,
   * prompt). `gen_ai.request.stream` is set only on a stream: absent is not
   * streamed, and every attribute is paid for on every call.
   */
  start(stream: boolean | undefined): Attributes {
    const i = stream === true ? 1 : 0;
    let a = this.starts[i];
    if (a === undefined) {
      const own: Attributes = { ...this.attributes };
      if (stream === true) own[S.ATTR_GEN_AI_REQUEST_STREAM] = true;
      a = Object.freeze(own);
      this.starts[i] = a;
    }
    return a;
  }

  /** The series of a call of this set that ended with this response model and error type. */
  seriesFor(responseModel: string | undefined, errorType: string | undefined): Series {
    // The common case (an answer, no error) is keyed by the model alone, and never
    // collides with the others: only they have a NUL.
    const key =
      errorType === undefined ? (responseModel ?? '') : `${responseModel ?? ''}\0${errorType}`;
    let s = this.series.get(key);
    if (s === undefined) {
      if (!this.kept || !this.sets.hasRoom()) return this.sets.overflow();
      const a: Attributes = { ...this.attributes };
      // Each attribute of a histogram's set is hashed on every recording: the
      // call type, which follows from the operation, is left to the counters.
      delete a[S.ATTR_COSTLENS_CALL_TYPE];
      if (responseModel) a[S.ATTR_GEN_AI_RESPONSE_MODEL] = responseModel;
      if (errorType !== undefined) a[S.ATTR_ERROR_TYPE] = errorType;
      s = new Series(sorted(a), this.facts.callType);
      this.series.set(key, s);
      this.sets.add(s);
    }
    return s;
  }
}

/** The facts a set was made of, kept apart from the caller's object (which may change). */
function facts(f: BaseFacts, project: string | undefined): BaseSet['facts'] {
  return {
    operation: f.operation,
    provider: f.provider,
    callType: f.callType,
    model: f.model,
    serverAddress: f.serverAddress,
    serverPort: f.serverPort,
    project,
  };
}

/** The attribute sets of one instrumentation's calls, and every series, for the metrics to report. */
export class AttributeSets {
  /** Every series, in the order first seen. */
  readonly all: Series[] = [];
  /** Sets by request model. */
  private readonly bases = new Map<string, BaseSet[]>();
  private size = 0;
  private overflowSeries: Series | undefined;

  /** The set of these facts, built on first sight. */
  base(f: BaseFacts, project: string | undefined): BaseSet {
    // By model first, then the other facts compared: no key string built per call.
    const model = f.model ?? '';
    const same = this.bases.get(model);
    if (same !== undefined) {
      for (const set of same) if (set.is(f, project)) return set;
    }
    const a: Attributes = {
      [S.ATTR_GEN_AI_OPERATION_NAME]: f.operation,
      [S.ATTR_GEN_AI_PROVIDER_NAME]: f.provider,
    };
    // Every span attribute is paid for on every call: the call type only where the
    // operation does not say it (the collector reads it the same way).
    if (CALL_TYPE_OF_OPERATION[f.operation] !== f.callType)
      a[S.ATTR_COSTLENS_CALL_TYPE] = f.callType;
    if (f.model) a[S.ATTR_GEN_AI_REQUEST_MODEL] = f.model;
    if (f.serverAddress) a[S.ATTR_SERVER_ADDRESS] = f.serverAddress;
    if (f.serverPort) a[S.ATTR_SERVER_PORT] = f.serverPort;
    if (project) a[S.ATTR_COSTLENS_PROJECT] = project;
    const room = this.size < LIMIT;
    const set = new BaseSet(Object.freeze(a), this, room, facts(f, project));
    if (room) {
      if (same) same.push(set);
      else this.bases.set(model, [set]);
      this.size++;
    }
    return set;
  }

  hasRoom(): boolean {
    return this.all.length < LIMIT;
  }

  add(series: Series): void {
    this.all.push(series);
  }

  /** Where calls' counts go once the limit is reached. */
  overflow(): Series {
    if (this.overflowSeries === undefined) {
      this.overflowSeries = new Series(OVERFLOW_ATTRIBUTES, undefined);
      this.all.push(this.overflowSeries);
    }
    return this.overflowSeries;
  }
}
