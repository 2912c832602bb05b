/**
 * The one-slot `Effect.async` channel of the benchmarks' hand-written baselines
 * (bench/ping-pong.ts `fastest`, bench/sessions.ts `floor`).
 */
import { Effect } from "effect"

/**
 * A one-slot channel on `Effect.async`: the fastest hand-written Effect channel for this
 * exchange we know of (the headline baseline, `fastest`). `offer` hands the message straight
 * to a waiting taker (resuming its fiber), or leaves it in the slot; `take` takes it from the
 * slot without suspending when it is there, and otherwise suspends until `offer` resumes it.
 * Only one message is ever in flight in each direction, so one slot is enough (checked).
 */
export class Slot<A> {
  private value: A | undefined = undefined
  private full = false
  private waiter: ((a: Effect.Effect<A>) => void) | undefined = undefined
  offer(a: A): void {
    const w = this.waiter
    if (w !== undefined) {
      this.waiter = undefined
      w(Effect.succeed(a))
    } else {
      if (this.full) throw new Error("Slot: a second message before the first was taken")
      this.value = a
      this.full = true
    }
  }
  private readonly wait: Effect.Effect<A> = Effect.async<A>((resume) => {
    this.waiter = resume
  })
  readonly take: Effect.Effect<A> = Effect.suspend(() => {
    if (!this.full) return this.wait
    const v = this.value!
    this.full = false
    this.value = undefined
    return Effect.succeed(v)
  })
}
