/**
 * One role's connection to a session: sends and receives envelopes for the states of its
 * local automaton, numbers them per peer, keeps loop counters, matches every incoming frame
 * exactly and decodes its payload. Both generated implementations (`Role.implement`) and
 * hand-written programs (`Role.program`) drive a role through this.
 *
 * The `...Now` methods are the synchronous core the interpreter loop of `Role.implement`
 * runs on: each does its work at once and returns the next state (or the `Received`), or
 * an Effect when it has to wait or fail. `send`, `select` and `receive` wrap them.
 *
 * @internal
 */
import { Cause, Effect, Either, Option, type ParseResult, Scheduler, Schema } from "effect"
import { isEffect } from "../internal/effect.js"
import { DecodeError, ImplementationError, isRetryable, PeerFailed, PeerUnavailable, ProtocolViolation, Timeout, TransportError } from "../effects/errors.js"
import { type Envelope, type Inbox, inboxOf, type SynchronousSend, synchronousSendOf, type TransportService } from "../effects/Transport.js"
import { Observer } from "../internal/observe.js"
import type { TraceEventInput, TraceSinkService } from "../effects/TraceSink.js"
import { clip, quote } from "../internal/bounded.js"
import type { Durability, Snapshot } from "./durable.js"
import { formatIssue } from "../internal/issue.js"
import { own, setOwn } from "../internal/own.js"
import type { Any } from "../protocol/Protocol.js"
import {
  type CounterOp,
  type EndState,
  type LState,
  type ParState,
  type RecvOption,
  type RecvState,
  type RoundsState,
  type SelectState,
  type SendState,
  type TimeoutState,
  peersAhead,
  type Transition
} from "../protocol/automaton.js"

const noLoops: Readonly<Record<string, number>> = Object.freeze({})

/**
 * How often (in waits for a frame, over the roles of this process) a role checks that the
 * event loop still turns. Two roles that wake each other (a server's ping-pong in memory) run
 * on microtasks only: Effect's scheduler keeps a queue per fiber (3.20 on) and starts each
 * one's count of microtask rounds afresh at every wake-up, so it never falls back to a timer,
 * and no timer or I/O of the process ran again (a `stop` of `Effect.sleep` never fired, nor a
 * `setTimeout`). So every this many waits a probe (`setImmediate`) is set; when the next
 * check finds it has not run, the loop is starved and the role about to wait lets a macrotask
 * pass first. A process whose loop turns anyway pays one probe per 2 048 waits and never
 * waits for one; a starved ping-pong, a turn per 2 048 round trips, within the noise of
 * `npm run bench`.
 */
const waitsPerCheck = 2048
let waitsSinceCheck = 0
let probe: "none" | "set" | "ran" = "none"
const probed = () => void (probe = "ran")

/** Node's `setImmediate`, looked up: the main entry point is not Node-only (nor typed with Node's globals). */
const host = globalThis as unknown as { readonly setImmediate?: (f: () => void) => unknown; readonly clearImmediate?: (handle: unknown) => void }

/** `f` at the next turn of the event loop: `setImmediate`, or a timer where there is none (browsers). */
const immediately = (f: () => void): (() => void) => {
  const { clearImmediate, setImmediate } = host
  if (setImmediate !== undefined && clearImmediate !== undefined) {
    const handle = setImmediate(f)
    return () => clearImmediate(handle)
  }
  const handle = setTimeout(f, 0)
  return () => clearTimeout(handle)
}

/** One turn of the event loop, on Effect's default scheduler only (the simulator's keeps its own order, on its virtual clock). */
const turn: Effect.Effect<void> = Effect.withFiberRuntime((fiber) =>
  fiber.currentScheduler !== Scheduler.defaultScheduler ? Effect.void : Effect.async<void>((resume) => {
    const cancel = immediately(() => resume(Effect.void))
    return Effect.sync(cancel)
  }))

/** Whether the role about to wait must let the event loop turn first (see `waitsPerCheck`). */
const starved = (): boolean => {
  if (++waitsSinceCheck < waitsPerCheck) return false
  waitsSinceCheck = 0
  if (probe === "set") {
    probe = "none"
    return true
  }
  probe = "set"
  immediately(probed)
  return false
}

/** `receive` (of a transport without an `Inbox`: each counts as a wait), after a turn of the event loop when it is starved. */
const fairly = <A, E>(receive: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.suspend(() => (starved() ? Effect.zipRight(turn, receive) : receive))

/**
 * How many frames a role keeps that arrived before it was ready for them (from peers other
 * than the one it waits on), over all its peers: one more fails the role with a
 * `ProtocolViolation`, so a peer cannot make it hold frames without limit.
 */
export const maxEarlyFrames = 10_000

/**
 * The label of a failure notice: the frame a role that fails (or is interrupted) sends to
 * every peer it still has steps with, on each lane it has open, numbered in sequence with its
 * other frames to that peer (so the reliable layer delivers it in order, once).
 */
export const failureLabel = "~failed"

/**
 * The site of a failure notice that a transport makes itself, in a peer's name, when the peer
 * has been unreachable too long (`seq` the largest safe integer): the role fails with
 * `PeerUnavailable` if it still has steps with that peer, and ignores it otherwise.
 */
export const unavailableSite = "~unavailable"

/**
 * `effect`, or the failure `onTimeout()` once `ms` have passed (by the Clock). A race rather
 * than `Effect.timeoutFail`, which, interrupted, waits for its timer to fire first (Effect
 * 3.22): a role interrupted while it waits must stop at once.
 */
export const within = <A, E, R, E2>(effect: Effect.Effect<A, E, R>, ms: number, onTimeout: () => E2): Effect.Effect<A, E | E2, R> =>
  Effect.raceFirst(effect, Effect.flatMap(Effect.sleep(ms), () => Effect.fail(onTimeout())))

/**
 * The control frames of timeouts and sagas, on the lane the step is on: the verdicts the
 * deciding role sends (a timeout's `~timeout` / `~intime`, a saga's `~compensate` /
 * `~commit`), and the reports the other roles of a saga send its owner about their forward
 * part (`~forwarded`, `~abort`). Each names its run in its payload, `{ run }`.
 */
export const timedOutLabel = "~timeout"
export const inTimeLabel = "~intime"
export const compensateLabel = "~compensate"
export const commitLabel = "~commit"
export const forwardedLabel = "~forwarded"
export const abortLabel = "~abort"
const controlLabels = new Set([timedOutLabel, inTimeLabel, compensateLabel, commitLabel, forwardedLabel, abortLabel])
/** (A protocol's own labels never begin with '~': one character rules out nearly every frame before the set is looked in.) */
const isVerdict = (label: string): boolean => label.charCodeAt(0) === 126 && controlLabels.has(label)
/** The verdict a control label says: "timeout" for a timeout's and a saga's way out, "intime" for going on. */
const verdictOf = (label: string): Verdict => (label === timedOutLabel || label === compensateLabel ? "timeout" : "intime")
const verdictLabel = (state: TimeoutState, verdict: Verdict): string =>
  state.trigger === "clock" ? (verdict === "timeout" ? timedOutLabel : inTimeLabel) : (verdict === "timeout" ? compensateLabel : commitLabel)

/** The run of a timeout a verdict is about (its payload `{ run }`), or `undefined` when it names none. */
const verdictRun = (e: Envelope): number | undefined => {
  try {
    const run = typeof e.payload === "object" && e.payload !== null ? (e.payload as { readonly run?: unknown }).run : undefined
    return typeof run === "number" && Number.isSafeInteger(run) && run >= 0 ? run : undefined
  } catch {
    return undefined
  }
}

/** A timeout's verdict, as the role that decides it says. */
export type Verdict = "intime" | "timeout"

/** The channel and first state of a role's part of a timeout's body or fallback. */
export interface Part {
  readonly channel: Channel
  readonly start: LState
}

/** Where a part the role has no action in starts: at its end. */
const noPart: EndState = { kind: "end", id: -1 }

/** The payload of a failure notice: what the failed role says of its failure. */
const Notice = Schema.Struct({
  reason: Schema.String.pipe(Schema.maxLength(200)),
  cause: Schema.String.pipe(Schema.maxLength(2000)),
  retryable: Schema.Boolean
})
const decodeNotice = Schema.decodeUnknownEither(Notice)

/** What a notice says, or that it did not say (a payload that does not decode, or cannot even be read). */
const readNotice = (payload: unknown): typeof Notice.Type => {
  try {
    const decoded = decodeNotice(payload)
    if (Either.isRight(decoded)) return decoded.right
  } catch {
    // A getter that throws: a notice that says nothing.
  }
  return { reason: "unknown", cause: "(the notice did not say why)", retryable: false }
}

/**
 * A failure in bounded words: its tag (or "interrupted", "defect"), its message, whether it is
 * retryable. A `PeerFailed` passed on keeps the reason it was given, so that a peer two hops
 * from a stopped (or interrupted, or timed-out) role hears `Stopped` too, not only `PeerFailed`.
 */
const summarise = (cause: Cause.Cause<unknown>): typeof Notice.Type => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const e = failure.value
    if (e instanceof PeerFailed) return { reason: clip(e.reason, 200), cause: clip(e.message, 1000), retryable: e.retryable }
    const tag = typeof e === "object" && e !== null && "_tag" in e && typeof e._tag === "string" ? e._tag : "failure"
    const message = typeof e === "object" && e !== null && "message" in e && typeof e.message === "string" ? e.message : quote(e)
    return { reason: clip(tag, 200), cause: clip(message, 1000), retryable: isRetryable(e) }
  }
  if (Cause.isInterruptedOnly(cause)) return { reason: "interrupted", cause: "the role was interrupted", retryable: false }
  const defect = Cause.dieOption(cause)
  return { reason: "defect", cause: clip(Option.isSome(defect) ? String(defect.value) : "the role died", 1000), retryable: false }
}

export interface Received {
  readonly label: string
  readonly payload: unknown
  readonly next: LState
  /** The frame's site, and the rounds of its loops (for a handler's context). */
  readonly site: string
  readonly loops: Readonly<Record<string, number>>
}

/**
 * Whether a step's answer (`sendNow`, `selectNow`: a state, or the Effect still to run) is the
 * state. Every local state has a `kind` and no Effect has one, so one property read tells them
 * apart where `isEffect`'s `EffectTypeId in` missed across the states' many shapes: about 5 % of
 * a ping-pong round trip.
 */
export const isState = <E>(u: LState | Effect.Effect<unknown, E>): u is LState => (u as LState).kind !== undefined

/** Whether a receive's answer (`receiveBuffered`, `receiveFrame`) is the frame taken, not the failure: only a `Received` has `next`. */
export const isReceived = <E>(u: Received | Effect.Effect<unknown, E>): u is Received => (u as Received).next !== undefined

type Parse = (u: unknown) => Either.Either<unknown, ParseResult.ParseError>

/** What a channel keeps per peer: one map lookup per frame finds all of it. */
interface Peer {
  /** The sequence number of the next frame to this peer. */
  sent: number
  /** The sequence number of the next frame expected from this peer. */
  received: number
  /** Frames from this peer that arrived before the role was ready for them, oldest first (also in `pending`). */
  early: Array<Envelope> | undefined
  /** Sequence numbers of this peer's frames that were verdicts of timeouts the role had left (dropped, not waited for). */
  skips: Set<number> | undefined
}

/** A loop counter: `undefined` when the role cannot know it (paths that disagree). */
interface Counter {
  n: number | undefined
}

/** What every channel of a protocol may share: its roles, and its Schema parsers (made on first use). */
interface PerProtocol {
  readonly roles: ReadonlySet<string>
  readonly encoders: Map<string, Parse>
  readonly decoders: Map<string, Parse>
}

const protocols = new WeakMap<Any, PerProtocol>()

/** Made once per protocol, not once per channel: a short session makes two channels or more. */
const perProtocol = (protocol: Any): PerProtocol => {
  let p = protocols.get(protocol)
  if (p === undefined) {
    p = { roles: new Set(protocol.roles), encoders: new Map(), decoders: new Map() }
    protocols.set(protocol, p)
  }
  return p
}

export class Channel {
  private readonly peers = new Map<string, Peer>()
  /** The `early` lists, by peer, in the order their first frame arrived. */
  private pending: Map<string, Array<Envelope>> | undefined = undefined
  /** How many frames the `early` lists hold. */
  private earlyCount = 0
  /** Steps a hand-written program took inline since it last went through Effect's run loop (src/runtime/program.ts). */
  inlineSteps = 0
  /** `Role.program`'s wait for its receives on this channel, made on its first (src/runtime/program.ts, `Receiver`). */
  programReceiver: unknown = undefined
  /** The state the role is at (as far as this channel has followed it). */
  private at: LState | undefined = undefined
  /** The channels of this role's parallel branches open now (they leave the set at their end). */
  private children: Set<Channel> | undefined = undefined
  /** The channel whose parallel opened this one's lane. */
  private parent: Channel | undefined = undefined
  private readonly counters = new Map<string, Counter>()
  private readonly roles: ReadonlySet<string>
  /** The receive state of the current wait. */
  private waitingAt: RecvState | undefined = undefined
  private readonly deliver: SynchronousSend | undefined
  /** The transport's mailbox of this role and lane, when the channel may take from it directly. */
  private readonly inbox: Inbox | undefined
  /** The protocol's Schema encoders and decoders by label, shared by its channels (see `perProtocol`). */
  private readonly encoders: Map<string, Parse>
  private readonly decoders: Map<string, Parse>

  constructor(
    readonly protocol: Any,
    readonly role: string,
    readonly session: string,
    private readonly transport: TransportService,
    /** Decode (and encode) payloads with their Schemas. */
    private readonly validate: boolean,
    /** The session parameters: the number of rounds of each `repeat`. */
    private readonly params: Readonly<Record<string, number>> = {},
    /** The lane: "" for the role's main line, else a branch of one run of a parallel. */
    readonly lane: string = "",
    /** Where to record every send, receive, choice and round; `undefined` records nothing. */
    private readonly trace: TraceSinkService | undefined = undefined,
    /** How long a receive may wait for a frame (ms) before failing with `Timeout`; `undefined`: for ever. */
    private readonly receiveTimeout: number | undefined = undefined,
    /** A durable role's journal and commits (`Role.resume`); `undefined` for a role that is not durable. */
    readonly durable: Durability | undefined = undefined
  ) {
    const shared = perProtocol(protocol)
    this.roles = shared.roles
    this.encoders = shared.encoders
    this.decoders = shared.decoders
    // A transport whose mailboxes a channel may take from directly (in memory): a role that is
    // not durable takes its frames there, and names the failure of a wait itself.
    const inboxes = durable === undefined ? inboxOf(transport) : undefined
    this.inbox = inboxes === undefined ? undefined : lane === "" ? inboxes(session, role) : inboxes(session, role, lane)
    this.deliver = durable === undefined ? synchronousSendOf(transport) : undefined
    if (this.inbox === undefined) {
      const live = lane === "" ? transport.receive(session, role) : transport.receive(session, role, lane)
      // A durable role takes frames from its journal first, and commits before it waits for one.
      this.receiveAnyMade = durable === undefined ? live : durable.receive(lane, live)
      // Made once: a transport failure names the state the role was waiting at (`waitingAt`).
      // (A durable role's commit before the wait fails with its own errors: those go as they are.)
      this.receiveAtMade = fairly(Effect.mapError(this.receiveAnyMade, (e) => (e._tag === "TransportError" ? this.whileWaiting(this.waitingAt!, e) : e)))
    }
    // Over an inbox both are made on first use: a role of `Role.implement` waits through `waitFor`.
  }

  private receiveAnyMade: Effect.Effect<Envelope, TransportError> | undefined = undefined
  private receiveAtMade: Effect.Effect<Envelope, TransportError> | undefined = undefined

  /** The next envelope addressed to this role, from any peer. */
  get receiveAny(): Effect.Effect<Envelope, TransportError> {
    return this.receiveAnyMade ??= this.inbox!.take
  }

  /**
   * `receiveAny` (or a take from `inbox`), its failures naming what the role waits for at
   * `waitingAt`. Taking from the inbox, the wait is `waitStep`'s, as `waitFor`'s is, going on
   * with the frame itself; else an `Effect.mapError` names the failure.
   */
  private get receiveAt(): Effect.Effect<Envelope, TransportError> {
    if (this.receiveAtMade !== undefined) return this.receiveAtMade
    const inbox = this.inbox!
    const check: Effect.Effect<Envelope, TransportError> = Effect.suspend(() => {
      const e = inbox.poll()
      return e !== undefined ? Effect.succeed(e) : receiveAt
    })
    const again = inbox.waitThen(check)
    const receiveAt = this.receiveAtMade = Effect.suspend(() => this.waitStep(inbox, this.waitingAt!, check, again))
    return receiveAt
  }

  /** Sends a frame: through the transport, or, for a durable role, into its next commit (or not again, on replay). */
  private emit(envelope: Envelope): Effect.Effect<void, TransportError> {
    if (this.durable === undefined) return this.transport.send(envelope)
    return this.durable.send(this.lane, envelope) ?? this.durable.commit(false)
  }

  /** How many times the role has entered each parallel (by site): part of the lanes' names. */
  private parallelRuns: Map<string, number> | undefined = undefined

  // The maps a role may never need are made on first use (a session of two roles made 8 maps
  // fewer): `pending`, `children`, `parallelRuns`, `decided`.
  private runsMade() {
    return this.parallelRuns ??= new Map()
  }
  private childrenMade() {
    return this.children ??= new Set()
  }
  private pendingMade() {
    return this.pending ??= new Map()
  }
  private decidedMade() {
    return this.decided ??= new Map()
  }

  /**
   * Opens the lanes of a parallel: a sub-channel for each branch the role is in, with its
   * first state. A lane is named by the branch and by how many times the role entered this
   * parallel before (the same count for every role in the branch), so that the frames of a
   * parallel inside a loop never meet those of another round.
   */
  branches(state: ParState): Array<Part> {
    const run = this.entered(state.site)
    return state.branches.map((b) => {
      const channel = this.sublane(`${state.site}.${b.index}#${run}`)
      return { channel, start: channel.follow(b.automaton.initial) }
    })
  }

  /** Counts one more entry into the parallel, timeout or saga at `site`: the run that names its lanes. */
  private entered(site: string): number {
    const run = this.parallelRuns?.get(site) ?? 0
    this.runsMade().set(site, run + 1)
    return run
  }

  /** A channel of this role on the lane `name` below this one's, told of this role's failure with it. */
  private sublane(name: string): Channel {
    const channel = new Channel(
      this.protocol,
      this.role,
      this.session,
      this.transport,
      this.validate,
      this.params,
      `${this.lane === "" ? "" : `${this.lane}/`}${name}`,
      this.trace,
      this.receiveTimeout,
      this.durable
    )
    channel.parent = this
    this.childrenMade().add(channel)
    return channel
  }

  /** Enters a timeout: the run count that names its lanes (the same for every role). */
  enterTimeout(state: TimeoutState): number {
    return this.entered(state.site)
  }

  /**
   * Opens the lane of the role's part of a timeout's body or fallback (one that ends at once
   * when the role has no action in it). Frames of a body the role has left stay on that lane:
   * they are never delivered into the fallback.
   */
  timeoutPart(state: TimeoutState, which: "body" | "fallback", run: number): Part {
    const channel = this.sublane(`${state.site}#${run}/${which}`)
    const automaton = which === "body" ? state.body : state.fallback
    return { channel, start: automaton === undefined ? noPart : channel.follow(automaton.initial) }
  }

  /** The role has left `part` (its body, abandoned): no notices go on its lane any more. */
  leave(part: Part): void {
    this.children?.delete(part.channel)
  }

  /**
   * The deciding role tells `to` its verdict on run `run` of a timeout, on this lane, numbered
   * with its other frames (the run tells a verdict that comes early from one that comes late).
   */
  sendVerdict(state: TimeoutState, run: number, to: string, verdict: Verdict): Effect.Effect<void, TransportError> {
    const envelope: Envelope = {
      session: this.session,
      from: this.role,
      to,
      label: verdictLabel(state, verdict),
      site: state.site,
      loops: noLoops,
      seq: this.peer(to).sent++,
      payload: { run }
    }
    return this.emit(this.lane === "" ? envelope : { ...envelope, lane: this.lane })
  }

  /**
   * Records the deciding role's verdict (a `Choice` of branch "intime" or "timeout" for a
   * timeout, "committed" or "compensated" for a saga), or a saga role's report ("forwarded",
   * "aborted").
   */
  traceVerdict(state: TimeoutState, branch: string): void {
    const trace = this.trace
    if (trace === undefined) return
    const event: TraceEventInput = { _tag: "Choice", session: this.session, role: this.role, label: state.name, branch, site: state.site, lane: this.lane === "" ? undefined : this.lane }
    // Observed, a verdict is a timeout's or a saga's own span event; for a `TraceSink` it is a `Choice`.
    if (trace instanceof Observer) trace.verdict(event, state.trigger === "failure" ? "saga" : "timeout")
    else trace.record(event)
  }

  /** A saga role reports to the owner how its forward part went, on this lane, numbered with its other frames. */
  sendReport(state: TimeoutState, run: number, report: "forwarded" | "aborted"): Effect.Effect<void, TransportError> {
    this.traceVerdict(state, report)
    const envelope: Envelope = {
      session: this.session,
      from: this.role,
      to: state.at,
      label: report === "forwarded" ? forwardedLabel : abortLabel,
      site: state.site,
      loops: noLoops,
      seq: this.peer(state.at).sent++,
      payload: { run }
    }
    return this.emit(this.lane === "" ? envelope : { ...envelope, lane: this.lane })
  }

  /**
   * The owner of a saga collects the reports of its other roles: "abort" at the first abort
   * (or failure notice from one of them), "done" once every one has forwarded.
   */
  reports(state: TimeoutState, run: number): Effect.Effect<"abort" | "done", ProtocolViolation | PeerFailed | PeerUnavailable | TransportError | Timeout> {
    type Collected = Effect.Effect<"abort" | "done", ProtocolViolation | PeerFailed | PeerUnavailable | TransportError | Timeout>
    const waiting: RecvState = {
      kind: "recv",
      id: -1,
      peer: state.reporters.join(", "),
      options: new Map([[`the reports on saga '${state.name}'`, { label: forwardedLabel, sites: new Set([state.site]), next: undefined! }]])
    }
    const missing = new Set(state.reporters)
    const participants = new Set([...state.others])
    /** Takes a report of this run: the outcome when it decides one, else `undefined`. */
    const take = (e: Envelope): "abort" | "done" | undefined | Effect.Effect<never, ProtocolViolation> => {
      const peer = this.peer(e.from)
      this.skipped(peer)
      if (e.seq !== peer.received) return this.reject(waiting, e, `message number ${peer.received} from ${e.from}`, `wrong sequence number ${e.seq}`)
      peer.received++
      if (e.label === abortLabel) return "abort"
      missing.delete(e.from)
      return missing.size === 0 ? "done" : undefined
    }
    const isReport = (e: Envelope) =>
      (e.label === forwardedLabel || e.label === abortLabel) && missing.has(e.from) && e.site === state.site && verdictRun(e) === run
    // Reports that came before the owner got here wait among their senders' early frames.
    for (const r of state.reporters) {
      this.dropStaleEarly(r, { site: state.site, run })
      const early = this.takeEarly(r, isReport)
      if (early !== undefined) {
        const taken = take(early)
        if (taken !== undefined) return typeof taken === "string" ? Effect.succeed(taken) : taken
      }
    }
    if (missing.size === 0) return Effect.succeed("done")
    const next: Collected = Effect.flatMap(this.waitFrame(waiting), (e): Collected => {
      if (this.durable !== undefined && this.duplicate(e)) return next
      if (e.label === failureLabel) {
        // A role of the saga that fails outright is as good as an abort.
        if (participants.has(e.from)) {
          const notice = this.peerFailed(waiting, e)
          return Effect.catchTags(notice, { PeerFailed: () => Effect.succeed("abort" as const), PeerUnavailable: () => Effect.succeed("abort" as const) })
        }
        return this.peerFailed(waiting, e)
      }
      if (isVerdict(e.label)) {
        const wrong = this.unknownSender(waiting, e) ?? this.misaddressed(waiting, e)
        if (wrong !== undefined) return wrong
        if (isReport(e)) {
          const taken = take(e)
          return taken === undefined ? next : typeof taken === "string" ? Effect.succeed(taken) : taken
        }
        return this.verdictElsewhere(waiting, e) ?? next
      }
      return this.keepEarly(waiting, e) ?? next
    })
    return next
  }

  /**
   * Waits on this lane for the verdict of the role that decides `state`, keeping any other
   * frame for later (frames of what follows the timeout may come first); no receive timeout
   * (the role's part of the body may take long: see `withinReceiveTimeout`). A failure notice
   * fails the role with `PeerFailed`.
   */
  verdict(state: TimeoutState, run: number): Effect.Effect<Verdict, ProtocolViolation | PeerFailed | PeerUnavailable | TransportError | Timeout> {
    type Waited = Effect.Effect<Verdict, ProtocolViolation | PeerFailed | PeerUnavailable | TransportError | Timeout>
    const waiting: RecvState = {
      kind: "recv",
      id: -1,
      peer: state.at,
      options: new Map([[`the verdict of timeout '${state.name}'`, { label: timedOutLabel, sites: new Set([state.site]), next: undefined! }]])
    }
    /** The verdict of this run, taken; the failure when `e` is no good verdict. */
    const take = (e: Envelope): Verdict | Effect.Effect<never, ProtocolViolation> => {
      const peer = this.peer(e.from)
      this.skipped(peer)
      if (e.seq !== peer.received) return this.reject(waiting, e, `message number ${peer.received} from ${e.from}`, `wrong sequence number ${e.seq}`)
      peer.received++
      const verdict = verdictOf(e.label)
      // Observed, the verdict a role is told is a span event of its own (the trace keeps the decider's `Choice`).
      if (this.trace instanceof Observer) {
        const saga = state.trigger === "failure"
        const branch = saga ? (verdict === "intime" ? "committed" : "compensated") : verdict
        const lane = this.lane === "" ? undefined : this.lane
        this.trace.told({ _tag: "Choice", session: this.session, role: this.role, peer: e.from, label: state.name, branch, site: state.site, lane, seq: e.seq }, saga ? "saga" : "timeout")
      }
      return verdict
    }
    // The verdict may have come before the role got here: then it waits among the decider's early frames.
    this.dropStaleEarly(state.at, { site: state.site, run })
    const early = this.takeEarly(state.at, (e) =>
      (e.label === verdictLabel(state, "intime") || e.label === verdictLabel(state, "timeout")) && e.site === state.site && verdictRun(e) === run)
    if (early !== undefined) {
      const taken = take(early)
      return typeof taken === "string" ? Effect.succeed(taken) : taken
    }
    const next: Waited = Effect.flatMap(
      (this.waitingAt = waiting, this.receiveAt),
      (e): Waited => {
        if (this.durable !== undefined && this.duplicate(e)) return next
        if (e.label === failureLabel) {
          // In a saga, another role's failure is for the owner to act on: this role waits on for its verdict.
          if (state.trigger === "failure" && e.from !== state.at && state.roles.has(e.from)) {
            const noted = this.notedFailure(waiting, e)
            return noted ?? next
          }
          return this.peerFailed(waiting, e)
        }
        if (isVerdict(e.label)) {
          const wrong = this.unknownSender(waiting, e) ?? this.misaddressed(waiting, e)
          if (wrong !== undefined) return wrong
          const r = verdictRun(e)
          if (e.from === state.at && e.site === state.site && r === run && (e.label === verdictLabel(state, "intime") || e.label === verdictLabel(state, "timeout"))) {
            const taken = take(e)
            return typeof taken === "string" ? Effect.succeed(taken) : taken
          }
          return this.verdictElsewhere(waiting, e) ?? next
        }
        // Anything else, from the deciding role or another, waits for later among the early frames.
        return this.keepEarly(waiting, e) ?? next
      }
    )
    return next
  }

  /** Follows a transition of the role's automaton (after a parallel, to what follows it). */
  enter(t: Transition): LState {
    return this.follow(t)
  }

  /** Enters the role's local automaton; returns its first state. */
  start(): LState {
    const restored = this.restoredAt
    if (restored !== undefined) {
      this.restoredAt = undefined
      return restored
    }
    return this.follow(this.protocol["~graph"].locals.get(this.role)!.initial)
  }

  /** Where a restored channel starts (`restore`), once. */
  private restoredAt: LState | undefined = undefined

  /**
   * The channel as plain data, when it is at the top level of its protocol (no branch of a
   * parallel, timeout or saga open); `undefined` elsewhere. `state` is the role's user state, encoded.
   */
  snapshot(state?: unknown): Snapshot | undefined {
    const at = this.at
    // At a parallel, timeout or saga the role is inside it (or has just left its branches):
    // only the journal since the last snapshot says where.
    if (at === undefined || (this.children?.size ?? 0) > 0 || this.lane !== "" || at.kind === "par" || at.kind === "timeout") return undefined
    const peers: Array<Snapshot["peers"][number]> = []
    // Peers with early frames first, in the order their first frame came (the order `pending` keeps).
    const names = [...new Set([...(this.pending?.keys() ?? []), ...this.peers.keys()])]
    for (const name of names) {
      const p = this.peers.get(name)!
      peers.push({ name, sent: p.sent, received: p.received, early: p.early ?? [], skips: p.skips === undefined ? [] : [...p.skips] })
    }
    return {
      at: at.id,
      counters: [...this.counters].map(([loop, c]) => [loop, c.n ?? null] as const),
      deferred: this.deferred === undefined ? null : [...this.deferred].map(([label, ops]) => [label, ops.map((o) => ({ loop: o.loop, op: o.op, n: o.n }))] as const),
      peers,
      runs: [...(this.parallelRuns ?? [])],
      abandoned: this.abandoned === undefined ? [] : [...this.abandoned],
      ...(state === undefined ? {} : { state })
    }
  }

  /** Puts a fresh root channel where `snapshot` says; `start()` then returns that state. False when the snapshot does not fit the automaton. */
  restore(snapshot: Snapshot): boolean {
    const states = this.protocol["~graph"].locals.get(this.role)!.states
    const at = states[snapshot.at]
    if (at === undefined || at.id !== snapshot.at) return false
    for (const [loop, n] of snapshot.counters) this.counters.set(loop, { n: n ?? undefined })
    this.deferred = snapshot.deferred === null ? undefined : new Map(snapshot.deferred.map(([l, ops]) => [l, ops]))
    for (const p of snapshot.peers) {
      const early = p.early.length > 0 ? [...p.early] : undefined
      this.peers.set(p.name, { sent: p.sent, received: p.received, early, skips: p.skips.length > 0 ? new Set(p.skips) : undefined })
      if (early !== undefined) {
        this.pendingMade().set(p.name, early)
        this.earlyCount += early.length
      }
    }
    for (const [site, n] of snapshot.runs) this.runsMade().set(site, n)
    if (snapshot.abandoned.length > 0) this.abandoned = new Set(snapshot.abandoned)
    this.at = at
    this.restoredAt = at
    return true
  }

  /**
   * A frame a durable role has had already (its number is below the next one due from its
   * sender on this lane): sent again by a peer resumed after a crash. Dropped and recorded.
   */
  private duplicate(e: Envelope): boolean {
    if (this.durable === undefined || e.from === this.role || !this.roles.has(e.from)) return false
    const p = this.peers.get(e.from)
    if (p === undefined || e.seq >= p.received + (p.early?.length ?? 0)) return false
    if ((e.lane ?? "") !== this.lane || e.session !== this.session || e.to !== this.role) return false
    this.trace?.record({ _tag: "Duplicate", session: this.session, role: this.role, peer: e.from, label: e.label, site: e.site, lane: e.lane, seq: e.seq, reason: "resent" })
    return true
  }

  /** A durable role journals its verdict on a timeout or saga. */
  recordVerdict(state: TimeoutState, run: number, verdict: Verdict): void {
    this.durable?.recordVerdict(this.lane, state.site, run, verdict)
  }

  /** The verdict a resumed role gave before on run `run` of `state`, from its journal. */
  replayedVerdict(state: TimeoutState, run: number): Verdict | undefined {
    return this.durable?.replayedVerdict(this.lane, state.site, run)
  }

  /** Waits until `part`'s lanes have nothing left to replay (a resumed role re-enacting a body it left when its clock ran out). */
  replayed(part: Part): Effect.Effect<void> {
    return this.durable === undefined ? Effect.void : this.durable.drained(part.channel.lane)
  }

  private peer(name: string): Peer {
    let p = this.peers.get(name)
    if (p === undefined) {
      p = { sent: 0, received: 0, early: undefined, skips: undefined }
      this.peers.set(name, p)
    }
    return p
  }

  private follow(t: Transition): LState {
    this.apply(t.effect)
    this.deferred = t.byLabel
    this.at = t.target
    return t.target
  }

  /** The effect on loop counters of each label of the receive the role is at, when they differ. */
  private deferred: ReadonlyMap<string, ReadonlyArray<CounterOp>> | undefined = undefined

  private apply(effect: ReadonlyArray<CounterOp>): void {
    for (let i = 0; i < effect.length; i++) {
      const e = effect[i]
      let c = this.counters.get(e.loop)
      if (c === undefined) {
        c = { n: undefined }
        this.counters.set(e.loop, c)
      }
      c.n = e.op === "set" ? e.n : e.op === "add" && c.n !== undefined ? c.n + e.n : undefined
    }
  }

  private counter(loop: string): number | undefined {
    return this.counters.get(loop)?.n
  }

  /** How many times every loop the channel counts has gone round (for a handler's context). */
  roundsDone(): Readonly<Record<string, number>> {
    const out: Record<string, number> = {}
    for (const [loop, c] of this.counters) if (c.n !== undefined) setOwn(out, loop, c.n)
    return out
  }

  /** How many times each of `loops` has gone round, as far as the channel knows (for sends, and a handler's context). */
  loopsAt(loops: ReadonlyArray<string>): Readonly<Record<string, number>> {
    if (loops.length === 0) return noLoops
    const out: Record<string, number> = {}
    for (let i = 0; i < loops.length; i++) {
      const l = loops[i]
      const c = this.counter(l)
      if (c !== undefined) setOwn(out, l, c)
    }
    return out
  }

  /** The Schema encoder (or decoder) of a label, made once per channel and label. */
  private parser(cache: Map<string, Parse>, label: string, encode: boolean): Parse {
    let p = cache.get(label)
    if (p === undefined) {
      const schema = own(this.protocol.messages, label)!
      p = encode ? Schema.encodeUnknownEither(schema) : Schema.decodeUnknownEither(schema)
      cache.set(label, p)
    }
    return p
  }

  /** Encodes the payload (when validating) and numbers the frame for a send state. */
  private envelope(state: SendState, payload: unknown): Envelope | Effect.Effect<never, ImplementationError> {
    let wire = payload
    if (this.validate) {
      const encoded = this.parser(this.encoders, state.label, true)(payload)
      if (Either.isLeft(encoded)) {
        return Effect.fail(
          new ImplementationError({
            protocol: this.protocol.name,
            role: this.role,
            site: state.site,
            message: `${this.role} tried to send ${state.label} to ${state.peer} at site ${state.site} with a payload that does not match its schema: ${formatIssue(encoded.left.issue)}`
          })
        )
      }
      wire = encoded.right
    }
    const seq = this.peer(state.peer).sent++
    const envelope: Envelope = {
      session: this.session,
      from: this.role,
      to: state.peer,
      label: state.label,
      site: state.site,
      loops: this.loopsAt(state.siteLoops),
      seq,
      payload: wire
    }
    return this.lane === "" ? envelope : { ...envelope, lane: this.lane }
  }

  /**
   * Sends the payload of a send state now. Returns the next state when the frame has been
   * delivered already (a synchronous transport), otherwise an Effect that sends it and
   * returns the next state.
   */
  sendNow(state: SendState, payload: unknown): LState | Effect.Effect<LState, TransportError | ImplementationError> {
    const envelope = this.envelope(state, payload)
    if (isEffect(envelope)) return envelope
    if (this.trace !== undefined) this.traceSend(envelope)
    const next = this.follow(state.next)
    if (this.deliver !== undefined) {
      const rest = this.deliver(envelope)
      return rest === undefined ? next : Effect.as(rest, next)
    }
    if (this.durable !== undefined) {
      // A durable role's frame goes out with the commit that follows it (not at the role's next
      // wait: another of its lanes, or a wait that is no receive, may come first).
      const failed = this.durable.send(this.lane, envelope)
      return failed === undefined ? Effect.as(this.durable.commit(false), next) : failed
    }
    return Effect.as(this.transport.send(envelope), next)
  }

  send(state: SendState, payload: unknown): Effect.Effect<LState, TransportError | ImplementationError> {
    const envelope = this.envelope(state, payload)
    if (isEffect(envelope)) return envelope
    if (this.trace !== undefined) this.traceSend(envelope)
    const next = this.follow(state.next)
    return Effect.as(this.emit(envelope), next)
  }

  /** Takes a branch of a select state: the next state, or the failure when there is no such branch. */
  selectNow(state: SelectState, branch: string): LState | Effect.Effect<never, ImplementationError> {
    const t = state.branches.get(branch)
    if (t === undefined) return Effect.fail(this.noBranch(state, branch))
    if (this.trace !== undefined) this.traceChoice(state, branch)
    return this.follow(t)
  }

  /** Goes round a `repeat` again, or leaves it, by the round count and the session parameter. */
  rounds(state: RoundsState): Either.Either<{ readonly again: boolean; readonly round: number; readonly next: LState }, ImplementationError> {
    const n = own(this.params, state.param)
    const done = state.decisions === true ? (this.decided?.get(state.param) ?? 0) : this.counter(state.param)
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || done === undefined) {
      return Either.left(
        new ImplementationError({
          protocol: this.protocol.name,
          role: this.role,
          site: state.site,
          message: done === undefined
            ? `${this.role} does not know how many rounds of '${state.param}' are done (site ${state.site})`
            : `${this.role} needs the session parameter '${state.param}' (a whole number of rounds) for repeat at site ${state.site}; give it in the params of Session.run or Role.run`
        })
      )
    }
    if (this.trace !== undefined) {
      this.trace.record({ _tag: "Round", session: this.session, role: this.role, label: state.param, branch: done < n ? "again" : "done", site: state.site, lane: this.lane === "" ? undefined : this.lane })
    }
    if (state.decisions === true) this.decidedMade().set(state.param, done < n ? done + 1 : 0)
    return Either.right({ again: done < n, round: done, next: this.follow(done < n ? state.again : state.done) })
  }

  /** The rounds of each `repeat` a declared local type has decided since its last `done`, by parameter. */
  private decided: Map<string, number> | undefined = undefined

  select(state: SelectState, branch: string): Either.Either<LState, ImplementationError> {
    const t = state.branches.get(branch)
    if (t === undefined) return Either.left(this.noBranch(state, branch))
    if (this.trace !== undefined) this.traceChoice(state, branch)
    return Either.right(this.follow(t))
  }

  private traceSend(e: Envelope): void {
    this.trace!.record({ _tag: "Send", session: this.session, role: this.role, peer: e.to, label: e.label, site: e.site, lane: e.lane, seq: e.seq })
  }

  private traceChoice(state: SelectState, branch: string): void {
    this.trace!.record({ _tag: "Choice", session: this.session, role: this.role, label: state.choice, branch, site: state.site, lane: this.lane === "" ? undefined : this.lane })
  }

  private noBranch(state: SelectState, branch: string): ImplementationError {
    return new ImplementationError({
      protocol: this.protocol.name,
      role: this.role,
      site: state.site,
      message: `${this.role} chose branch '${quote(branch)}' of choice '${state.choice}' at site ${state.site}, which has only ${[...state.branches.keys()].map((b) => `'${b}'`).join(", ")}`
    })
  }

  /**
   * A frame from `state.peer` that arrived early, checked: the `Received`, or the failure;
   * `undefined` when there is none and the role must wait on `receiveAny`.
   */
  receiveBuffered(state: RecvState): Received | Effect.Effect<never, ProtocolViolation | DecodeError> | undefined {
    const early = this.peers.get(state.peer)?.early
    if (early === undefined) return undefined
    this.dropStaleEarly(state.peer)
    if (early.length > 0) {
      this.earlyCount--
      return this.acceptNow(state, early.shift()!)
    }
    return undefined
  }

  /**
   * Handles a frame taken from `receiveAny` while at `state`: the `Received`, or the failure;
   * `undefined` when it came early from another peer and was kept, and the role must wait again.
   */
  receiveFrame(
    state: RecvState,
    envelope: Envelope
  ): Received | Effect.Effect<never, ProtocolViolation | DecodeError | PeerFailed | PeerUnavailable> | undefined {
    if (this.durable !== undefined && this.duplicate(envelope)) return undefined
    if (envelope.label === failureLabel) {
      // A peer unreachable that the role has nothing more to do with does not matter to it.
      if (envelope.site === unavailableSite && envelope.from !== state.peer && !peersAhead(state).has(envelope.from)) return undefined
      return this.peerFailed(state, envelope)
    }
    if (isVerdict(envelope.label)) return this.verdictElsewhere(state, envelope)
    if (envelope.from === state.peer) return this.acceptNow(state, envelope)
    return this.keepEarly(state, envelope)
  }

  /** The failure for a frame from no peer of the role; `undefined` when its sender is one. */
  private unknownSender(state: RecvState, e: Envelope): Effect.Effect<never, ProtocolViolation> | undefined {
    if (this.roles.has(e.from) && e.from !== this.role) return undefined
    return this.reject(state, e, `a message from one of ${[...this.roles].filter((r) => r !== this.role).join(", ")}`, `unknown sender ${quote(e.from)}`)
  }

  /**
   * A verdict for another run of a timeout than the one the role waits on: one it has left
   * already (it needed no verdict, and its part of the body was over) is dropped and recorded,
   * its sequence number skipped; one of a run it has not entered yet is kept for then.
   * `undefined`, or the failure when the frame is no real one.
   */
  private verdictElsewhere(state: RecvState, e: Envelope): Effect.Effect<never, ProtocolViolation> | undefined {
    const wrong = this.unknownSender(state, e) ?? this.misaddressed(state, e)
    if (wrong !== undefined) return wrong
    const run = verdictRun(e)
    if (run === undefined) return this.reject(state, e, "a verdict that names its run", "no run in the verdict")
    // A run the role has not entered yet: the verdict came early, and waits for it.
    if (run >= (this.parallelRuns?.get(e.site) ?? 0)) return this.keepEarly(state, e)
    const peer = this.peer(e.from)
    if (e.seq < peer.received || peer.skips?.has(e.seq) === true) {
      return this.reject(state, e, `message number ${peer.received} or later from ${e.from}`, `sequence number ${e.seq} used already`)
    }
    if (peer.skips === undefined) peer.skips = new Set()
    if (peer.skips.size >= maxEarlyFrames) {
      return this.reject(state, e, `at most ${maxEarlyFrames} stale verdicts`, `${maxEarlyFrames} stale verdicts from ${e.from} are skipped already`)
    }
    peer.skips.add(e.seq)
    this.trace?.record({ _tag: "Drop", session: this.session, role: e.from, peer: this.role, label: e.label, site: e.site, lane: e.lane, seq: e.seq, reason: "late" })
    return undefined
  }

  /** Skips the sequence numbers of stale verdicts from `peer` that are next. */
  private skipped(peer: Peer): void {
    while (peer.skips !== undefined && peer.skips.delete(peer.received)) peer.received++
  }

  /** `effect` (a wait for the verdict of `state`), failing with `Timeout` after the role's receive timeout. */
  withinReceiveTimeout<A, E, R>(effect: Effect.Effect<A, E, R>, state: TimeoutState): Effect.Effect<A, E | Timeout, R> {
    const ms = this.receiveTimeout
    if (ms === undefined) return effect
    return within(effect, ms, () =>
      new Timeout({
        role: this.role,
        peer: state.at,
        label: `the verdict of ${state.trigger === "clock" ? "timeout" : "saga"} '${state.name}'`,
        site: state.site,
        message: `${this.role} waited ${ms} ms for the verdict of ${state.trigger === "clock" ? "timeout" : "saga"} '${state.name}' from ${state.at} (site ${state.site}${this.lane === "" ? "" : `, lane ${this.lane}`}) and nothing came`
      }))
  }

  /**
   * Drops the control frames kept among `from`'s early frames for a run of a step the role has
   * left since (a verdict it needed not wait for, a report that came after its owner had
   * decided): their numbers are skipped.
   */
  private dropStaleEarly(from: string, current?: { readonly site: string; readonly run: number }): void {
    const peer = this.peers.get(from)
    const early = peer?.early
    if (peer === undefined || early === undefined) return
    for (let i = 0; i < early.length; i++) {
      const e = early[i]
      if (!isVerdict(e.label)) continue
      const run = verdictRun(e)
      if (run === undefined || run >= (this.parallelRuns?.get(e.site) ?? 0)) continue
      if (current !== undefined && current.site === e.site && current.run === run) continue
      early.splice(i--, 1)
      this.earlyCount--
      if (peer.skips === undefined) peer.skips = new Set()
      peer.skips.add(e.seq)
      this.trace?.record({ _tag: "Drop", session: this.session, role: e.from, peer: this.role, label: e.label, site: e.site, lane: e.lane, seq: e.seq, reason: "late" })
    }
  }

  /** Takes out of `from`'s early frames the first that `fits`, wherever it is among them. */
  private takeEarly(from: string, fits: (e: Envelope) => boolean): Envelope | undefined {
    const early = this.peers.get(from)?.early
    if (early === undefined) return undefined
    const i = early.findIndex(fits)
    if (i < 0) return undefined
    this.earlyCount--
    return early.splice(i, 1)[0]
  }

  /**
   * A failure notice of another role of a saga, while this one waits for the owner's verdict:
   * recorded, its number skipped, and the wait goes on (the owner compensates). The failure
   * when it is no real notice.
   */
  private notedFailure(state: RecvState, e: Envelope): Effect.Effect<never, ProtocolViolation> | undefined {
    const wrong = this.misaddressed(state, e)
    if (wrong !== undefined) return wrong
    const peer = this.peer(e.from)
    this.skipped(peer)
    if (e.seq < peer.received) return this.reject(state, e, `message number ${peer.received} or later from ${e.from}`, `sequence number ${e.seq} used already`)
    if (e.seq === peer.received) peer.received++
    this.trace?.record({ _tag: "PeerFailed", session: this.session, role: this.role, peer: e.from, site: [...state.options.values()].flatMap((o) => [...o.sites]).join(" | "), lane: e.lane, reason: readNotice(e.payload).reason })
    return undefined
  }

  /**
   * Keeps a frame that came before the role was ready for it (from a peer other than the one
   * it waits on, or ahead of a timeout's verdict); the failure when it is no frame to keep.
   */
  private keepEarly(state: RecvState, envelope: Envelope): Effect.Effect<never, ProtocolViolation> | undefined {
    // Only frames of this session, role and lane are kept for later: any other is wrong now.
    const wrong = this.unknownSender(state, envelope) ?? this.misaddressed(state, envelope)
    if (wrong !== undefined) return wrong
    if (this.earlyCount >= maxEarlyFrames) {
      return this.reject(
        state,
        envelope,
        `at most ${maxEarlyFrames} frames ahead of the protocol`,
        `${maxEarlyFrames} frames from peers it is not waiting on are kept already`
      )
    }
    // A message from another peer that arrived early: keep it for when the role gets there.
    const peer = this.peer(envelope.from)
    if (peer.early === undefined) {
      peer.early = []
      this.pendingMade().set(envelope.from, peer.early)
    }
    peer.early.push(envelope)
    this.earlyCount++
    return undefined
  }

  /**
   * The next frame addressed to this role while it is at `state`; with a receive timeout,
   * fails with `Timeout` (naming the peer, labels and site the role waits for) when none comes in time.
   */
  waitFrame(state: RecvState): Effect.Effect<Envelope, TransportError | Timeout> {
    this.waitingAt = state
    const ms = this.receiveTimeout
    if (ms === undefined) return this.receiveAt
    return within(this.receiveAt, ms, () => {
      const { labels, sites } = this.expecting(state)
      return new Timeout({
        role: this.role,
        peer: state.peer,
        label: labels,
        site: sites,
        message: `${this.role} waited ${ms} ms for ${labels} from ${state.peer} (site ${sites}${this.lane === "" ? "" : `, lane ${this.lane}`}) and nothing came`
      })
    })
  }

  /**
   * What `(state) => Effect.flatMap(this.waitFrame(state), k)` does, for a `k` called for every
   * frame of a run (so this is made once per run). Over an inbox and with no receive timeout,
   * the wait resumes straight into `k`: the mailbox's wake runs the step that takes the frame
   * and calls `k`, two Effect steps for a wait where the general path takes six (a role's
   * round trip in memory went from 14 Effect steps to 6; `fastest` takes 8).
   */
  waitFor<A, E, R>(k: (envelope: Envelope) => Effect.Effect<A, E, R>): (state: RecvState) => Effect.Effect<A, E | TransportError | Timeout, R> {
    const inbox = this.inbox
    if (inbox === undefined || this.receiveTimeout !== undefined) return (state) => Effect.flatMap(this.waitFrame(state), k)
    // Woken: the frame, unless another receiver of the mailbox took it first (then wait again).
    const check: Effect.Effect<A, E | TransportError, R> = Effect.suspend(() => {
      const e = inbox.poll()
      return e !== undefined ? k(e) : wait(this.waitingAt!)
    })
    const again = inbox.waitThen(check)
    const wait = (state: RecvState): Effect.Effect<A, E | TransportError, R> => this.waitStep(inbox, state, check, again)
    return wait
  }

  /**
   * The wait at `state` over `inbox`, going on with `check` (which takes the frame): `check`
   * when a frame is there, the mailbox's failure, a turn of the event loop when it is starved
   * (once in 2 048 waits at most), or `again` (the wait for the next frame, made once by
   * `waitFor` or `receiveAt`).
   */
  private waitStep<A, E, R>(
    inbox: Inbox,
    state: RecvState,
    check: Effect.Effect<A, E, R>,
    again: Effect.Effect<A, E, R>
  ): Effect.Effect<A, E | TransportError, R> {
    this.waitingAt = state
    // A frame there already is taken in a step of its own (not in this call: no recursion).
    // (This may be called well before the wait runs: the inbox's `waitThen` looks again when it does.)
    if (inbox.size > 0) return check
    const failed = inbox.failed
    if (failed !== undefined) return Effect.fail(this.whileWaiting(state, failed))
    // A turn of the event loop, when it is starved; then it looks again.
    if (starved()) return Effect.zipRight(turn, check)
    return again
  }

  private expecting(state: RecvState): { readonly labels: string; readonly sites: string } {
    return {
      labels: [...state.options.keys()].join(" | "),
      sites: [...new Set([...state.options.values()].flatMap((o) => [...o.sites]))].join(" | ")
    }
  }

  private whileWaiting(state: RecvState, e: TransportError): TransportError {
    const { labels, sites } = this.expecting(state)
    return new TransportError({
      role: this.role,
      peer: state.peer,
      message: `${this.role} was waiting for ${labels} from ${state.peer} (site ${sites}${this.lane === "" ? "" : `, lane ${this.lane}`}): ${e.message}`
    })
  }

  receive(state: RecvState): Effect.Effect<Received, ProtocolViolation | DecodeError | TransportError | Timeout | PeerFailed | PeerUnavailable> {
    const r = this.receiveBuffered(state)
    if (r !== undefined) return isReceived(r) ? Effect.succeed(r) : r
    return Effect.flatMap(this.waitFrame(state), (envelope) => {
      const r = this.receiveFrame(state, envelope)
      if (r === undefined) return this.receive(state)
      return isReceived(r) ? Effect.succeed(r) : r
    })
  }

  /** A failure notice came while at `state`: the role fails with `PeerFailed` (when the notice is a real one). */
  private peerFailed(state: RecvState, e: Envelope): Effect.Effect<never, ProtocolViolation | PeerFailed | PeerUnavailable> {
    if (!this.roles.has(e.from) || e.from === this.role) {
      return this.reject(state, e, `a message from one of ${[...this.roles].filter((r) => r !== this.role).join(", ")}`, `unknown sender ${quote(e.from)}`)
    }
    const wrong = this.misaddressed(state, e)
    if (wrong !== undefined) return wrong
    // Not a number used already (a replay); a later one is fine: frames before it may be lost.
    const from = this.peer(e.from)
    this.skipped(from)
    const due = from.received + (from.early?.length ?? 0)
    if (e.seq < due) return this.reject(state, e, `message number ${due} or later from ${e.from}`, `sequence number ${e.seq} used already`)
    const notice = readNotice(e.payload)
    const { labels, sites } = this.expecting(state)
    if (e.site === unavailableSite) {
      this.trace?.record({ _tag: "PeerFailed", session: this.session, role: this.role, peer: e.from, site: sites, lane: e.lane, reason: "PeerUnavailable" })
      return Effect.fail(
        new PeerUnavailable({
          role: this.role,
          peer: e.from,
          message: `${this.role} was waiting for ${labels} from ${state.peer} (site ${sites}${this.lane === "" ? "" : `, lane ${this.lane}`}) when ${e.from} became unavailable: ${notice.cause}`
        })
      )
    }
    if (this.trace !== undefined) {
      this.trace.record({ _tag: "PeerFailed", session: this.session, role: this.role, peer: e.from, site: sites, lane: e.lane, reason: notice.reason })
    }
    return Effect.fail(
      new PeerFailed({
        role: this.role,
        peer: e.from,
        site: sites,
        reason: notice.reason,
        cause: notice.cause,
        retryable: notice.retryable,
        message: `${this.role} was waiting for ${labels} from ${state.peer} (site ${sites}${this.lane === "" ? "" : `, lane ${this.lane}`}) when ${e.from} failed: ${notice.reason}: ${notice.cause}`
      })
    )
  }

  /**
   * Tells every peer the role still has steps with (but the one whose failure it fails with), on this lane and on each of its branches'
   * lanes open now, that it has failed with `cause`. Never fails: a notice that cannot be sent
   * is not sent.
   */
  notifyFailure(cause: Cause.Cause<unknown>): Effect.Effect<void> {
    const notice = summarise(cause)
    // A role that failed because a peer did need not tell that peer.
    const failure = Cause.failureOption(cause)
    const source = Option.isSome(failure) && failure.value instanceof PeerFailed ? failure.value.peer : undefined
    const frames: Array<Envelope> = []
    const collect = (channel: Channel) => {
      const at = channel.at
      if (at !== undefined && at.kind !== "end") {
        for (const to of peersAhead(at)) {
          if (to === source) continue
          const frame: Envelope = {
            session: channel.session,
            from: channel.role,
            to,
            label: failureLabel,
            site: "",
            loops: noLoops,
            seq: channel.peer(to).sent++,
            payload: notice
          }
          frames.push(channel.lane === "" ? frame : { ...frame, lane: channel.lane })
          channel.trace?.record({ _tag: "Failed", session: channel.session, role: channel.role, peer: to, site: "", lane: channel.lane === "" ? undefined : channel.lane, reason: notice.reason })
        }
      }
      // Inside a timeout or saga whose fallback it has not reached: its peers there would wait
      // for it on the fallback's lane, so they are told on that lane too.
      if (at !== undefined && at.kind === "timeout" && at.fallback !== undefined) {
        const run = (channel.parallelRuns?.get(at.site) ?? 0) - 1
        const lane = `${channel.lane === "" ? "" : `${channel.lane}/`}${at.site}#${run}/fallback`
        if (run >= 0 && ![...(channel.children ?? [])].some((c) => c.lane === lane)) {
          for (const to of peersAhead(at.fallback.initial.target)) {
            if (to === source) continue
            frames.push({ session: channel.session, from: channel.role, to, label: failureLabel, site: "", loops: noLoops, seq: 0, payload: notice, lane })
          }
        }
      }
      for (const child of channel.children ?? []) collect(child)
    }
    collect(this)
    return Effect.forEach(frames, (f) => Effect.ignore(this.transport.send(f)), { discard: true })
  }

  /**
   * Ends the role (or, on a lane, its branch): nothing may be left unread; at the role's end,
   * the transport's `flush` then waits for the frames it sent to be delivered.
   */
  close(_state: EndState): Effect.Effect<void, ProtocolViolation | TransportError | PeerUnavailable> {
    for (const [peer, list] of this.pending ?? []) {
      // Control frames of steps the role is past (a report that came after its owner had
      // decided, say) are stale, not unread messages of the protocol: dropped and recorded.
      for (let i = list.length - 1; i >= 0; i--) {
        const e = list[i]
        if (!isVerdict(e.label)) continue
        list.splice(i, 1)
        this.earlyCount--
        this.trace?.record({ _tag: "Drop", session: this.session, role: e.from, peer: this.role, label: e.label, site: e.site, lane: e.lane, seq: e.seq, reason: "late" })
      }
      if (list.length > 0) {
        const e = list[0]
        return Effect.fail(
          new ProtocolViolation({
            protocol: this.protocol.name,
            role: this.role,
            peer,
            label: e.label,
            site: e.site,
            expected: "nothing more: the role has ended",
            message: `${this.role} ended with message ${e.label} from ${peer} (site ${e.site}) left unread`
          })
        )
      }
    }
    this.parent?.children?.delete(this)
    const flush = this.lane === "" ? this.transport.flush : undefined
    const flushed = flush === undefined ? Effect.void : flush(this.session, this.role, this.abandoned)
    // A durable role's last commit: its end is kept before it waits for its frames to be delivered.
    // A branch's end commits too: its last frames must not wait for another lane's next wait (there may be none).
    if (this.durable === undefined) return flushed
    if (this.lane === "") {
      // Replayed to its end, a durable role must have done again all its journal has.
      const leftover = this.durable.leftover()
      if (leftover !== undefined) return Effect.fail(leftover) as never
    }
    return Effect.zipRight(this.durable.commit(this.lane === ""), flushed)
  }

  /** Peers the role took a fallback without, as unavailable: their frames need not be delivered for it to end (root channel only). */
  private abandoned: Set<string> | undefined = undefined

  /** The role goes on without `peer` (unavailable): see `abandoned`. */
  abandon(peer: string): void {
    let root: Channel = this
    while (root.parent !== undefined) root = root.parent
    if (root.abandoned === undefined) root.abandoned = new Set()
    root.abandoned.add(peer)
  }

  /**
   * Decodes a payload with its label's Schema: the value, or the issue in bounded words. A
   * payload the Schema cannot even walk (nested too deep for the stack, a getter that throws)
   * is an issue too, not a defect.
   */
  private decode(label: string, payload: unknown): Either.Either<unknown, string> {
    try {
      const decoded = this.parser(this.decoders, label, false)(payload)
      return Either.isRight(decoded) ? Either.right(decoded.right) : Either.left(formatIssue(decoded.left.issue))
    } catch (e) {
      return Either.left(e instanceof RangeError ? "the payload is nested too deep to decode" : "the payload could not be read")
    }
  }

  private violation(state: RecvState, e: Envelope, expected: string, problem: string): ProtocolViolation {
    // The frame's names are a peer's choice: quoted clipped, so that the error stays small.
    const label = clip(e.label)
    const site = clip(e.site)
    const from = clip(e.from)
    return new ProtocolViolation({
      protocol: this.protocol.name,
      role: this.role,
      peer: from,
      label,
      site,
      expected,
      message: `${this.role} expected ${expected} but received ${label} from ${from} (site ${site}, seq ${e.seq}): ${problem}; waiting on ${[...state.options.keys()].join(" | ")} from ${state.peer}`
    })
  }

  private reject(state: RecvState, e: Envelope, expected: string, problem: string): Effect.Effect<never, ProtocolViolation> {
    return Effect.fail(this.violation(state, e, expected, problem))
  }

  /** The failure for a frame of another session, role or lane than this channel's; `undefined` when it is this channel's. */
  private misaddressed(state: RecvState, e: Envelope): Effect.Effect<never, ProtocolViolation> | undefined {
    if (e.session !== this.session) {
      return this.reject(state, e, `a message of session ${this.session}`, `wrong session ${quote(e.session)}`)
    }
    if (e.to !== this.role) return this.reject(state, e, `a message addressed to ${this.role}`, `addressed to ${quote(e.to)}`)
    if ((e.lane ?? "") !== this.lane) {
      return this.reject(state, e, `a message on lane '${this.lane}'`, `lane ${quote(e.lane ?? "")}`)
    }
    return undefined
  }

  /** Checks a frame from `state.peer` against `state` and decodes its payload. */
  private acceptNow(state: RecvState, e: Envelope): Received | Effect.Effect<never, ProtocolViolation | DecodeError> {
    const wrong = this.misaddressed(state, e)
    if (wrong !== undefined) return wrong
    const peer = this.peer(state.peer)
    if (peer.skips !== undefined) this.skipped(peer)
    const seq = peer.received
    if (e.seq !== seq) {
      return this.reject(state, e, `message number ${seq} from ${state.peer}`, `wrong sequence number ${e.seq}`)
    }
    const option: RecvOption | undefined = state.options.get(e.label)
    if (option === undefined) {
      return this.reject(
        state,
        e,
        `${[...state.options.keys()].join(" or ")} from ${state.peer}`,
        `unexpected label ${quote(e.label)}`
      )
    }
    if (!option.sites.has(e.site) && !e.site.split("|").some((s) => option.sites.has(s))) {
      return this.reject(state, e, `${e.label} at site ${[...option.sites].join(" or ")}`, `wrong site ${quote(e.site)}`)
    }
    if (this.deferred !== undefined) {
      // Which way round the loops the role went is known only now, from the label.
      const ops = this.deferred.get(e.label)
      if (ops !== undefined) this.apply(ops)
      this.deferred = undefined
    }
    // (`for in` with an own-key check: no array of keys made per frame.)
    for (const loop in e.loops) {
      if (!Object.prototype.hasOwnProperty.call(e.loops, loop)) continue
      const mine = this.counter(loop)
      if (mine !== undefined && mine !== e.loops[loop]) {
        return this.reject(state, e, `iteration ${mine} of loop '${loop}'`, `iteration ${e.loops[loop]}`)
      }
    }
    let payload = e.payload
    if (this.validate) {
      const decoded = this.decode(e.label, payload)
      if (Either.isLeft(decoded)) {
        const issue = decoded.left
        return Effect.fail(
          new DecodeError({
            protocol: this.protocol.name,
            role: this.role,
            peer: e.from,
            label: e.label,
            site: e.site,
            issue,
            message: `${this.role} could not decode ${e.label} from ${e.from} (site ${e.site}): ${issue}`
          })
        )
      }
      payload = decoded.right
    }
    peer.received = seq + 1
    if (this.trace !== undefined) {
      this.trace.record({ _tag: "Receive", session: this.session, role: this.role, peer: e.from, label: e.label, site: e.site, lane: e.lane, seq: e.seq })
    }
    return { label: e.label, payload, next: this.follow(option.next), site: e.site, loops: e.loops }
  }
}
