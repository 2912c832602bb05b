/**
 * Durable roles: what `Role.resume` keeps of a role, and how it continues from it.
 *
 * A durable role keeps one **record** under `Storage.checkpointKey(protocol, session, role)`:
 *
 * - a **snapshot**, taken whenever the role commits at the top level of its protocol (no
 *   parallel, timeout or saga open): the state it is at, its loop counters, its per-peer
 *   sequence numbers, the frames it holds that came early, the run counts of its parallels
 *   and timeouts, and its user state (encoded with the `state` Schema of `Role.implement`);
 * - a **journal** of what it did since that snapshot, lane by lane: each frame it took from
 *   the transport, each frame it sent (its peer, number, label, site and a hash of its
 *   payload), each verdict it gave on a timeout. A hand-written program (`Role.program`) has
 *   no snapshot: its journal runs from the start.
 *
 * The role **commits** after each send, whenever it is about to wait for a frame, and when it
 * (or one of its lanes) ends: the steps it took since its last commit are one unit (a receive
 * and the send it leads to, say: one commit). A commit writes
 * the record, acknowledges the frames taken since, and sends the frames made since. Sends are
 * held until then, so that no peer sees a frame of a step that is not kept. On an engine that
 * commits all three at once (the Redis transport: one `MULTI`), a crash at any instant leaves
 * the whole unit or none of it. On `Storage` with another transport, the record (with the
 * frames) is written first and the frames sent after; a role resumed after a crash between
 * the two sends them again, and a durable receiver drops a frame whose number it has had
 * already (a `Duplicate` event).
 *
 * **Resuming** loads the record, restores the snapshot, and replays the journal: each lane's
 * receives are served from it in order (and all lanes' in the order the role took them, so
 * that the branches of a parallel fold their frames into the shared state as they did), and
 * each send it records is checked (same peer, number, label, site and payload) and not sent
 * again; a step that does something else fails with `ReplayDivergence`. Then the role goes on
 * live.
 *
 * @internal
 */
import { Effect, Either, Option, Schema } from "effect"
import { CheckpointError, ImplementationError, ReplayDivergence, type TransportError } from "../effects/errors.js"
import { type StorageError, type StorageService } from "../effects/Storage.js"
import { type Envelope, EnvelopeSchema, type TransportService } from "../effects/Transport.js"
import { clip } from "../internal/bounded.js"
import type { Any } from "../protocol/Protocol.js"
import type { LState } from "../protocol/automaton.js"

/** The version of the record's format. */
export const recordVersion = 1

/**
 * One unit of a durable role's steps, to be made to last: the new record, the frames taken
 * since the last commit (to acknowledge), the frames made since (to send).
 *
 * @category models
 */
export interface DurableCommit {
  readonly key: string
  readonly session: string
  readonly role: string
  readonly record: string
  readonly consumed: ReadonlyArray<Envelope>
  readonly outbox: ReadonlyArray<Envelope>
  /** The role has ended: what it keeps may expire. */
  readonly finished: boolean
}

/**
 * Where a durable role's records go. A transport that can commit a record, its
 * acknowledgements and its frames in one transaction has one (`TransportService.durable`);
 * otherwise `Storage` is used, the frames sent through the transport after the record is
 * written.
 *
 * @category models
 */
export interface DurableEngine {
  /** Whether `commit` makes the record, the acknowledgements and the frames last at once. */
  readonly transactional: boolean
  readonly load: (key: string) => Effect.Effect<Option.Option<string>, StorageError>
  readonly commit: (commit: DurableCommit) => Effect.Effect<void, StorageError | TransportError>
  /** Lets the checkpoint of a role that failed expire (optional; Redis: after `retain`). */
  readonly expire?: ((key: string, session: string, role: string) => Effect.Effect<void>) | undefined
}

/** A durable engine on `Storage`: the record first (with its frames), then the frames, none of it interruptible. */
export const storageEngine = (storage: StorageService, transport: TransportService): DurableEngine => ({
  transactional: false,
  load: storage.get,
  commit: (c) =>
    Effect.uninterruptible(
      Effect.zipRight(storage.set(c.key, c.record), Effect.forEach(c.outbox, (e) => transport.send(e), { discard: true }))
    )
})

/** An entry of the journal. */
export type Entry =
  /** A frame taken from the transport on `lane`. */
  | { readonly t: "r"; readonly lane: string; readonly e: Envelope }
  /** A frame sent on `lane`: its peer, number, label, site and a hash of its payload. */
  | { readonly t: "s"; readonly lane: string; readonly to: string; readonly seq: number; readonly label: string; readonly site: string; readonly h: string }
  /** The verdict the role gave on run `run` of the timeout (or saga) at `site` on `lane`. */
  | { readonly t: "v"; readonly lane: string; readonly site: string; readonly run: number; readonly verdict: "intime" | "timeout" }

/** A channel at the top level of its protocol, as plain data. */
export interface Snapshot {
  /** The id of the state it is at, in the role's local automaton. */
  readonly at: number
  readonly counters: ReadonlyArray<readonly [string, number | null]>
  /** The loop-counter effects of each label of the receive it is at, when they differ. */
  readonly deferred: ReadonlyArray<readonly [string, ReadonlyArray<{ readonly loop: string; readonly op: "set" | "add" | "unknown"; readonly n: number }>]> | null
  readonly peers: ReadonlyArray<{
    readonly name: string
    readonly sent: number
    readonly received: number
    readonly early: ReadonlyArray<Envelope>
    readonly skips: ReadonlyArray<number>
  }>
  readonly runs: ReadonlyArray<readonly [string, number]>
  readonly abandoned: ReadonlyArray<string>
  /** The user state, encoded with the implementation's `state` Schema (`undefined` for a program). */
  readonly state?: unknown
}

/** The record a durable role keeps. */
export interface DurableRecord {
  readonly v: number
  readonly protocol: string
  readonly role: string
  readonly session: string
  readonly kind: "implement" | "program"
  /** A digest of the role's local automaton: a checkpoint of another version of the protocol is refused. */
  readonly digest: string
  readonly snapshot: Snapshot | null
  readonly journal: ReadonlyArray<Entry>
  /** The frames of the last commit, on an engine that is not transactional: sent again on resume. */
  readonly outbox: ReadonlyArray<Envelope>
  readonly finished: boolean
  /** How many commits the role has made (so that no two of its records are alike). */
  readonly n: number
}

const Count = Schema.Number.pipe(Schema.int(), Schema.between(0, Number.MAX_SAFE_INTEGER))
const CounterOpShape = Schema.Struct({ loop: Schema.String, op: Schema.Literal("set", "add", "unknown"), n: Schema.Number })
const SnapshotShape = Schema.Struct({
  at: Count,
  counters: Schema.Array(Schema.Tuple(Schema.String, Schema.NullOr(Schema.Number))),
  deferred: Schema.NullOr(Schema.Array(Schema.Tuple(Schema.String, Schema.Array(CounterOpShape)))),
  peers: Schema.Array(Schema.Struct({
    name: Schema.String,
    sent: Count,
    received: Count,
    early: Schema.Array(EnvelopeSchema),
    skips: Schema.Array(Count)
  })),
  runs: Schema.Array(Schema.Tuple(Schema.String, Count)),
  abandoned: Schema.Array(Schema.String),
  state: Schema.optional(Schema.Unknown)
})
const EntryShape = Schema.Union(
  Schema.Struct({ t: Schema.Literal("r"), lane: Schema.String, e: EnvelopeSchema }),
  Schema.Struct({ t: Schema.Literal("s"), lane: Schema.String, to: Schema.String, seq: Count, label: Schema.String, site: Schema.String, h: Schema.String }),
  Schema.Struct({ t: Schema.Literal("v"), lane: Schema.String, site: Schema.String, run: Count, verdict: Schema.Literal("intime", "timeout") })
)
/** A record as it is read back: every frame in it decoded as an `Envelope`, like any frame from outside. */
const RecordShape = Schema.Struct({
  v: Schema.Literal(recordVersion),
  protocol: Schema.String,
  role: Schema.String,
  session: Schema.String,
  kind: Schema.Literal("implement", "program"),
  digest: Schema.String,
  snapshot: Schema.NullOr(SnapshotShape),
  journal: Schema.Array(EntryShape),
  outbox: Schema.Array(EnvelopeSchema),
  finished: Schema.Boolean,
  n: Count
})
const decodeRecordShape = Schema.decodeUnknownEither(RecordShape)

/** A 32-bit FNV-1a hash, in hex: of a payload's JSON, or of an automaton's shape. */
export const hash = (text: string): string => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, "0")
}

const describeState = (s: LState): string => {
  switch (s.kind) {
    case "send":
      return `s${s.id}:${s.peer}:${s.label}:${s.site}`
    case "recv":
      return `r${s.id}:${s.peer}:${[...s.options.keys()].join(",")}`
    case "select":
      return `c${s.id}:${s.site}:${[...s.branches.keys()].join(",")}`
    case "end":
      return `e${s.id}`
    case "rounds":
      return `n${s.id}:${s.site}`
    case "par":
      return `p${s.id}:${s.site}:${s.branches.length}`
    case "timeout":
      return `t${s.id}:${s.site}:${s.trigger}`
  }
}

const digests = new WeakMap<object, Map<string, string>>()

/** The digest of `role`'s local automaton in `protocol`. */
export const digestOf = (protocol: Any, role: string): string => {
  let byRole = digests.get(protocol)
  if (byRole === undefined) digests.set(protocol, (byRole = new Map()))
  const known = byRole.get(role)
  if (known !== undefined) return known
  const automaton = protocol["~graph"].locals.get(role)!
  const d = hash(`${protocol.name}|${role}|${automaton.states.map(describeState).join(";")}`)
  byRole.set(role, d)
  return d
}

/** Reads a record: the record, or why it cannot be used. */
export const readRecord = (
  text: string,
  expect: { readonly key: string; readonly protocol: Any; readonly role: string; readonly session: string; readonly kind: "implement" | "program" }
): Either.Either<DurableRecord, CheckpointError> => {
  const fail = (message: string) =>
    Either.left(new CheckpointError({ key: clip(expect.key, 200), protocol: expect.protocol.name, role: expect.role, message: `the checkpoint of ${expect.role} in session ${clip(expect.session, 100)} (${clip(expect.key, 200)}) ${message}` }))
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return fail("is not JSON")
  }
  const shape = decodeRecordShape(parsed)
  if (Either.isLeft(shape)) return fail(`does not decode as a record of version ${recordVersion}`)
  const r = shape.right
  if (r.protocol !== expect.protocol.name || r.role !== expect.role || r.session !== expect.session) {
    return fail(`is of ${clip(r.role, 60)} of ${clip(r.protocol, 60)} in session ${clip(r.session, 100)}`)
  }
  if (r.kind !== expect.kind) return fail(`was made by ${r.kind === "program" ? "Role.program" : "Role.implement"}, not by this implementation's kind`)
  if (r.digest !== digestOf(expect.protocol, expect.role)) return fail("is of another version of the protocol (its local type has changed)")
  return Either.right(r)
}

/** The labels of verdicts that send a role out of a timeout's (or saga's) body. */
const leaveLabels = new Set(["~timeout", "~compensate"])

/**
 * The durable state of one run of a role: the journal since the last snapshot, what is to
 * be committed next, and what is left to replay. Shared by the role's channel and those of
 * its lanes.
 */
export class Durability {
  /** The journal since the last snapshot (what was replayed, and what happened live since). */
  private journal: Array<Entry>
  private outbox: Array<Envelope> = []
  private consumed: Array<Envelope> = []
  private dirty = false
  /** A commit failed (or was stopped) part way. */
  private broken = false
  private commits: number
  private snapshot: Snapshot | null
  /**
   * What is left to replay, lane by lane: the frames taken, and apart from them the frames
   * sent (a lane may have a receive pending while it sends: a timeout's listener, say, so
   * only the order of each kind is the role's own).
   */
  private readonly replay = new Map<string, Array<Extract<Entry, { readonly t: "r" }>>>()
  private readonly replaySends = new Map<string, Array<Extract<Entry, { readonly t: "s" }>>>()
  /**
   * Every frame to replay, in the order the role took them, over all its lanes: a lane takes
   * its next one only when it is the next of all, so that the branches of a parallel fold
   * their frames into the shared state in the order they did.
   */
  private readonly replayOrder: Array<Extract<Entry, { readonly t: "r" }>> = []
  private orderAt = 0
  /** Lanes waiting for their turn. */
  private readonly turns: Array<() => void> = []
  private replayLeft = 0
  /** The verdicts to replay, by `lane \0 site \0 run`. */
  private readonly verdicts = new Map<string, "intime" | "timeout">()
  private readonly lock = Effect.unsafeMakeSemaphore(1)
  /** Takes the snapshot of the role's root channel at the top level (`undefined` when it is not there). */
  snapshotNow: (() => Either.Either<Snapshot, ImplementationError> | undefined) | undefined = undefined

  constructor(
    readonly engine: DurableEngine,
    readonly key: string,
    readonly protocol: Any,
    readonly role: string,
    readonly session: string,
    readonly kind: "implement" | "program",
    record: DurableRecord | undefined
  ) {
    this.snapshot = record?.snapshot ?? null
    this.commits = record?.n ?? 0
    this.journal = record === undefined ? [] : [...record.journal]
    for (const entry of this.journal) {
      if (entry.t === "v") {
        this.verdicts.set(`${entry.lane}\u0000${entry.site}\u0000${entry.run}`, entry.verdict)
        continue
      }
      if (entry.t === "r") {
        let q = this.replay.get(entry.lane)
        if (q === undefined) this.replay.set(entry.lane, (q = []))
        q.push(entry)
        this.replayOrder.push(entry)
      } else {
        let q = this.replaySends.get(entry.lane)
        if (q === undefined) this.replaySends.set(entry.lane, (q = []))
        q.push(entry)
      }
      this.replayLeft++
    }
  }

  /** The snapshot the role resumes from, if any. */
  get restored(): Snapshot | null {
    return this.snapshot
  }

  /** Whether entries of the journal are still to be replayed. */
  get replaying(): boolean {
    return this.replayLeft > 0
  }

  private divergence(lane: string, expected: string, actual: string): ReplayDivergence {
    return new ReplayDivergence({
      protocol: this.protocol.name,
      role: this.role,
      lane,
      expected,
      actual,
      message: `${this.role} of ${this.protocol.name} (session ${clip(this.session, 100)}${lane === "" ? "" : `, lane ${lane}`}) did not do on replay what its journal says: the journal has ${expected}, the role did ${actual}; a program must do the same given the same frames (no clocks, random numbers or outside state in its choices)`
    })
  }

  private take<E>(queues: Map<string, Array<E>>, lane: string): E | undefined {
    const q = queues.get(lane)
    if (q === undefined) return undefined
    const entry = q.shift()
    if (q.length === 0) queues.delete(lane)
    this.replayLeft--
    return entry
  }

  /** Whether no entry is left to replay on `lane` or any lane below it. */
  private drainedBelow(prefix: string): boolean {
    for (const queues of [this.replay, this.replaySends]) {
      for (const lane of queues.keys()) if (lane === prefix || lane.startsWith(`${prefix}/`)) return false
    }
    return true
  }

  /** Waits until the lanes at and below `prefix` have nothing left to replay (polling on the Clock: virtual time in a simulation). */
  drained(prefix: string): Effect.Effect<void> {
    const poll: Effect.Effect<void> = Effect.suspend(() => (this.drainedBelow(prefix) ? Effect.void : Effect.zipRight(Effect.sleep(1), poll)))
    return poll
  }

  /**
   * The receive of a durable channel on `lane`: the next frame the journal has for it, while
   * there is one; then, after a commit of what is pending, the transport's, journaled.
   */
  receive(lane: string, live: Effect.Effect<Envelope, TransportError>): Effect.Effect<Envelope, TransportError> {
    return Effect.suspend(() => {
      const head = this.replay.get(lane)?.[0]
      if (head !== undefined && head !== this.replayOrder[this.orderAt]) {
        // Not this lane's turn: another lane took a frame before this one did.
        return Effect.zipRight(Effect.async<void>((resume) => void this.turns.push(() => resume(Effect.void))), this.receive(lane, live))
      }
      const entry = this.take(this.replay, lane)
      if (entry !== undefined) {
        this.orderAt++
        if (this.turns.length > 0) for (const wake of this.turns.splice(0)) wake()
        const e = entry.e
        // A verdict that took this role out of a body: the body first replays what it did before it.
        if (leaveLabels.has(e.label)) {
          const run = (e.payload as { readonly run?: unknown } | undefined)?.run
          const body = `${lane === "" ? "" : `${lane}/`}${e.site}#${String(run)}/body`
          return Effect.as(this.drained(body), e)
        }
        return Effect.succeed(e)
      }
      const taken = Effect.map(live, (e) => {
        this.journal.push({ t: "r", lane, e })
        this.consumed.push(e)
        this.dirty = true
        return e
      })
      return this.dirty ? Effect.zipRight(this.commit(false), taken) : taken
    })
  }

  /**
   * A send of a durable channel: checked against the journal and dropped while it replays,
   * else held for the next commit. The failure when it is not what the journal has.
   */
  send(lane: string, e: Envelope): Effect.Effect<never, TransportError> | undefined {
    const entry = this.take(this.replaySends, lane)
    const h = hash(safeJson(e.payload))
    if (entry !== undefined) {
      if (entry.to === e.to && entry.seq === e.seq && entry.label === e.label && entry.site === e.site && entry.h === h) return undefined
      const expected = `a send of ${entry.label} to ${entry.to} (number ${entry.seq}, site ${entry.site}, payload hash ${entry.h})`
      // Typed with the channel's transport failures, which it travels with; `Role.resume` declares it.
      return Effect.fail(this.divergence(lane, expected, `a send of ${e.label} to ${e.to} (number ${e.seq}, site ${e.site}, payload hash ${h})`)) as never
    }
    this.journal.push({ t: "s", lane, to: e.to, seq: e.seq, label: e.label, site: e.site, h })
    this.outbox.push(e)
    this.dirty = true
    return undefined
  }

  /**
   * At the role's end: the failure when the journal has steps the role did not do again (a
   * program that took another way on replay); `undefined` when all of it was replayed.
   */
  leftover(): ReplayDivergence | undefined {
    if (this.replayLeft === 0) return undefined
    // The body of a timeout that a live verdict took the role out of may have had more steps in
    // its journal than the replay got to: they were done, and are not to be done again.
    const left = [...this.replay, ...this.replaySends].filter(([lane]) => !/(^|\/)[^/]*#\d+\/body(\/|$)/.test(lane))
    if (left.length === 0) return undefined
    const [lane, entries] = left[0]
    const e = entries[0]
    const expected = e.t === "r" ? `a receive of ${clip(e.e.label, 60)} from ${clip(e.e.from, 60)}` : `a send of ${e.label} to ${e.to} (number ${e.seq})`
    const steps = left.reduce((n, [, es]) => n + es.length, 0)
    return this.divergence(lane, `${steps} more step(s), the first ${expected}`, "the end of the protocol")
  }

  /** The frames taken from the transport since the last commit (handed back when the role is stopped). */
  uncommitted(): ReadonlyArray<Envelope> {
    return this.consumed
  }

  /** The verdict the journal has for run `run` of the timeout at `site` on `lane`, if any. */
  replayedVerdict(lane: string, site: string, run: number): "intime" | "timeout" | undefined {
    return this.verdicts.get(`${lane}\u0000${site}\u0000${run}`)
  }

  /** Journals the verdict the role gave (not again when it replays one). */
  recordVerdict(lane: string, site: string, run: number, verdict: "intime" | "timeout"): void {
    if (this.replayedVerdict(lane, site, run) !== undefined) return
    this.journal.push({ t: "v", lane, site, run, verdict })
    this.dirty = true
  }

  /**
   * Commits what happened since the last commit (nothing when nothing did): one unit, in the
   * order the role's lanes reach here. At the top level, the record is a fresh snapshot and an
   * empty journal.
   */
  commit(finished: boolean): Effect.Effect<void, TransportError> {
    return this.lock.withPermits(1)(Effect.suspend(() => {
      // After a commit that did not complete, nothing more is written: as after a crash, the
      // role resumes from what was kept (another lane must not write over it).
      if (this.broken) return Effect.interrupt
      if (!this.dirty && !finished) return Effect.void
      const taken = this.snapshotNow?.()
      if (taken !== undefined) {
        if (Either.isLeft(taken)) return Effect.fail(taken.left) as never
        this.snapshot = taken.right
        this.journal = []
      }
      const outbox = this.outbox
      const consumed = this.consumed
      this.outbox = []
      this.consumed = []
      this.dirty = false
      const record: DurableRecord = {
        v: recordVersion,
        protocol: this.protocol.name,
        role: this.role,
        session: this.session,
        kind: this.kind,
        digest: digestOf(this.protocol, this.role),
        snapshot: this.snapshot,
        journal: this.journal,
        outbox: this.engine.transactional ? [] : outbox,
        finished,
        n: ++this.commits
      }
      let text: string
      try {
        text = JSON.stringify(record)
      } catch (e) {
        return Effect.fail(
          new ImplementationError({
            protocol: this.protocol.name,
            role: this.role,
            site: "",
            message: `${this.role} could not write its checkpoint: ${clip(e instanceof Error ? e.message : String(e), 300)} (payloads and state must encode to JSON)`
          })
        ) as never
      }
      return Effect.uninterruptible(
        Effect.onError(
          this.engine.commit({ key: this.key, session: this.session, role: this.role, record: text, consumed, outbox, finished }),
          () => Effect.sync(() => void (this.broken = true))
        )
      ) as Effect.Effect<void, TransportError>
    }))
  }
}

/** JSON of a value, or a marker when it has none (a payload is encoded with its Schema first, so this is rare). */
const safeJson = (u: unknown): string => {
  try {
    return JSON.stringify(u) ?? "undefined"
  } catch {
    return "(no JSON)"
  }
}
