/**
 * Mailboxes of frames, one per session, role and mailbox name: what the in-memory transport
 * and the simulator's network deliver into.
 *
 * @internal
 */
import { Effect } from "effect"
import { TransportError } from "../effects/errors.js"
import type { Envelope, Inbox } from "../effects/Transport.js"

type Wake = (wake: Effect.Effect<void>) => void

/** Takes a mailbox's frames as they come (see `Mailbox.listen`). */
export interface Listener {
  readonly frame: (envelope: Envelope) => void
  readonly fail: (error: TransportError) => void
}

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
export class Mailbox implements Inbox {
  private frames: Array<Envelope> = []
  private head = 0
  /**
   * The receiver waiting longest, resumed with `waiterThen` (what it goes on with, for
   * `waitThen`; `Effect.void` for `wait`): its own `resume`, no closure per wait. Then any
   * others, each a closure (one at most, in a session; the array is made on first use).
   */
  private waiter: Wake | undefined = undefined
  private waiterThen: Effect.Effect<unknown, unknown, unknown> = Effect.void
  private others: Array<() => void> | undefined = undefined
  /** Once set, a receive that finds no frame fails with this instead of waiting. */
  private failure: Effect.Effect<never, TransportError> | undefined = undefined
  /** Who takes every frame as it is offered, instead of a receiver (see `listen`). */
  private listener: Listener | undefined = undefined
  /** The error of `failure`. */
  failed: TransportError | undefined = undefined

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
    this.failed = error
    if (this.listener !== undefined) this.listener.fail(error)
    this.wakeAll()
  }

  offer(envelope: Envelope): void {
    if (this.listener !== undefined) return this.listener.frame(envelope)
    this.frames.push(envelope)
    this.wakeAll()
  }

  /**
   * From now on, every frame offered here is handed to `listener` at once, in the offerer's
   * call, instead of waiting for a receiver (frames waiting now first, then the failure if
   * the mailbox has failed). Returns what stops it (frames wait here again from then on).
   */
  listen(listener: Listener): () => void {
    this.listener = listener
    for (let e = this.poll(); e !== undefined && this.listener === listener; e = this.poll()) listener.frame(e)
    if (this.failed !== undefined && this.listener === listener) listener.fail(this.failed)
    return () => {
      if (this.listener === listener) this.listener = undefined
    }
  }

  private wakeAll(): void {
    const first = this.waiter
    if (first === undefined) return
    const then = this.waiterThen as Effect.Effect<void>
    this.waiter = undefined
    this.waiterThen = Effect.void
    const others = this.others
    if (others !== undefined && others.length > 0) {
      this.others = undefined
      first(then)
      for (let i = 0; i < others.length; i++) others[i]()
    } else {
      first(then)
    }
  }

  // `take`, `wait` and the wait that takes after it are made on first use: a role of
  // `Role.implement` in memory waits through `waitThen` and never needs them.
  private takeMade: Effect.Effect<Envelope, TransportError> | undefined = undefined
  private waitMade: Effect.Effect<void> | undefined = undefined
  private waitAndTakeMade: Effect.Effect<Envelope, TransportError> | undefined = undefined

  /** The next frame, waiting for one if there is none. */
  get take(): Effect.Effect<Envelope, TransportError> {
    return this.takeMade ??= Effect.suspend(() => this.head < this.frames.length ? Effect.succeed(this.poll()!) : this.failure ?? this.waitAndTake)
  }

  /** Waits for the next `offer` (or `fail`); takes nothing. */
  get wait(): Effect.Effect<void> {
    return this.waitMade ??= Effect.async<void>((wake) => this.enqueue(wake, Effect.void))
  }

  waitThen<A, E, R>(next: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.async<A, E, R>((resume) => {
      // The Effect may run well after it was made (a branch's first wait is made before its
      // fiber starts): a frame or a failure that came meanwhile goes on at once.
      if (this.head < this.frames.length || this.failed !== undefined) return resume(next)
      this.enqueue(resume as unknown as Wake, next)
    })
  }

  /** A receiver waits, to be resumed with `then`: the first as it is, any other as a closure. */
  private enqueue(resume: Wake, then: Effect.Effect<unknown, unknown, unknown>): void {
    if (this.waiter === undefined) {
      this.waiter = resume
      this.waiterThen = then
    } else {
      (this.others ??= []).push(() => resume(then as Effect.Effect<void>))
    }
  }

  /** Waits for the next `offer`, then tries again: whichever receiver runs first takes the frame. */
  private get waitAndTake(): Effect.Effect<Envelope, TransportError> {
    return this.waitAndTakeMade ??= Effect.flatMap(this.wait, () => this.take)
  }

  /** Puts frames taken from here back at the head, in their order: the next receives take them first. */
  unread(envelopes: ReadonlyArray<Envelope>): void {
    if (envelopes.length === 0) return
    const listener = this.listener
    if (listener !== undefined) {
      for (const e of envelopes) listener.frame(e)
      return
    }
    this.frames = [...envelopes, ...this.frames.slice(this.head)]
    this.head = 0
    this.wakeAll()
  }

  /** Keeps only the frames waiting here that `keep`; returns the others, in order. */
  filter(keep: (envelope: Envelope) => boolean): Array<Envelope> {
    const out: Array<Envelope> = []
    const kept: Array<Envelope> = []
    for (let i = this.head; i < this.frames.length; i++) (keep(this.frames[i]) ? kept : out).push(this.frames[i])
    this.frames = kept
    this.head = 0
    return out
  }

  /** The next frame now, if there is one. */
  poll(): Envelope | undefined {
    const frames = this.frames
    if (this.head >= frames.length) return undefined
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

/** Why a frame was dropped by the mailboxes: its role had ended, it was never read, or it was for no role of the session. */
export type DropReason = "closed" | "unread" | "unknown" | "full"

/**
 * Bounds on what frames from outside may make a role hold while it runs: mailboxes (lanes)
 * per role, and frames per mailbox. Frames from the process's own roles are not bounded.
 */
export const maxMailboxesPerRole = 256
export const maxFramesPerMailbox = 10_000

/** One session's mailboxes, and which of its roles are running and which have ended. */
interface SessionBoxes {
  readonly boxes: Map<string, Mailbox>
  /**
   * Frames every mailbox of a role gets, those made later included (a transport's notice that
   * a peer is unavailable), by role.
   */
  sticky: Map<string, Array<(mailbox: string) => Envelope>> | undefined
  /** Roles that run now: they opened, or made a receiver. */
  readonly open: Set<string>
  /** Roles that have ended: a frame for one is dropped, and it may not open again. */
  readonly closed: Set<string>
  /** The session's roles, once a role that opened said them: a frame for any other is dropped. */
  roles: ReadonlySet<string> | undefined
}

/** How many finished session ids the mailboxes remember, to drop their late frames. */
const maxFinished = 10_000

/**
 * How many sessions frames from outside, from any one sender, may wait in before any role of
 * theirs opens here (a peer that runs ahead), and how many such frames of one sender may
 * wait in all; a frame over either bound is dropped ("full"). Per sender, so that no peer
 * can use up another's room.
 */
export const maxPendingSessions = 1024
export const maxPendingFrames = maxFramesPerMailbox

/** A session frames from outside started, that no role has opened yet. */
interface Pending {
  /** When its first frame came (ms since the epoch). */
  readonly since: number
  /** How many of its frames came from each sender. */
  readonly by: Map<string, number>
}

/** How much a set of mailboxes holds. */
export interface MailboxStats {
  /** Sessions known (one of their roles runs, or frames wait for one). */
  readonly sessions: number
  readonly mailboxes: number
  /** Frames waiting in the mailboxes. */
  readonly frames: number
  /** Frames dropped: for roles that had ended, or left unread when their role or session ended. */
  readonly dropped: number
}

/**
 * The mailboxes of a transport in one process: one per session, role and lane.
 *
 * A role's mailboxes go when it ends (`release`), and the role stays ended: a late frame for
 * it (a peer still sending, a copy) is dropped and counted, not kept in a mailbox made anew.
 * Once no role of a session runs, the session is forgotten whole, frames for roles that never
 * started included (dropped as "unread"), so a session id used again later starts clean.
 *
 * @internal
 */
export class Mailboxes {
  // session -> address -> mailbox: two lookups with the envelope's own strings (V8 caches
  // their hashes) rather than building and hashing a `${session}\0${role}` key per frame.
  private readonly sessions = new Map<string, SessionBoxes>()
  /**
   * Sessions forgotten lately (every role of theirs ran), oldest first: a late frame for one
   * is dropped, not kept in a session made anew. Bounded: the oldest are forgotten for good.
   */
  private readonly finished = new Set<string>()
  /** Sessions frames from outside started, that no role has opened yet, oldest first. */
  private readonly pending = new Map<string, Pending>()
  /** Over the pending sessions, by sender: in how many it has frames, and how many frames. */
  private readonly pendingBy = new Map<string, { sessions: number; frames: number }>()

  /** The session is no longer pending: its senders get their room back. */
  private unpend(session: string): void {
    const p = this.pending.get(session)
    if (p === undefined) return
    this.pending.delete(session)
    for (const [from, n] of p.by) {
      const c = this.pendingBy.get(from)
      if (c === undefined) continue
      c.sessions--
      c.frames -= n
      if (c.sessions <= 0) this.pendingBy.delete(from)
    }
  }

  /** Whether a frame from outside from `from` may wait in pending session `p` (made when `undefined`); counts it if so. */
  private admitPending(session: string, p: Pending | undefined, from: string): boolean {
    const c = this.pendingBy.get(from) ?? { sessions: 0, frames: 0 }
    const mine = p?.by.get(from) ?? 0
    if ((mine === 0 && c.sessions >= maxPendingSessions) || c.frames >= maxPendingFrames) return false
    if (p === undefined) {
      p = { since: Date.now(), by: new Map() }
      this.pending.set(session, p)
    }
    if (mine === 0) c.sessions++
    c.frames++
    p.by.set(from, mine + 1)
    this.pendingBy.set(from, c)
    return true
  }
  private droppedCount = 0

  constructor(private readonly onDrop?: (envelope: Envelope, reason: DropReason) => void) {}

  private session(session: string): SessionBoxes {
    let s = this.sessions.get(session)
    if (s === undefined) {
      // A session id used again: a new run, no longer a finished one.
      this.finished.delete(session)
      s = { boxes: new Map(), open: new Set(), closed: new Set(), roles: undefined, sticky: undefined }
      this.sessions.set(session, s)
    }
    return s
  }

  /**
   * The mailbox `name` of `role` in `session`, made on first use, for a receiver: by default a
   * role's frames go to the mailbox of their lane ("" or absent: the role's main line). The
   * role counts as running from then on. For a role that has ended, a mailbox of its own that
   * fails at once.
   */
  get(session: string, role: string, name?: string): Mailbox {
    const s = this.session(session)
    if (s.closed.has(role)) return ended(session, role)
    s.open.add(role)
    return this.box(s, role, name)
  }

  private box(s: SessionBoxes, role: string, name: string | undefined): Mailbox {
    const address = name === undefined || name === "" ? role : addressOf(role, name)
    let box = s.boxes.get(address)
    if (box === undefined) {
      box = new Mailbox()
      s.boxes.set(address, box)
      const sticky = s.sticky?.get(role)
      if (sticky !== undefined) for (const make of sticky) box.offer(make(name ?? ""))
    }
    return box
  }

  /**
   * Puts frames that `role` took back at the head of their mailboxes (a durable role that
   * was stopped before it committed them), in their order. Nothing for a role that has ended.
   */
  unread(session: string, role: string, envelopes: ReadonlyArray<Envelope>): void {
    const s = this.sessions.get(session)
    if (s === undefined || s.closed.has(role)) return
    const byBox = new Map<string, Array<Envelope>>()
    for (const e of envelopes) {
      const name = e.mailbox ?? e.lane ?? ""
      const list = byBox.get(name)
      if (list === undefined) byBox.set(name, [e])
      else list.push(e)
    }
    for (const [name, list] of byBox) this.box(s, role, name).unread(list)
  }

  /**
   * Gives every mailbox of `role` in `session` the frame `make(mailbox)`, now and as each
   * further one is made (a notice that a peer is unavailable reaches whichever lane waits).
   * Nothing when the role has ended there.
   */
  notify(session: string, role: string, make: (mailbox: string) => Envelope): void {
    const s = this.sessions.get(session)
    if (s === undefined || s.closed.has(role)) return
    if (s.sticky === undefined) s.sticky = new Map()
    const list = s.sticky.get(role) ?? []
    list.push(make)
    s.sticky.set(role, list)
    const prefix = `${role}\u0000`
    for (const [address, box] of s.boxes) {
      if (address === role) box.offer(make(""))
      else if (address.startsWith(prefix)) box.offer(make(address.slice(prefix.length)))
    }
  }

  /** The sessions in which `role` runs now, with their roles (when known). */
  *running(role: string): Iterable<readonly [session: string, roles: ReadonlySet<string> | undefined]> {
    for (const [session, s] of this.sessions) if (s.open.has(role)) yield [session, s.roles]
  }

  /**
   * Forgets the sessions that frames from outside started more than `ms` ago and that no role
   * has opened since: their frames are dropped ("unread"). Returns how many went.
   */
  expirePending(now: number, ms: number): number {
    let n = 0
    for (const [session, p] of this.pending) {
      if (now - p.since < ms) break
      this.unpend(session)
      const s = this.sessions.get(session)
      if (s === undefined || s.open.size > 0 || s.closed.size > 0) continue
      for (const box of s.boxes.values()) for (let e = box.poll(); e !== undefined; e = box.poll()) this.drop(e, "unread")
      this.sessions.delete(session)
      n++
    }
    return n
  }

  /**
   * Marks `role` as running in `session`, whose roles are `roles` (when given); false when it
   * has ended there already (the id is used again too soon).
   */
  open(session: string, role: string, roles?: ReadonlyArray<string>): boolean {
    const s = this.session(session)
    if (s.closed.has(role)) return false
    s.open.add(role)
    this.unpend(session)
    if (roles !== undefined && s.roles === undefined) {
      const known = new Set(roles)
      s.roles = known
      // Frames that came before the roles were known, from or for no role of the session, go.
      for (const box of s.boxes.values()) {
        const kept = box.filter((e) => known.has(e.from) && known.has(e.to))
        for (const e of kept) this.drop(e, "unknown")
      }
    }
    return true
  }

  /** Whether `role` runs in `session` now. */
  isOpen(session: string, role: string): boolean {
    return this.sessions.get(session)?.open.has(role) === true
  }

  /**
   * Puts a frame in the mailbox it goes to: its `mailbox` when it names one, else its lane's.
   * A frame for a role that has ended is dropped; false then.
   */
  deliver(envelope: Envelope, untrusted = false): boolean {
    let s = this.sessions.get(envelope.session)
    // A session that is known is not a finished one (`session` takes an id used again out of
    // `finished`; `release` puts it there as it forgets the session): one lookup per frame.
    if (s === undefined && this.finished.has(envelope.session)) {
      this.drop(envelope, "closed")
      return false
    }
    // A session a peer runs ahead in, that no role has opened here: room is bounded per sender.
    const pending = untrusted && (s === undefined || this.pending.has(envelope.session))
    if (pending && !this.admitPending(envelope.session, this.pending.get(envelope.session), envelope.from)) {
      this.drop(envelope, "full")
      return false
    }
    if (s === undefined) s = this.session(envelope.session)
    if (s.closed.size > 0 && s.closed.has(envelope.to)) {
      this.drop(envelope, "closed")
      return false
    }
    if (s.roles !== undefined && (!s.roles.has(envelope.to) || !s.roles.has(envelope.from))) {
      this.drop(envelope, "unknown")
      return false
    }
    const name = envelope.mailbox ?? envelope.lane
    if (untrusted && !pending) {
      const address = name === undefined || name === "" ? envelope.to : `${envelope.to}\u0000${name}`
      const known = s.boxes.get(address)
      const full = known === undefined
        ? [...s.boxes.keys()].filter((a) => a === envelope.to || a.startsWith(`${envelope.to}\u0000`)).length >= maxMailboxesPerRole
        : known.size >= maxFramesPerMailbox
      if (full) {
        this.drop(envelope, "full")
        return false
      }
    }
    this.box(s, envelope.to, name).offer(envelope)
    return true
  }

  private drop(envelope: Envelope, reason: DropReason): void {
    this.droppedCount++
    this.onDrop?.(envelope, reason)
  }

  /**
   * `role` has ended in `session`: its mailboxes go (frames left in them are dropped as
   * "unread"), and it stays ended. Once no role of the session runs, the session goes, unless
   * frames wait for a role of it that has not started yet (sent by a role that ended before
   * it started): the session stays until that role has run too.
   */
  release(session: string, role: string): void {
    const s = this.sessions.get(session)
    if (s === undefined) return
    s.open.delete(role)
    s.closed.add(role)
    // Over when every role of it has run (when its roles are known), or when none runs and
    // no frame waits for a role that has not started yet.
    const idle = s.open.size === 0
    let over = idle
    if (s.roles !== undefined) {
      over = true
      for (const r of s.roles) {
        if (!s.closed.has(r)) {
          over = false
          break
        }
      }
    }
    // (Deleting the entry being visited is safe while iterating a Map.)
    for (const [address, box] of s.boxes) {
      const cut = address.indexOf("\u0000")
      const owner = cut < 0 ? address : address.slice(0, cut)
      const awaited = !over && box.size > 0 && !s.closed.has(owner)
      if (owner === role || (idle && !awaited)) {
        for (let e = box.poll(); e !== undefined; e = box.poll()) this.drop(e, "unread")
        s.boxes.delete(address)
      }
    }
    if (over || (idle && s.boxes.size === 0)) {
      this.sessions.delete(session)
      this.unpend(session)
      this.finished.add(session)
      if (this.finished.size > maxFinished) this.finished.delete(this.finished.values().next().value!)
    }
  }

  /** Every mailbox, with its session and address (`role` or `role\0name`), in the order made. */
  *entries(): Iterable<readonly [session: string, address: string, mailbox: Mailbox]> {
    for (const [session, s] of this.sessions) {
      for (const [address, box] of s.boxes) yield [session, address, box]
    }
  }

  stats(): MailboxStats {
    let mailboxes = 0
    let frames = 0
    for (const s of this.sessions.values()) {
      mailboxes += s.boxes.size
      for (const box of s.boxes.values()) frames += box.size
    }
    return { sessions: this.sessions.size, mailboxes, frames, dropped: this.droppedCount }
  }
}

/**
 * The `open` hook of a transport over these mailboxes: refuses a role that has ended in the
 * session while other roles of that run still run.
 */
export const openRole = (boxes: Mailboxes, session: string, role: string, roles?: ReadonlyArray<string>): Effect.Effect<void, TransportError> =>
  Effect.suspend(() =>
    boxes.open(session, role, roles) ? Effect.void : Effect.fail(
      new TransportError({
        role,
        peer: "",
        message: `session id ${session} is used again for ${role} while other roles of its last run still run (frames of the two runs would mix): give every run its own session id`
      })
    )
  )

/**
 * Addresses of named mailboxes (`role\0name`) made before, by role and name: looked up with
 * the envelope's own strings, whose hashes V8 keeps, rather than built and hashed anew for
 * every frame (the reliable layer sends all of a role's frames to one named mailbox). Bounded:
 * beyond, an address is built each time.
 */
const addresses = new Map<string, Map<string, string>>()
let addressCount = 0
const maxAddresses = 4096

const addressOf = (role: string, name: string): string => {
  let byName = addresses.get(role)
  const known = byName?.get(name)
  if (known !== undefined) return known
  const address = `${role}\u0000${name}`
  if (addressCount < maxAddresses) {
    if (byName === undefined) addresses.set(role, byName = new Map())
    byName.set(name, address)
    addressCount++
  }
  return address
}

/** A mailbox for a receiver of a role that has ended: every receive fails. */
const ended = (session: string, role: string): Mailbox => {
  const box = new Mailbox()
  box.fail(new TransportError({ role, peer: "", message: `${role} has ended in session ${session}: its mailboxes are closed` }))
  return box
}
