/**
 * The `TraceSink` service: where a running role reports what it does (every send, receive,
 * choice and repeat decision), for model-based testing with `Trace.validate` and for
 * diagrams. Without a `TraceSink` in context nothing is recorded and nothing is paid.
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer } from "effect"

/**
 * One thing a role did, as its channel saw it, or one thing the network did to a frame.
 *
 * Role events (what `Trace.validate` checks against the protocol):
 * - `Send`: `role` sent `label` to `peer` (at `site`, on `lane`, with per-pair sequence `seq`).
 * - `Receive`: `role` accepted `label` from `peer` (the envelope's site, lane and seq).
 * - `Choice`: `role` (the chooser) took `branch` of the choice named `label` at `site`.
 * - `Round`: `role` decided `branch` ("again" or "done") of the `repeat` named `label` at `site`.
 *
 * Network events (recorded by the chaos and reliable-delivery layers; `role` is the frame's
 * sender, `peer` its receiver, and the frame's label, site, lane and seq are given):
 * - `Drop`: the frame was lost; `reason` says why: "chaos" (the drop rate), "partition",
 *   "transport" (the wrapped transport failed to send a delayed frame), "closed" (it came for
 *   a role that had ended), "unread" (it was still waiting when its role ended), "window" (it
 *   came too far ahead of the frames the reliable layer still waits for).
 * - `Failed`: `role` failed (or was interrupted) and sent `peer` a failure notice; `reason`
 *   is the tag of its error ("interrupted", "defect" for those).
 * - `PeerFailed`: `role` learned from a notice that `peer` had failed, while waiting at `site`.
 * - `Reject`: a frame from outside did not decode as an `Envelope`; `reason` says why (in
 *   bounded words), and the names it carried are quoted as far as they are strings ("?" else).
 * - `Refused`: (TCP) a connection was refused before any frame passed: `role` refused (or was
 *   refused by) `peer`, the role the other end claimed; `reason` says which way and why.
 * - `Duplicate`: the frame was delivered twice.
 * - `Retransmit`: the reliable layer sent the frame again, not having had its acknowledgement.
 *
 * `time` is a logical clock: the position of the event in the sink, from 0. `at` is the time
 * of Effect's `Clock` in milliseconds, when the sink was given one (the simulator's virtual
 * clock in `simulate`).
 *
 * @category models
 */
export interface TraceEvent {
  readonly _tag: "Send" | "Receive" | "Choice" | "Round" | "Drop" | "Duplicate" | "Retransmit" | "Reject" | "Refused" | "Failed" | "PeerFailed"
  readonly session: string
  readonly role: string
  readonly peer?: string | undefined
  readonly label?: string | undefined
  readonly branch?: string | undefined
  /** The site id; for a sender that cannot tell several identical sites apart, the candidates joined by `|`. */
  readonly site: string
  /** Absent on a role's main line; else the lane of one branch of one run of a `parallel`. */
  readonly lane?: string | undefined
  readonly seq?: number | undefined
  /** Why a frame was dropped or rejected (see the event tags above). */
  readonly reason?: string | undefined
  readonly time: number
  /** The clock's time in milliseconds, when the recorder was given a clock. */
  readonly at?: number | undefined
}

/**
 * The tags of the events a role records itself (the others are the network's).
 *
 * @category models
 */
export const roleEventTags: ReadonlySet<TraceEvent["_tag"]> = new Set(["Send", "Receive", "Choice", "Round"])

/**
 * What a channel hands to the sink: an event without its time (the sink stamps it).
 *
 * @category models
 */
export type TraceEventInput = Omit<TraceEvent, "time" | "at">

/**
 * A sink of trace events. `record` is called synchronously from the channel, in the fiber of
 * the role, at the moment the step happens: it must not block or throw.
 *
 * @category models
 */
export interface TraceSinkService {
  readonly record: (event: TraceEventInput) => void
}

/**
 * @category services
 */
export class TraceSink extends Context.Tag("quadrille/TraceSink")<TraceSink, TraceSinkService>() {}

/**
 * An in-memory recorder: keeps every event in the order recorded, stamped with a logical
 * time (a counter from 0).
 *
 * @category models
 */
export interface Recorder extends TraceSinkService {
  /** The events recorded so far, oldest first (a snapshot). */
  readonly events: () => ReadonlyArray<TraceEvent>
  /** Forgets every event and restarts the clock at 0. */
  readonly clear: () => void
}

/**
 * A new in-memory recorder (synchronous). With `now`, every event is also stamped with
 * `at: now()` (milliseconds).
 *
 * @category constructors
 */
export const unsafeMakeRecorder = (now?: () => number): Recorder => {
  let log: Array<TraceEvent> = []
  return {
    record: now === undefined
      ? (event) => {
        log.push({ ...event, time: log.length })
      }
      : (event) => {
        log.push({ ...event, time: log.length, at: now() })
      },
    events: () => log.slice(),
    clear: () => {
      log = []
    }
  }
}

/**
 * A new in-memory recorder.
 *
 * @category constructors
 */
export const makeRecorder: Effect.Effect<Recorder> = Effect.sync(unsafeMakeRecorder)

/**
 * Provides `recorder` as the `TraceSink`.
 *
 * @category layers
 */
export const layer = (sink: TraceSinkService): Layer.Layer<TraceSink> => Layer.succeed(TraceSink, sink)

/**
 * Runs `effect` with a fresh in-memory recorder as its `TraceSink`; returns its result and
 * the events recorded.
 *
 * @example
 * ```ts
 * const [results, events] = yield* TraceSink.recording(Session.run(TwoPhaseCommit, roles))
 * ```
 *
 * @category running
 */
export const recording = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<readonly [A, ReadonlyArray<TraceEvent>], E, Exclude<R, TraceSink>> =>
  Effect.suspend(() => {
    const recorder = unsafeMakeRecorder()
    return Effect.map(Effect.provideService(effect, TraceSink, recorder), (a) => [a, recorder.events()] as const)
  })
