/**
 * Running a `timeout` step, for generated roles and hand-written programs alike.
 *
 * - The role that decides (`at`) runs its part of the body against the Clock. In time, it
 *   tells the roles that have a part in the fallback "in time" (they wait for it once their
 *   body is done), and goes on. Out of time, its body is interrupted, it tells every other
 *   role of the timeout, and runs its part of the fallback.
 * - Every other role runs its part of the body while it listens, on the timeout's lane, for
 *   the verdict. Told "timeout" while still in the body, it leaves the body (interrupted
 *   where it is) and runs its part of the fallback. Done with the body, it goes on at once,
 *   unless it has a part in the fallback: then it waits for the verdict first.
 * - A frame of the body that comes after a role has left it stays on the body's own lane:
 *   never delivered into the fallback; the transport drops it when the role ends (recorded as
 *   a `Drop`). A verdict for a timeout the role has left is dropped and recorded ("late").
 *
 * @internal
 */
import { Cause, Effect, Exit, Fiber } from "effect"
import { ProtocolViolation } from "../effects/errors.js"
import type { TimeoutState } from "../protocol/automaton.js"
import type { Channel, Part, Verdict } from "./channel.js"

/** How a timeout ended for the role: the verdict, and the result of the part it finished with. */
export type TimeoutOutcome<A, B> =
  | { readonly label: "intime"; readonly result: A }
  | { readonly label: "timeout"; readonly result: B }

/**
 * Enters a timeout or a saga: its run, the role's part of the body (opened now), and how the
 * role takes the fallback (its `onTimeout`/`onCompensate` first, then its part, on a lane of its own).
 */
const enter = <B, E, R>(
  channel: Channel,
  state: TimeoutState,
  fallback: (part: Part) => Effect.Effect<B, E, R>,
  onFallback: Effect.Effect<void, E, R>
) => {
  const run = channel.enterTimeout(state)
  const bodyPart = channel.timeoutPart(state, "body", run)
  const takeFallback = Effect.suspend(() => {
    channel.leave(bodyPart)
    const part = channel.timeoutPart(state, "fallback", run)
    return Effect.map(Effect.zipRight(onFallback, fallback(part)), (result) => ({ label: "timeout" as const, result }))
  })
  return { run, bodyPart, takeFallback }
}

/**
 * Runs a `timeout` step, or a `saga` step (its `trigger` says which), for one role: see the
 * module's comment for the timeout, `runSaga` for the saga.
 */
export const runTimeout = <A, B, E, R>(
  channel: Channel,
  state: TimeoutState,
  /** Runs the role's part of the body (to its end). */
  body: (part: Part) => Effect.Effect<A, E, R>,
  /** Runs the role's part of the fallback (to its end). */
  fallback: (part: Part) => Effect.Effect<B, E, R>,
  /** What the role does when it takes the fallback, before it (its `onTimeout` handler). */
  onTimeout: Effect.Effect<void, E, R>
): Effect.Effect<TimeoutOutcome<A, B>, unknown, R> => {
  if (state.trigger === "failure") return runSaga(channel, state, body, fallback, onTimeout)
  const { bodyPart, run, takeFallback } = enter(channel, state, fallback, onTimeout)
  const inTime = (result: A): TimeoutOutcome<A, B> => ({ label: "intime", result })

  if (state.decides) {
    // A resumed role gives the verdict its journal has: in time, its body replays to its end;
    // out of time, its body replays what it did before the clock ran out, and no more.
    const replayed = channel.replayedVerdict(state, run)
    const clock = replayed === undefined ? Effect.sleep(state.duration) : replayed === "intime" ? Effect.never : channel.replayed(bodyPart)
    const raced = Effect.raceFirst(
      // A peer of the body that fails is as good as the clock running out: the fallback.
      Effect.catchIf(
        Effect.map(body(bodyPart), (result) => ({ done: true as const, result })),
        isPeerFailed,
        (e) => Effect.sync(() => (abandonUnavailable(channel, e), { done: false as const }))
      ),
      Effect.as(clock, { done: false as const })
    )
    return Effect.flatMap(raced, (r): Effect.Effect<TimeoutOutcome<A, B>, unknown, R> => {
      const verdict: Verdict = r.done ? "intime" : "timeout"
      channel.recordVerdict(state, run, verdict)
      channel.traceVerdict(state, verdict)
      const told = r.done ? state.waiting : state.others
      const tell = Effect.forEach(told, (to) => channel.sendVerdict(state, run, to, verdict), { discard: true })
      return r.done ? Effect.as(tell, inTime(r.result)) : Effect.zipRight(tell, takeFallback)
    })
  }

  const needsVerdict = state.fallback !== undefined
  const afterVerdict = (verdict: Verdict, result: A): Effect.Effect<TimeoutOutcome<A, B>, unknown, R> =>
    verdict === "intime" ? Effect.succeed(inTime(result)) : takeFallback
  type Outcome = Effect.Effect<TimeoutOutcome<A, B>, unknown, R>
  const listening: Effect.Effect<Verdict, unknown, R> = channel.verdict(state, run)
  const running: Effect.Effect<A, unknown, R> = body(bodyPart)
  return Effect.raceWith(running, listening, {
    onSelfDone: (exit, listener): Outcome =>
      Exit.isFailure(exit)
        // A peer of the body failed: the decider will take the fallback (its own body fails,
        // or its clock runs out), and so does this role; told "in time" instead, it fails.
        ? peerFailedIn(exit)
          ? Effect.flatMap(awaitVerdict(channel, state, listener), (v) => {
            if (v !== "timeout") return exit as unknown as Outcome
            if (exit.cause._tag === "Fail") abandonUnavailable(channel, exit.cause.error)
            return takeFallback
          })
          : Effect.zipRight(Fiber.interrupt(listener), exit as unknown as Outcome)
        : needsVerdict
        // The listener goes on: it may have taken the verdict already, as the body ended.
        ? Effect.flatMap(awaitVerdict(channel, state, listener), (v) => afterVerdict(v, exit.value))
        : Effect.zipRight(Fiber.interrupt(listener), Effect.succeed(inTime(exit.value))),
    onOtherDone: (exit, bodyFiber): Outcome =>
      Exit.isFailure(exit)
        ? Effect.zipRight(Fiber.interrupt(bodyFiber), exit as unknown as Outcome)
        : exit.value === "intime"
        // The decider was in time: this role finishes its part of the body, then goes on.
        ? Effect.map(Fiber.join(bodyFiber), inTime)
        : Effect.zipRight(Fiber.interrupt(bodyFiber), takeFallback)
  })
}

/**
 * A saga for one role (the body is its forward part, the fallback its compensation):
 *
 * - A role other than the owner runs its forward part while it listens for the owner's
 *   verdict. Done, it reports "forwarded" to the owner; failed (any typed failure of its own
 *   part: a handler's error, a Timeout, a DecodeError, a peer's failure notice), it reports
 *   "abort" instead. A defect is no failure of the saga's: the role dies with it, and its
 *   failure notice tells the owner. Then it waits for the verdict when it has a part in the compensation, and goes on
 *   when it has none. Told "compensate" while still in its forward part, it leaves it.
 * - The owner runs its own forward part (if any) while it collects the reports. The first
 *   abort, a failure notice of a role of the saga, or a failure of its own part decides
 *   "compensate": it tells every other role and runs its compensation. When its part is done
 *   and every other role has forwarded, it decides "commit" and tells the roles that have a
 *   part in the compensation (they wait for it).
 *
 * Compensation runs with the role's state as its forward part left it, so it undoes what was
 * done and no more.
 */
/** The tag of a tagged error, or `undefined`. */
const tagOf = (e: unknown): unknown => (typeof e === "object" && e !== null ? (e as { readonly _tag?: unknown })._tag : undefined)

/** A peer that failed, or that the transport found unreachable too long: for a timeout, as good as its clock running out. */
const isPeerFailed = (e: unknown): boolean => tagOf(e) === "PeerFailed" || tagOf(e) === "PeerUnavailable"

/** Whether `exit` is the one typed failure tagged `tag` (not a defect, nor an interruption). */
const failedWith = (exit: Exit.Exit<unknown, unknown>, tag: string): boolean =>
  Exit.isFailure(exit) && exit.cause._tag === "Fail" && tagOf(exit.cause.error) === tag

/** A body that ended because a peer of it failed (a failure notice). */
/**
 * A role that took the fallback because `error`'s peer was unavailable need not have the
 * frames it sent that peer delivered before it ends (they may never be).
 */
const abandonUnavailable = (channel: Channel, error: unknown): void => {
  if (tagOf(error) === "PeerUnavailable") channel.abandon((error as { readonly peer: string }).peer)
}

const peerFailedIn = (exit: Exit.Exit<unknown, unknown>): boolean => failedWith(exit, "PeerFailed") || failedWith(exit, "PeerUnavailable")

/**
 * The verdict from the listener that has run since the role entered the step (not from a new
 * wait: the listener may have taken it at the very moment the role's part ended), within the
 * role's receive timeout.
 */
const awaitVerdict = <R>(channel: Channel, state: TimeoutState, listener: Fiber.Fiber<Verdict, unknown>): Effect.Effect<Verdict, unknown, R> =>
  Effect.onError(channel.withinReceiveTimeout(Fiber.join(listener), state), () => Fiber.interrupt(listener))

/** A failure of the forward part that triggers compensation: a typed failure, not a defect nor an interruption. */
const failedOnly = (exit: Exit.Exit<unknown, unknown>): boolean =>
  Exit.isFailure(exit) && Cause.isFailure(exit.cause) && !Cause.isDie(exit.cause) && !Cause.isInterrupted(exit.cause)

/** The owner's wait for reports ran out of time (its receive timeout). */
const timedOut = (exit: Exit.Exit<unknown, unknown>): boolean => failedWith(exit, "Timeout")

const runSaga = <A, B, E, R>(
  channel: Channel,
  state: TimeoutState,
  forward: (part: Part) => Effect.Effect<A, E, R>,
  compensate: (part: Part) => Effect.Effect<B, E, R>,
  onCompensate: Effect.Effect<void, E, R>
): Effect.Effect<TimeoutOutcome<A, B>, unknown, R> => {
  type Outcome = Effect.Effect<TimeoutOutcome<A, B>, unknown, R>
  const { bodyPart: forwardPart, run, takeFallback: compensating } = enter(channel, state, compensate, onCompensate)
  const committed = (result: A): TimeoutOutcome<A, B> => ({ label: "intime", result })
  const own: Effect.Effect<A, unknown, R> = forward(forwardPart)

  if (state.decides) {
    const decide = (verdict: Verdict, result: A | undefined): Outcome => {
      channel.recordVerdict(state, run, verdict)
      channel.traceVerdict(state, verdict === "intime" ? "committed" : "compensated")
      const told = verdict === "intime" ? state.waiting : state.others
      const tell = Effect.forEach(told, (to) => channel.sendVerdict(state, run, to, verdict), { discard: true })
      return verdict === "intime" ? Effect.as(tell, committed(result as A)) : Effect.zipRight(tell, compensating)
    }
    const collecting: Effect.Effect<"abort" | "done", unknown, R> = channel.reports(state, run)
    return Effect.raceWith(own, collecting, {
      onSelfDone: (exit, collector): Outcome =>
        Exit.isFailure(exit)
          ? failedOnly(exit) ? Effect.zipRight(Fiber.interrupt(collector), decide("timeout", undefined)) : Effect.zipRight(Fiber.interrupt(collector), exit as unknown as Outcome)
          : Effect.flatMap(Effect.exit(Fiber.join(collector)), (r): Outcome =>
            Exit.isSuccess(r)
              ? decide(r.value === "done" ? "intime" : "timeout", exit.value)
              // Waiting for a report in vain (a receive timeout): compensate.
              : timedOut(r) ? decide("timeout", undefined) : (r as unknown as Outcome)),
      onOtherDone: (exit, mine): Outcome =>
        Exit.isFailure(exit)
          // Waiting for a report in vain (a receive timeout): compensate.
          ? timedOut(exit) ? Effect.zipRight(Fiber.interrupt(mine), decide("timeout", undefined)) : Effect.zipRight(Fiber.interrupt(mine), exit as unknown as Outcome)
          : exit.value === "abort"
          ? Effect.zipRight(Fiber.interrupt(mine), decide("timeout", undefined))
          : Effect.flatMap(Effect.exit(Fiber.join(mine)), (own): Outcome =>
            Exit.isSuccess(own) ? decide("intime", own.value) : failedOnly(own) ? decide("timeout", undefined) : (own as unknown as Outcome))
    })
  }

  const hasCompensation = state.fallback !== undefined
  /** After the report: the verdict, when the role has a part in the compensation (from the listener, which goes on). */
  const afterReport = (listener: Fiber.Fiber<Verdict, unknown>, result: A | undefined): Outcome =>
    hasCompensation
      ? Effect.flatMap(awaitVerdict(channel, state, listener), (v) => (v === "intime" ? Effect.succeed(committed(result as A)) : compensating))
      : Effect.zipRight(Fiber.interrupt(listener), Effect.succeed(committed(result as A)))
  const listening: Effect.Effect<Verdict, unknown, R> = channel.verdict(state, run)
  return Effect.raceWith(own, listening, {
    onSelfDone: (exit, listener): Outcome => {
      if (Exit.isSuccess(exit)) return Effect.zipRight(channel.sendReport(state, run, "forwarded"), afterReport(listener, exit.value))
      // A defect or an interruption is no failure of the saga's: the role ends with it (and
      // its failure notice tells the owner, who compensates).
      if (!failedOnly(exit)) return Effect.zipRight(Fiber.interrupt(listener), exit as unknown as Outcome)
      // The forward part failed: the owner is told, and decides; this role compensates (its part may be empty).
      return Effect.zipRight(
        channel.sendReport(state, run, "aborted"),
        hasCompensation ? afterReport(listener, undefined) : Effect.zipRight(Fiber.interrupt(listener), compensating)
      )
    },
    onOtherDone: (exit, mine): Outcome =>
      Exit.isFailure(exit)
        ? Effect.zipRight(Fiber.interrupt(mine), exit as unknown as Outcome)
        : exit.value === "timeout"
        ? Effect.zipRight(Fiber.interrupt(mine), compensating)
        // "commit" before this role reported: the owner waits for every report, so no real owner says it.
        : Effect.zipRight(
          Fiber.interrupt(mine),
          Effect.fail(
            new ProtocolViolation({
              protocol: channel.protocol.name,
              role: channel.role,
              peer: state.at,
              label: "~commit",
              site: state.site,
              expected: `the verdict of saga '${state.name}' after ${channel.role} has reported`,
              message: `${channel.role} was told that saga '${state.name}' (site ${state.site}) committed before it had reported on its forward part`
            })
          )
        )
  })
}
