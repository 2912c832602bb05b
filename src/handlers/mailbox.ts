/**
 * Mailboxes of frames, one per session, role and mailbox name: what the in-memory transport
 * and the simulator's network deliver into.
 *
 * @internal
 */
import { Effect } from "effect"
import type { TransportError } from "../effects/errors.js"
import type { Envelope } from "../effects/Transport.js"

type Wake = (wake: Effect.Effect<void>) => void

/**
 * An unbounded FIFO of frames that receivers wait on: what an unbounded `Queue` does here,
 * for much less. A receiver that finds no frame suspends (`Effect.async`) until the next
 * `offer` wakes it, then takes the frame itself; `offer` only ever adds to the FIFO and wakes
 * every waiting receiver. So a frame is never handed to a receiver that has meanwhile been
 * interrupted (it stays in the FIFO for the next receive), and a wait needs no canceller:
 * an interrupted receiver's wake-up callback is simply dropped at the next `offer`. This
 * saves, on every wait, the `Deferred` of `Queue.take` (slow to allocate on Node 20) and the
 * `onInterrupt` wrapping a canceller costs, which together were most of a round trip.
 */
export class Mailbox {
  private frames: Array<Envelope> = []
  private head = 0
  /** The receiver waiting longest, then any others (one at most, in a session). */
  private waiter: Wake | undefined = undefined
  private readonly others: Array<Wake> = []
  /** Once set, a receive that finds no frame fails with this instead of waiting. */
  private failure: Effect.Effect<never, TransportError> | undefined = undefined

  /** Whether a receiver is waiting on this mailbox now. */
  get waiting(): boolean {
    return this.waiter !== undefined
  }

  /** How many frames are waiting to be taken. */
  get size(): number {
    return this.frames.length - this.head
  }

  /**
   * From now on, a receive that finds no frame fails with `error` (frames already here are
   * still taken first); receivers waiting now are woken to fail.
   */
  fail(error: TransportError): void {
    this.failure = Effect.fail(error)
    this.wakeAll()
  }

  offer(envelope: Envelope): void {
    this.frames.push(envelope)
    this.wakeAll()
  }

  private wakeAll(): void {
    const first = this.waiter
    if (first === undefined) return
    this.waiter = undefined
    if (this.others.length > 0) {
      const others = this.others.splice(0)
      first(Effect.void)
      for (let i = 0; i < others.length; i++) others[i](Effect.void)
    } else {
      first(Effect.void)
    }
  }

  /** The next frame, waiting for one if there is none. */
  readonly take: Effect.Effect<Envelope, TransportError> = Effect.suspend(() =>
    this.head < this.frames.length ? Effect.succeed(this.poll()) : this.failure ?? this.waitAndTake
  )

  /** Waits for the next `offer`, then tries again: whichever receiver runs first takes the frame. */
  private readonly waitAndTake: Effect.Effect<Envelope, TransportError> = Effect.flatMap(
    Effect.async<void>((wake) => {
      if (this.waiter === undefined) this.waiter = wake
      else this.others.push(wake)
    }),
    () => this.take
  )

  private poll(): Envelope {
    const frames = this.frames
    const e = frames[this.head]
    frames[this.head++] = undefined!
    // Drop the taken slots now and then, not on every frame.
    if (this.head >= 1024 && this.head * 2 >= frames.length) {
      this.frames = frames.slice(this.head)
      this.head = 0
    }
    return e
  }
}

/**
 * The mailboxes of a transport in one process: one per session, role and lane.
 *
 * @internal
 */
export class Mailboxes {
  // session -> address -> mailbox: two lookups with the envelope's own strings (V8 caches
  // their hashes) rather than building and hashing a `${session}\0${role}` key per frame.
  private readonly sessions = new Map<string, Map<string, Mailbox>>()

  /**
   * The mailbox `name` of `role` in `session`, made on first use: by default a role's frames
   * go to the mailbox of their lane ("" or absent: the role's main line).
   */
  get(session: string, role: string, name?: string): Mailbox {
    let roles = this.sessions.get(session)
    if (roles === undefined) {
      roles = new Map()
      this.sessions.set(session, roles)
    }
    const address = name === undefined || name === "" ? role : `${role}\u0000${name}`
    let box = roles.get(address)
    if (box === undefined) {
      box = new Mailbox()
      roles.set(address, box)
    }
    return box
  }

  /** The mailbox a frame goes to: its `mailbox` when it names one, else its lane's. */
  of(envelope: Envelope): Mailbox {
    return this.get(envelope.session, envelope.to, envelope.mailbox ?? envelope.lane)
  }

  /** Forgets every mailbox of `role` in `session` (the role has ended), and the session once it has none. */
  release(session: string, role: string): void {
    const roles = this.sessions.get(session)
    if (roles === undefined) return
    for (const address of [...roles.keys()]) {
      if (address === role || address.startsWith(`${role}\u0000`)) roles.delete(address)
    }
    if (roles.size === 0) this.sessions.delete(session)
  }

  /** Every mailbox, with its session and address (`role` or `role\0name`), in the order made. */
  *entries(): Iterable<readonly [session: string, address: string, mailbox: Mailbox]> {
    for (const [session, roles] of this.sessions) {
      for (const [address, box] of roles) yield [session, address, box]
    }
  }
}

