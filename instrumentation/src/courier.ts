/**
 * Sends what one OTLP/HTTP exporter serialised, without ever being what keeps an
 * app alive. The exporter hands a batch over and is answered at once; the courier
 * then posts it to the collector, retrying as the OTLP exporters do (1 s backoff,
 * x1.5, 20% jitter, at most 5 s and 5 retries, Retry-After honoured) until the
 * exporter's timeout (OTEL_EXPORTER_OTLP_TIMEOUT, 10 s) runs out. Its sockets and
 * timers are unref'd and a connection attempt gives up after 1 s, so an app whose
 * work is done ends although a batch is still on its way (register then gives what
 * is left one shared deadline, `cutOff`, and drops the rest, `abandon`), and what
 * was not delivered is counted, with the reason, for the line register says at exit.
 */

import { lookup as dnsLookup } from 'node:dns';
import { type Agent, type ClientRequest, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { diag } from '@opentelemetry/api';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

/** What an OTLP exporter's transport answers (otlp-exporter-base's ExportResponse). */
export type ExportResponse =
  | { status: 'success'; data?: Uint8Array }
  | { status: 'failure'; error: Error };

/** What the OTLP/HTTP exporters give their transport (otlp-exporter-base's HttpRequestParameters). */
export interface HttpParameters {
  url: string;
  headers: () => Promise<Record<string, string>>;
  compression?: string;
  agentFactory: (protocol: string) => Promise<Agent>;
  userAgent?: string;
  concurrencyLimit?: number;
}

/** Why a batch was not delivered: said in the line at exit. */
export interface Failure {
  /** `connect ECONNREFUSED`, `no answer`, `HTTP 400`, ... */
  reason: string;
  /** The collector could not be reached at all (rather than refusing the data). */
  unreachable: boolean;
  retryable: boolean;
  /** The wait the collector asked for (Retry-After). */
  retryInMs?: number;
}

/** What one courier could not deliver since the app started. */
export interface Undelivered {
  url: string;
  /** Items (spans, metric points) in the batches not delivered whose size was known. */
  items: number;
  batches: number;
  /** Batches not delivered whose size was not known. */
  uncounted: number;
  last?: Failure;
}

const INITIAL_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 5_000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;
const MAX_RETRIES = 5;
/** A collector that takes longer than this to accept a connection is down, for now. */
export const CONNECT_TIMEOUT_MS = 1_000;
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

const NO_ANSWER: Failure = { reason: 'no answer', unreachable: true, retryable: true };
const NO_CONNECTION: Failure = { reason: 'connect timed out', unreachable: true, retryable: true };

const gzipped = promisify(gzip);

/** DNS lookups under way: the one thing of a courier's that cannot be unref'd or cut short. */
let lookups = 0;
export const lookupsUnderWay = (): number => lookups;
const lookup: LookupFunction = (hostname, options, callback) => {
  lookups++;
  dnsLookup(hostname, options, (...args: Parameters<typeof callback>) => {
    lookups--;
    callback(...args);
  });
};

interface Job {
  data: Uint8Array;
  items: number | undefined;
  /** When the exporter's timeout runs out. */
  end: number;
  /** Counted (delivered or not): nothing more is done with it. */
  settled: boolean;
  /** Why it has not gone yet: the last attempt's failure. */
  last?: Failure;
  /** What the attempt under way waits for: a connection, or an answer. */
  awaiting?: Failure;
  /** Ends what it is waiting for now (an attempt, a backoff). */
  interrupt?: () => void;
}

export class Courier {
  readonly url: string;
  /** Told, when the collector answers, what it answered (partial success). */
  onAnswer: ((data: Uint8Array) => void) | undefined;
  private readonly params: HttpParameters;
  private readonly noun: string;
  private readonly jobs = new Set<Job>();
  private readonly idlers: (() => void)[] = [];
  private readonly lost: Undelivered;
  private agent: Promise<Agent> | undefined;
  private deadline = Number.POSITIVE_INFINITY;

  /** `noun`: what the items are, for the lines it logs ("spans", "metric points"). */
  constructor(params: HttpParameters, noun: string) {
    this.params = params;
    this.url = params.url;
    this.noun = noun;
    this.lost = { url: params.url, items: 0, batches: 0, uncounted: 0 };
  }

  /**
   * The exporter transport's `send`: takes the batch (of `items` items, when known)
   * and answers at once, so the exporter's own timers never wait on the network.
   */
  send(data: Uint8Array, timeoutMs: number, items?: number): Promise<ExportResponse> {
    const limit = this.params.concurrencyLimit ?? 30;
    const job: Job = { data, items, end: Date.now() + timeoutMs, settled: false };
    if (this.jobs.size >= limit) {
      this.lose(job, { reason: 'too many exports waiting', unreachable: false, retryable: false });
      return Promise.resolve({
        status: 'failure',
        error: new Error('costlens: too many exports waiting'),
      });
    }
    this.jobs.add(job);
    void this.deliver(job);
    return Promise.resolve({ status: 'success' });
  }

  /** Resolves once every batch taken has been delivered or given up. */
  idle(): Promise<void> {
    if (this.jobs.size === 0) return Promise.resolve();
    return new Promise((done) => this.idlers.push(done));
  }

  /** From now on nothing is tried past `deadline` (a retry that would be later is not made). */
  cutOff(deadline: number): void {
    this.deadline = Math.min(this.deadline, deadline);
  }

  /** Gives up every batch not yet delivered, now: counted as not delivered. */
  abandon(): void {
    this.cutOff(Date.now());
    for (const job of [...this.jobs]) {
      const failure = job.awaiting ?? job.last ?? NO_ANSWER;
      job.interrupt?.();
      this.lose(job, failure);
    }
  }

  /** What was not delivered since the app started. */
  undelivered(): Undelivered {
    return { ...this.lost };
  }

  private async deliver(job: Job): Promise<void> {
    let backoff = INITIAL_BACKOFF_MS;
    for (let retries = 0; !job.settled; retries++) {
      if (this.left(job) <= 0) break;
      const outcome = await this.attempt(job);
      if (job.settled) return;
      if (outcome === undefined) {
        this.settle(job);
        return;
      }
      job.last = outcome;
      if (!outcome.retryable || retries === MAX_RETRIES) break;
      const jittered = backoff * (1 + (Math.random() * 2 - 1) * JITTER);
      const wait = outcome.retryInMs ?? Math.min(jittered, MAX_BACKOFF_MS);
      backoff *= BACKOFF_MULTIPLIER;
      // As the OTLP exporters do: a retry that could not be made in time is not waited for.
      if (wait >= this.left(job)) break;
      await this.pause(job, wait);
    }
    if (job.settled) return;
    const failure = job.last ?? NO_ANSWER;
    if (this.deadline === Number.POSITIVE_INFINITY) {
      // While the app runs; what is lost at exit is said once, by register.
      const what =
        job.items === undefined ? `a batch of ${this.noun}` : count(job.items, this.noun);
      diag.error(`costlens: ${what} not delivered to ${this.url} (${failure.reason})`);
    }
    this.lose(job, failure);
  }

  /** How long the job may still take: until the exporter's timeout or the deadline. */
  private left(job: Job): number {
    return Math.min(job.end, this.deadline) - Date.now();
  }

  /** Waits `ms` (unref'd), unless the job is interrupted. */
  private pause(job: Job, ms: number): Promise<void> {
    return new Promise((done) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      job.interrupt = () => {
        clearTimeout(timer);
        done();
      };
    });
  }

  /** One POST: undefined when the collector took it, else why not. */
  private async attempt(job: Job): Promise<Failure | undefined> {
    const url = new URL(this.params.url);
    let headers: Record<string, string>;
    let body: Uint8Array;
    let agent: Agent;
    try {
      headers = { ...(await this.params.headers()) };
      const ua = `${PACKAGE_NAME}/${PACKAGE_VERSION}`;
      headers['User-Agent'] = this.params.userAgent ? `${this.params.userAgent} ${ua}` : ua;
      body = job.data;
      if (this.params.compression === 'gzip') {
        body = await gzipped(job.data);
        headers['Content-Encoding'] = 'gzip';
      }
      headers['Content-Length'] = String(body.byteLength);
      this.agent ??= this.params.agentFactory(url.protocol);
      agent = await this.agent;
    } catch (err) {
      return { reason: (err as Error).message, unreachable: false, retryable: false };
    }
    const gate = gateOf(url);
    await gate.passable();
    if (job.settled) return undefined;
    const shut = gate.shut();
    if (shut) return shut;
    const timeoutMs = this.left(job);
    if (timeoutMs <= 0) return job.last ?? NO_ANSWER;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      let req: ClientRequest | undefined;
      const timers: NodeJS.Timeout[] = [];
      const finish = (failure: Failure | undefined) => {
        for (const timer of timers) clearTimeout(timer);
        job.interrupt = undefined;
        job.awaiting = undefined;
        resolve(failure);
      };
      const fail = (failure: Failure) => {
        finish(failure);
        req?.destroy();
      };
      job.interrupt = () => fail(job.awaiting ?? NO_ANSWER);
      job.awaiting = NO_ANSWER;
      const later = (ms: number, failure: Failure) => {
        const timer = setTimeout(() => fail(failure), ms);
        timer.unref();
        timers.push(timer);
        return timer;
      };
      later(timeoutMs, NO_ANSWER);
      try {
        req = send(url, { method: 'POST', headers, agent, lookup });
      } catch (err) {
        finish({ reason: (err as Error).message, unreachable: false, retryable: false });
        return;
      }
      req.on('socket', (socket) => {
        // A batch on its way is no reason for the app to stay.
        socket.unref();
        if (socket.connecting) {
          // A connection under way holds the event loop, unref'd or not: keep it short,
          // and one at a time (see Gate).
          const opened = gate.opening();
          const connecting = later(CONNECT_TIMEOUT_MS, NO_CONNECTION);
          job.awaiting = NO_CONNECTION;
          socket.once('connect', () => {
            clearTimeout(connecting);
            if (job.awaiting === NO_CONNECTION) job.awaiting = NO_ANSWER;
            opened(true);
          });
          socket.once('close', () => opened(false));
        }
      });
      req.on('error', (err: NodeJS.ErrnoException) => finish(networkFailure(err)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            fail({ reason: 'answer too large', unreachable: false, retryable: false });
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err: NodeJS.ErrnoException) => finish(networkFailure(err)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            finish(undefined);
            if (size > 0) this.onAnswer?.(Buffer.concat(chunks));
            return;
          }
          finish({
            reason: `HTTP ${status}`,
            unreachable: false,
            retryable: RETRYABLE_STATUS.has(status),
            retryInMs: retryAfterMs(res.headers['retry-after']),
          });
        });
      });
      req.end(body);
    });
  }

  private settle(job: Job): void {
    job.settled = true;
    job.interrupt = undefined;
    this.jobs.delete(job);
    if (this.jobs.size === 0) for (const done of this.idlers.splice(0)) done();
  }

  private lose(job: Job, failure: Failure): void {
    if (job.settled) return;
    if (job.items === undefined) this.lost.uncounted++;
    else this.lost.items += job.items;
    this.lost.batches++;
    this.lost.last = failure;
    this.settle(job);
  }
}

/**
 * One collector (protocol, host and port), as the couriers of every signal reach
 * it. A connection being made holds the event loop, and an app could never be
 * seen to end if connections to a collector that does not answer (a host that
 * drops them) followed one another: while one is being made no other is started,
 * and after one that did not connect in time, none is for CONNECT_TIMEOUT_MS.
 */
class Gate {
  private connecting: Promise<void> | undefined;
  private closedUntil = 0;

  /** Resolves once no connection to the collector is being made. */
  async passable(): Promise<void> {
    while (this.connecting) await this.connecting;
  }

  /** Why not to try now: a connection timed out a moment ago. */
  shut(): Failure | undefined {
    return Date.now() < this.closedUntil ? NO_CONNECTION : undefined;
  }

  /** A connection is being made; call the function returned once it is made, or failed. */
  opening(): (connected: boolean) => void {
    let open: () => void = () => {};
    const started = Date.now();
    this.connecting = new Promise((done) => {
      open = done;
    });
    const mine = this.connecting;
    let ended = false;
    return (connected) => {
      if (ended) return;
      ended = true;
      if (!connected && Date.now() - started >= CONNECT_TIMEOUT_MS) {
        this.closedUntil = Date.now() + CONNECT_TIMEOUT_MS;
      }
      if (this.connecting === mine) this.connecting = undefined;
      open();
    };
  }
}

const gates = new Map<string, Gate>();
function gateOf(url: URL): Gate {
  const key = `${url.protocol}//${url.host}`;
  const gate = gates.get(key) ?? new Gate();
  gates.set(key, gate);
  return gate;
}

/** `1 span`, `3 spans`, `2 metric points`. */
export function count(n: number, plural: string): string {
  return `${n} ${n === 1 ? plural.replace(/s$/, '') : plural}`;
}

/** `connect ECONNREFUSED`, `getaddrinfo ENOTFOUND`; retryable as the OTLP exporters say. */
function networkFailure(err: NodeJS.ErrnoException): Failure {
  if (!err.code) return { reason: err.message, unreachable: false, retryable: false };
  const retryable = RETRYABLE_CODES.has(err.code);
  return {
    reason: err.syscall ? `${err.syscall} ${err.code}` : err.code,
    // A refused, reset or unanswered connection; not a certificate it would not accept.
    unreachable: retryable,
    retryable,
  };
}

/** Retry-After in seconds or as a date; undefined when absent or unreadable. */
function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const seconds = Number.parseInt(header, 10);
  if (Number.isInteger(seconds)) return Math.max(seconds, 0) * 1_000;
  const at = new Date(header).getTime();
  return Number.isNaN(at) ? undefined : Math.max(at - Date.now(), 0);
}
