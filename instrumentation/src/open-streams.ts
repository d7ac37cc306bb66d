import { diag } from '@opentelemetry/api';
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
}

/** Sweeps per idle time: an idle stream ends between 1 and 1.25 idle times after its last read. */
const SWEEPS = 4;

/**
 * The streams whose end is not yet known. A stream ends when its reader is done,
 * breaks off or fails (wrap.ts); this catches the rest, so that no span stays
 * open and nothing is held for a stream the app forgot: when every holder has
 * been garbage-collected (a FinalizationRegistry, which holds only the watch,
 * never the stream), or after `idleMs` without a read. One sweep timer runs
 * while streams are open, unref'd so that it never keeps the process alive.
 */
export class OpenStreams {
  private readonly open = new Set<StreamWatch>();
  private readonly registry = new FinalizationRegistry<StreamWatch>((w) => {
    if (--w.holders === 0) this.abandon(w, 'released');
  });
  private readonly sweepMs: number;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(readonly idleMs: number) {
    this.sweepMs = Math.max(1, Math.ceil(idleMs / SWEEPS));
  }

  /** Streams being watched: none once every stream has ended, however it ended. */
  get size(): number {
    return this.open.size;
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
    };
    w.holders++;
    this.registry.register(holder, w, w);
    if (!existing) {
      this.open.add(w);
      this.timer ??= this.startSweeping();
    }
    return w;
  }

  /** The call ended by itself: nothing more to watch. */
  forget(w: StreamWatch): void {
    this.registry.unregister(w);
    this.open.delete(w);
  }

  private startSweeping(): ReturnType<typeof setInterval> {
    const timer = setInterval(() => this.sweep(), this.sweepMs);
    timer.unref?.();
    return timer;
  }

  private sweep(): void {
    // The timer stops at the first sweep with nothing open, not when the last
    // stream ends: streams that follow each other do not start a timer each.
    if (this.open.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    for (const w of this.open) {
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
