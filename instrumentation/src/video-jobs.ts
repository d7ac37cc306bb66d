import type { SpanContext } from '@opentelemetry/api';
import type { Call, CallRequest, CallTracker } from './call.js';
import { ATTR_COSTLENS_VIDEO_REQUESTED_SECONDS, ATTR_COSTLENS_VIDEO_STATE } from './semconv.js';
import type { CallOutcome } from './types.js';
import { safely } from './wrap.js';

/**
 * How a video job ended, as its record says (`costlens.video.state`):
 * `succeeded` (billed for the seconds delivered), `failed` or `cancelled`
 * ($0, with the error), or `submitted` (its end was not seen: unpriced).
 */
export type VideoState = 'submitted' | 'succeeded' | 'failed' | 'cancelled';

/** A job the provider ran and did not finish: its record's error (`error.type` VideoJobError). */
export class VideoJobError extends Error {
  constructor(
    message: string,
    readonly code: string | number | undefined,
  ) {
    super(message);
    this.name = 'VideoJobError';
  }
}

/** What a poll found: the job's end. */
export type JobEnd =
  | {
      state: 'succeeded';
      outcome?: CallOutcome;
      /** Videos delivered: billed at the seconds each was asked for (Veo reports no length). */
      videos?: number;
    }
  | { state: 'failed' | 'cancelled'; error: VideoJobError };

interface Pending {
  call: Call;
  timer: ReturnType<typeof setTimeout>;
  /** Seconds of one video as asked for, when the job's answer will not say (Veo). */
  secondsEach: number | undefined;
}

interface GivenUp {
  request: CallRequest;
  span: SpanContext;
  secondsEach: number | undefined;
}

/** Jobs recorded as submitted kept for a late poll: enough for any app's jobs in flight. */
const GIVEN_UP_KEPT = 1000;

const NOT_SEEN =
  'the video job was submitted but costlens did not see it end: the app did not poll it (operations.getVideosOperation, videos.retrieve) within COSTLENS_VIDEO_WAIT_MS';
const EXITED = 'the video job was submitted but the process ended before costlens saw it end';

/**
 * Video generation runs as a job: submitted, then polled by the app until it
 * ends. A job's call is one record, kept open from the submission until a poll
 * of the app's shows its end: billed for what was delivered, or failed at $0
 * with the error. A job whose end is not seen within `waitMs`, or before the
 * process ends, is recorded as `submitted` and left unpriced: what it cost is
 * not known, and is not guessed. A poll that comes after that adds a second
 * record for the end, linked to the first: the one with the cost.
 */
export class VideoJobs {
  private readonly pending = new Map<string, Pending>();
  private readonly givenUp = new Map<string, GivenUp>();
  private readonly onExit = () => {
    for (const id of [...this.pending.keys()]) this.giveUp(id, EXITED);
  };

  constructor(
    private readonly tracker: CallTracker,
    private readonly waitMs: number,
  ) {}

  /** Follows the job `id` that `call` submitted, until a poll sees it end. */
  follow(id: string, call: Call, secondsEach?: number): void {
    if (this.pending.has(id)) this.giveUp(id, NOT_SEEN);
    const timer = setTimeout(() => this.giveUp(id, NOT_SEEN), this.waitMs);
    timer.unref?.();
    this.pending.set(id, { call, timer, secondsEach });
    // Before the exporter's own flush (register's beforeExit), so that the record is sent.
    if (this.pending.size === 1) process.prependOnceListener('beforeExit', this.onExit);
  }

  /** A poll saw job `id` end; a job costlens does not follow is left alone. */
  ended(id: string, end: JobEnd): void {
    const p = this.pending.get(id);
    if (p) {
      this.release(id, p);
      finish(p.call, end, p.secondsEach);
      return;
    }
    const given = this.givenUp.get(id);
    if (!given) return;
    this.givenUp.delete(id);
    const call = this.tracker.start({ ...given.request, links: [{ context: given.span }] });
    call.update({ responseId: id });
    finish(call, end, given.secondsEach);
  }

  /** Jobs being followed. */
  get size(): number {
    return this.pending.size;
  }

  private release(id: string, p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(id);
    if (this.pending.size === 0) process.removeListener('beforeExit', this.onExit);
  }

  private giveUp(id: string, reason: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.release(id, p);
    const { call } = p;
    safely('recording a video job as submitted', () => {
      const given = call.description();
      // The record of the submission: what was asked for, not billed as delivered.
      const requested = call.usageSoFar().video_seconds;
      call.update({ usage: { video_seconds: undefined } });
      if (requested !== undefined) call.set(ATTR_COSTLENS_VIDEO_REQUESTED_SECONDS, requested);
      call.set(ATTR_COSTLENS_VIDEO_STATE, 'submitted');
      call.unpriced(reason);
      this.givenUp.set(id, {
        request: given,
        span: call.span.spanContext(),
        secondsEach: p.secondsEach,
      });
      if (this.givenUp.size > GIVEN_UP_KEPT) {
        this.givenUp.delete(this.givenUp.keys().next().value as string);
      }
    });
    call.end();
  }
}

/** Ends a job's call as the poll found it. */
function finish(call: Call, end: JobEnd, secondsEach: number | undefined): void {
  safely('recording a video job', () => {
    call.set(ATTR_COSTLENS_VIDEO_STATE, end.state);
    if (end.state !== 'succeeded') {
      // Nothing was delivered, so nothing was billed.
      call.update({ usage: { video_seconds: 0 } });
      return;
    }
    call.update(end.outcome);
    if (end.videos !== undefined && secondsEach !== undefined) {
      call.update({ usage: { video_seconds: end.videos * secondsEach } });
    }
  });
  if (end.state === 'succeeded') call.end();
  else call.fail(end.error);
}
