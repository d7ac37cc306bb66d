import { context, diag, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Call } from './call.js';
import { ATTR_COSTLENS_STREAM_STATE } from './semconv.js';
import type { CallOutcome } from './types.js';

/**
 * Why a stream's call was ended by us rather than by its reader: the app let go
 * of every object that could still read it (`released`), or it did not ask for a
 * chunk for the configured idle time (`idle`).
 */
export type AbandonedState = 'released' | 'idle';

/** One stream being watched; kept small: it is touched on every chunk. */
export interface StreamWatch {
  readonly call: Call;
  /** What the chunks said so far; read once if the stream is abandoned. */
  read: (() => CallOutcome | undefined) | undefined;
  /** A chunk was handed out, or a read was asked for, since the last sweep. */
  seen: boolean;
  /** The app is waiting for the next chunk: a slow server is not an idle reader. */
  reading: boolean;
  /** Sweeps in a row that found it unseen. */
  idleSweeps: number;
  /** Objects (APIPromise, SDK stream, iterator) that can still read it and are not yet collected. */
  holders: number;
  /** Holders not yet handed to the registry (see REGISTER_AFTER_MS): held here until then. */
  fresh: object | undefined;
  /** More of them, in the rare case of a second holder within that time. */
  moreFresh: object[] | undefined;
  /** Whether the registry has any of its holders (and it must be unregistered). */
  registered: boolean;
  /** Its neighbours in the list of open streams (see OpenStreams). */
  newer: StreamWatch | undefined;
  older: StreamWatch | undefined;
}

/**
 * Starts a timer in the root context: a timer keeps the context it was started
 * in, and the one a call starts would keep that call's context (and its span)
 * for as long as the timer runs.
 */
const outsideCalls = <T>(start: () => T): T => context.with(ROOT_CONTEXT, start);

/** Sweeps per idle time: an idle stream ends between 1 and 1.25 idle times after its last read. */
const SWEEPS = 4;

/**
 * How long a new holder is held here before the registry watches it. Most streams
 * end sooner and never reach the registry, whose cells slow every young-generation
 * collection while they exist (measured on the streamed bench call: about 4 µs of
 * collection a call when each stream was registered at once). A stream let go of is
 * seen released up to this much later.
 */
export const REGISTER_AFTER_MS = 100;

/**
 * The streams whose end is not yet known. A stream ends when its reader is done,
 * breaks off or fails (wrap.ts); this catches the rest, so that no span stays
 * open and nothing is held for a stream the app forgot: when every holder has
 * been garbage-collected (a FinalizationRegistry, which holds only the watch,
 * never the stream), or after `idleMs` without a read. A holder is handed to the
 * registry only once it has lived REGISTER_AFTER_MS. Two timers, both unref'd so
 * that they never keep the process alive: the sweep, which runs while streams are
 * open, and the one that registers the holders still open after that time.
 */
export class OpenStreams {
  /**
   * The open streams, newest first, linked through the watches: adding and
   * removing one allocates nothing and hashes nothing (a Set did both on every
   * stream: about 70 ns, and a new table each time it emptied).
   */
  private newest: StreamWatch | undefined;
  private count = 0;
  private readonly registry = new FinalizationRegistry<StreamWatch>((w) => {
    if (--w.holders === 0) this.abandon(w, 'released');
  });
  private readonly sweepMs: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Set while some holder waits to be registered. */
  private registerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly idleMs: number) {
    this.sweepMs = Math.max(1, Math.ceil(idleMs / SWEEPS));
  }

  /** Streams being watched: none once every stream has ended, however it ended. */
  get size(): number {
    return this.count;
  }

  /** Watches `call` as long as `holder` (or any other holder added later) can read it. */
  watch(call: Call, holder: object, existing: StreamWatch | undefined): StreamWatch {
    const w: StreamWatch = existing ?? {
      call,
      read: undefined,
      seen: true,
      reading: false,
      idleSweeps: 0,
      holders: 0,
      fresh: undefined,
      moreFresh: undefined,
      registered: false,
      newer: undefined,
      older: undefined,
    };
    w.holders++;
    if (w.fresh === undefined) w.fresh = holder;
    else if (w.moreFresh) w.moreFresh.push(holder);
    else w.moreFresh = [holder];
    if (!this.isListed(w)) {
      this.list(w);
      this.timer ??= this.startSweeping();
    }
    this.registerTimer ??= this.startRegistering();
    return w;
  }

  /** The call ended by itself: nothing more to watch. */
  forget(w: StreamWatch): void {
    if (w.registered) this.registry.unregister(w);
    w.fresh = undefined;
    w.moreFresh = undefined;
    this.unlist(w);
  }

  private list(w: StreamWatch): void {
    const newest = this.newest;
    w.older = newest;
    if (newest) newest.newer = w;
    this.newest = w;
    this.count++;
  }

  /** Newest first: every listed watch but the newest has a newer one. */
  private isListed(w: StreamWatch): boolean {
    return w.newer !== undefined || this.newest === w;
  }

  /** Takes it off the list, once: a call may be forgotten twice (abandoned, then ended). */
  private unlist(w: StreamWatch): void {
    if (!this.isListed(w)) return;
    const { newer, older } = w;
    if (newer) newer.older = older;
    else this.newest = older;
    if (older) older.newer = newer;
    w.newer = undefined;
    w.older = undefined;
    this.count--;
  }

  private startRegistering(): ReturnType<typeof setTimeout> {
    const timer = outsideCalls(() => setTimeout(() => this.registerFresh(), REGISTER_AFTER_MS));
    timer.unref?.();
    return timer;
  }

  /**
   * Hands the registry every holder still held here. One that came just before
   * may be registered sooner than REGISTER_AFTER_MS: only the common case, a
   * stream read to its end at once, must stay out of the registry.
   */
  private registerFresh(): void {
    this.registerTimer = undefined;
    for (let w = this.newest; w; w = w.older) {
      if (w.fresh === undefined) continue;
      this.registry.register(w.fresh, w, w);
      if (w.moreFresh) for (const h of w.moreFresh) this.registry.register(h, w, w);
      w.fresh = undefined;
      w.moreFresh = undefined;
      w.registered = true;
    }
  }

  private startSweeping(): ReturnType<typeof setInterval> {
    const timer = outsideCalls(() => setInterval(() => this.sweep(), this.sweepMs));
    timer.unref?.();
    return timer;
  }

  private sweep(): void {
    // The timer stops at the first sweep with nothing open, not when the last
    // stream ends: streams that follow each other do not start a timer each.
    if (this.count === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    for (let w = this.newest, older: StreamWatch | undefined; w; w = older) {
      // Read first: abandoning takes the watch off the list.
      older = w.older;
      if (w.seen || w.reading) {
        w.seen = false;
        w.idleSweeps = 0;
      } else if (++w.idleSweeps >= SWEEPS) {
        this.abandon(w, 'idle');
      }
    }
  }

  private abandon(w: StreamWatch, state: AbandonedState): void {
    this.forget(w);
    const { call } = w;
    if (call.ended) return;
    try {
      call.update(w.read?.());
      call.set(ATTR_COSTLENS_STREAM_STATE, state);
    } catch (err) {
      diag.error('costlens: could not read an abandoned stream', err);
    }
    call.end();
  }
}
