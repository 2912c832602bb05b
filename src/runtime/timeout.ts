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
import { Effect, Exit, Fiber } from "effect"
import type { TimeoutState } from "./automaton.js"
import type { Channel, Part, Verdict } from "./channel.js"

/** How a timeout ended for the role: the verdict, and the result of the part it finished with. */
export type TimeoutOutcome<A, B> =
  | { readonly label: "intime"; readonly result: A }
  | { readonly label: "timeout"; readonly result: B }

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
  const run = channel.enterTimeout(state)
  const bodyPart = channel.timeoutPart(state, "body", run)
  const takeFallback = Effect.suspend(() => {
    channel.leave(bodyPart)
    const part = channel.timeoutPart(state, "fallback", run)
    return Effect.map(Effect.zipRight(onTimeout, fallback(part)), (result): TimeoutOutcome<A, B> => ({ label: "timeout", result }))
  })
  const inTime = (result: A): TimeoutOutcome<A, B> => ({ label: "intime", result })

  if (state.decides) {
    const raced = Effect.raceFirst(
      Effect.map(body(bodyPart), (result) => ({ done: true as const, result })),
      Effect.as(Effect.sleep(state.duration), { done: false as const })
    )
    return Effect.flatMap(raced, (r): Effect.Effect<TimeoutOutcome<A, B>, unknown, R> => {
      const verdict: Verdict = r.done ? "intime" : "timeout"
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
  const listening: Effect.Effect<Verdict, unknown, R> = channel.verdict(state, run, false)
  const running: Effect.Effect<A, unknown, R> = body(bodyPart)
  return Effect.raceWith(running, listening, {
    onSelfDone: (exit, listener): Outcome =>
      Effect.zipRight(
        Fiber.interrupt(listener),
        Exit.isFailure(exit)
          ? (exit as unknown as Outcome)
          : needsVerdict
          ? Effect.flatMap(channel.verdict(state, run, true), (v) => afterVerdict(v, exit.value))
          : Effect.succeed(inTime(exit.value))
      ),
    onOtherDone: (exit, bodyFiber): Outcome =>
      Exit.isFailure(exit)
        ? Effect.zipRight(Fiber.interrupt(bodyFiber), exit as unknown as Outcome)
        : exit.value === "intime"
        // The decider was in time: this role finishes its part of the body, then goes on.
        ? Effect.map(Fiber.join(bodyFiber), inTime)
        : Effect.zipRight(Fiber.interrupt(bodyFiber), takeFallback)
  })
}
