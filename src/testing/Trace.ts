/**
 * Model-based validation of recorded traces: `Trace.validate` replays the events a
 * `TraceSink` recorded against the state machine of the GLOBAL protocol (its compiled graph),
 * independently of the run-time projection that produced them, and names the first event
 * that does not fit and what the protocol expected at that point.
 *
 * Every role keeps its own position in the global graph (roles run asynchronously, so their
 * events interleave freely), one per lane inside a `parallel`. Where a role does not know
 * which branch another role chose, its position is the set of nodes it may be at, and the
 * next message it sends or receives tells them apart. The chooser's own branch comes from its
 * `Choice` event, the decision of a `repeat` from the `Round` event. Receives must match
 * earlier sends, per pair and lane, in order.
 *
 * A role's own events may come in another order than its projection's, as far as asynchronous
 * subtyping allows (a role with a declared, optimised local type: `Role.program(P, role, {
 * local }, body)`): an output (send, choice, round decision) ahead of anything but a send to
 * the same peer, a receive ahead of a receive from another peer. Such an event waits, in the
 * role's position, until its projection comes to it; a receive ahead of an output, or an
 * output the projection never comes to, does not fit.
 *
 * `Trace.toMermaid` draws a trace as a Mermaid sequence diagram, network events included.
 *
 * @since 0.1.0
 */
import { Data, Either } from "effect"
import { roleEventTags, type TraceEvent } from "../effects/TraceSink.js"
import type { GNode, ParNode, TimeoutNode } from "../protocol/graph.js"
import type { Any } from "../protocol/Protocol.js"
import { own } from "../internal/own.js"
import { frontMatter, mermaidText, noteSpan, participants } from "../viz/Mermaid.js"

/**
 * The first event of a trace that does not fit the protocol. `index` is its position in the
 * trace (the trace's length when the trace ended too early: then `event` is absent).
 *
 * @example
 * ```ts
 * import { Either, Schema } from "effect"
 * import { Protocol, type TraceSink } from "quadrille"
 * import { Trace } from "quadrille/testing"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 *
 * // A trace in which the Server answers before it was asked.
 * const events: ReadonlyArray<TraceSink.TraceEvent> = [
 *   { _tag: "Send", session: "s1", role: "Server", peer: "Client", label: "Pong", site: "1", seq: 0, time: 0 }
 * ]
 * const checked = Trace.validate(PingPong, events)
 * if (Either.isLeft(checked)) {
 *   const mismatch: Trace.TraceMismatch = checked.left
 *   console.log(mismatch.index, mismatch.expected) // 0 Server to receive Client -> Server: Ping at site 0
 * }
 * ```
 *
 * @category errors
 * @since 0.1.0
 */
export class TraceMismatch extends Data.TaggedError("TraceMismatch")<{
  readonly protocol: string
  readonly index: number
  readonly event: TraceEvent | undefined
  /** What the protocol allowed at that point. */
  readonly expected: string
  readonly message: string
}> {}

/**
 * Options of `Trace.validate`.
 *
 * @example
 * ```ts
 * import { Deferred, Effect, Schema } from "effect"
 * import { Protocol, Role, Session, TraceSink } from "quadrille"
 * import { Trace } from "quadrille/testing"
 *
 * const Serve = Protocol.make("Serve", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.forever("serve", (b) => b.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong").recur("serve")))
 *
 * // A server stopped after three rounds: its trace is a prefix of a run, not a whole one.
 * const program = Effect.gen(function*() {
 *   const third = yield* Deferred.make<void>()
 *   const roles = {
 *     Client: Role.implement(Serve, "Client", { send: { Ping: (n) => n }, recv: { Pong: (_, n) => n } }, 0),
 *     Server: Role.implement(Serve, "Server", {
 *       send: { Pong: (n) => n + 1 },
 *       recv: { Ping: (n) => (n === 2 ? Effect.as(Deferred.succeed(third, undefined), n + 1) : Effect.succeed(n + 1)) }
 *     }, 0)
 *   }
 *   const [, events] = yield* TraceSink.recording(Session.run(Serve, roles, { stop: Deferred.await(third) }).pipe(Effect.ignore))
 *   const options: Trace.ValidateOptions = { complete: false }
 *   return Trace.validate(Serve, events, options)
 * })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface ValidateOptions {
  /** The session parameters: when given, the number of rounds of every `repeat` is checked too. */
  readonly params?: Readonly<Record<string, number>> | undefined
  /**
   * Whether the trace must be a whole run (default `true`): every role at its end, every
   * message sent received. `false` accepts a prefix of a run, such as the trace of a server (a
   * protocol with a `forever` loop) that was stopped: every event must still fit, in order, but
   * the roles may be anywhere and messages still in flight.
   */
  readonly complete?: boolean | undefined
}

/** A role on a lane: where it may be in the global graph. */
interface Position {
  readonly role: string
  readonly lane: string
  /** The nodes where the role acts next (several when it does not know a branch yet). */
  nodes: ReadonlyArray<GNode>
  /** How many times this lane entered each parallel, by site: part of the branch lanes' names. */
  readonly parRuns: Map<string, number>
  /** While the role is inside a parallel: the parallel and the lanes of its branches. */
  open: { readonly par: ParNode; readonly lanes: ReadonlyArray<Position> } | undefined
  /** While the role is inside a timeout: the timeout, which run of it, and the lanes of its parts. */
  timeout: TimeoutOpen | undefined
  readonly parent: Position | undefined
  /**
   * The role's events that came before its projection allows them, oldest first: outputs
   * (sends, choices, round decisions) moved ahead of its inputs, and receives moved ahead of
   * receives from other peers, as a declared local type may do (see `validate`).
   */
  readonly pending: Array<{ readonly event: TraceEvent; readonly index: number }>
}

interface TimeoutOpen {
  readonly node: TimeoutNode
  /** The timeout's run, by parent lane, site and run count: the same for every role. */
  readonly key: string
  readonly body: Position | undefined
  fallback: Position | undefined
  /** A saga role's report to the owner, once recorded. */
  reported: "forwarded" | "aborted" | undefined
}

interface InFlight {
  readonly label: string
  readonly site: string
  readonly seq: number | undefined
  readonly index: number
}

/** The nodes where `role` acts next from `starts`, skipping everything it takes no part in. */
const closure = (role: string, starts: ReadonlyArray<GNode>): Array<GNode> => {
  const seen = new Set<number>()
  const out: Array<GNode> = []
  const visit = (n: GNode): void => {
    if (seen.has(n.id)) return
    seen.add(n.id)
    switch (n.kind) {
      case "msg":
        if (n.from === role || n.to === role) out.push(n)
        else visit(n.next)
        return
      case "choice":
        if (n.at === role) out.push(n)
        else for (const b of n.branches) visit(b.node)
        return
      case "loop":
        return visit(n.body)
      case "recur":
        return visit(n.loop.body)
      case "rounds":
        if (n.roles.has(role)) out.push(n)
        else visit(n.exit)
        return
      case "par":
        if (n.branches.some((b) => b.roles.has(role))) out.push(n)
        else visit(n.next)
        return
      case "timeout":
        if (n.roles.has(role)) out.push(n)
        else visit(n.next)
        return
      case "end":
        out.push(n)
        return
    }
  }
  for (const s of starts) visit(s)
  return out
}

const siteFits = (nodeSite: string, eventSite: string) =>
  nodeSite === eventSite || eventSite.split("|").includes(nodeSite)

const describeNode = (role: string, n: GNode): string => {
  switch (n.kind) {
    case "msg":
      return n.from === role
        ? `${n.from} -> ${n.to}: ${n.label} at site ${n.site}`
        : `${role} to receive ${n.from} -> ${n.to}: ${n.label} at site ${n.site}`
    case "choice":
      return `${role} to choose ${n.branches.map((b) => `'${b.label}'`).join(" or ")} of '${n.name}' at site ${n.site}`
    case "rounds":
      return `${role} to decide a round of '${n.param}' at site ${n.site}`
    case "par":
      return `${role} to enter the parallel at site ${n.site}`
    case "timeout":
      return `${role} to enter ${n.trigger === "clock" ? "timeout" : "saga"} '${n.name}' at site ${n.site}`
    case "loop":
    case "recur":
      return `${role} at loop '${n.name}'`
    case "end":
      return n.id === 0 ? `${role} to end` : `${role} to end its branch of the parallel (${n.site})`
  }
}

/** What a position allows next, in words. */
const describe = (pos: Position): string => {
  if (pos.timeout !== undefined) {
    return `${pos.role} to finish its part of timeout '${pos.timeout.node.name}' at site ${pos.timeout.node.site} first`
  }
  if (pos.open !== undefined) {
    const busy = pos.open.lanes.filter((l) => !isDone(l))
    return `${pos.role} to finish its branches of the parallel at site ${pos.open.par.site} first: ${busy.map(describe).join("; ")}`
  }
  return pos.nodes.map((n) => describeNode(pos.role, n)).join(" or ")
}

const describeEvent = (e: TraceEvent): string => {
  const lane = e.lane !== undefined && e.lane !== "" ? `, lane ${e.lane}` : ""
  const seq = e.seq !== undefined ? `, seq ${e.seq}` : ""
  switch (e._tag) {
    case "Send":
      return `${e.role} -> ${e.peer}: ${e.label} at site ${e.site}${lane}${seq} (sent)`
    case "Receive":
      return `${e.role} received ${e.peer} -> ${e.role}: ${e.label} at site ${e.site}${lane}${seq}`
    case "Choice":
      return `${e.role} chose '${e.branch}' of '${e.label}' at site ${e.site}${lane}`
    case "Round":
      return `${e.role} decided '${e.branch}' for '${e.label}' at site ${e.site}${lane}`
    case "Drop":
      return `the network dropped ${e.role} -> ${e.peer}: ${e.label} at site ${e.site}${lane}${seq} (${e.reason ?? "chaos"})`
    case "Duplicate":
      return `the network duplicated ${e.role} -> ${e.peer}: ${e.label} at site ${e.site}${lane}${seq}`
    case "Retransmit":
      return `${e.role} retransmitted ${e.role} -> ${e.peer}: ${e.label} at site ${e.site}${lane}${seq}`
    case "Reject":
      return `a frame for ${e.peer} in session ${e.session} was rejected: ${e.reason ?? "it did not decode"}`
    case "Refused":
      return `${e.role} refused a connection claiming ${e.peer} (or was refused by it): ${e.reason ?? "?"}`
    case "Failed":
      return `${e.role} failed (${e.reason ?? "?"}) and told ${e.peer}${lane}`
    case "PeerFailed":
      return `${e.role} learned that ${e.peer} failed (${e.reason ?? "?"})${lane}`
  }
}

const isDone = (pos: Position): boolean =>
  pos.open === undefined && pos.timeout === undefined && pos.nodes.every((n) => n.kind === "end")

const laneKey = (role: string, lane: string) => `${role}\u0000${lane}`
const pairKey = (from: string, to: string, lane: string) => `${from}\u0000${to}\u0000${lane}`

/**
 * Replays `events` (a trace of one session, in the order recorded) against the global
 * protocol. Right when the trace is a complete run of the protocol (or, with
 * `{ complete: false }`, a prefix of one: a stopped server's); otherwise a `TraceMismatch`
 * naming the first event that does not fit (or the end of an incomplete trace) and what was
 * expected there.
 *
 * @example
 * ```ts
 * import { Effect, Either, Schema } from "effect"
 * import { Protocol, Role, Session, TraceSink } from "quadrille"
 * import { Trace } from "quadrille/testing"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const roles = {
 *   Client: Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0),
 *   Server: Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0)
 * }
 *
 * const program = Effect.gen(function*() {
 *   const [, events] = yield* TraceSink.recording(Session.run(PingPong, roles))
 *   return Either.isRight(Trace.validate(PingPong, events)) // true: the run fits the protocol
 * })
 * ```
 *
 * @category validation
 * @since 0.1.0
 */
export const validate = (
  protocol: Any,
  events: ReadonlyArray<TraceEvent>,
  options: ValidateOptions = {}
): Either.Either<void, TraceMismatch> => {
  const graph = protocol["~graph"]
  const roles = new Set<string>(protocol.roles)
  const positions = new Map<string, Position>()
  const inFlight = new Map<string, Array<InFlight>>()
  const sent = new Map<string, number>()
  const rounds = new Map<string, number>()

  const mismatch = (index: number, expected: string, problem?: string) => {
    const event = events[index] as TraceEvent | undefined
    return Either.left(
      new TraceMismatch({
        protocol: protocol.name,
        index,
        event,
        expected,
        message: event === undefined
          ? `trace of ${protocol.name} ends too early (${problem ?? "incomplete trace"}) at event ${index}; expected ${expected}`
          : `trace of ${protocol.name}: event ${index} (${describeEvent(event)}) does not fit${problem === undefined ? "" : ` (${problem})`}; expected ${expected}`
      })
    )
  }

  /** The verdicts of the timeouts' runs, by key, as their deciding roles recorded them. */
  const verdicts = new Map<string, string>()
  /** Saga roles that left a saga without having reported, by role, lane and site: a late report of theirs fits. */
  const unreported = new Map<string, number>()
  /** Lanes of bodies that were left when their timeout ran out: what was sent on them need not arrive. */
  const abandoned = new Set<string>()

  const lanePosition = (pos: Position, lane: string, start: GNode): Position => {
    const child: Position = { role: pos.role, lane, nodes: [], parRuns: new Map(), open: undefined, timeout: undefined, parent: pos, pending: [] }
    positions.set(laneKey(pos.role, lane), child)
    moveTo(child, closure(pos.role, [start]))
    return child
  }

  /** Enters a timeout: the role's part of the body on the body's lane (the channel's lane names). */
  const enterTimeout = (pos: Position, node: TimeoutNode): void => {
    const run = pos.parRuns.get(node.site) ?? 0
    pos.parRuns.set(node.site, run + 1)
    const base = `${pos.lane === "" ? "" : `${pos.lane}/`}${node.site}#${run}`
    const body = node.body.roles.has(pos.role) ? lanePosition(pos, `${base}/body`, node.body.start) : undefined
    pos.timeout = { node, key: base, body, fallback: undefined, reported: undefined }
    if (verdicts.get(base) === "timeout") openFallback(pos)
  }

  const openFallback = (pos: Position): void => {
    const t = pos.timeout!
    if (t.fallback !== undefined || !t.node.fallback.roles.has(pos.role)) return
    t.fallback = lanePosition(pos, `${t.key}/fallback`, t.node.fallback.start)
  }

  /** Whether the role may leave its timeout now (see src/runtime/timeout.ts for when it does). */
  const closable = (pos: Position): boolean => {
    const t = pos.timeout!
    const verdict = verdicts.get(t.key)
    const done = (p: Position | undefined) => p === undefined || finished(p)
    if (verdict === "intime") return done(t.body)
    if (verdict === "timeout") return done(t.fallback)
    if (t.node.at === pos.role || t.node.fallback.roles.has(pos.role)) return false
    // A role with no part in the fallback goes on once its part of the body is over (a saga's: once it has reported).
    return t.node.trigger === "failure" ? t.reported !== undefined : done(t.body)
  }

  /** Whether a lane is at its end, once the timeouts and sagas it may leave by now are left. */
  const finished = (p: Position): boolean => {
    // Leaving one may lead straight into the next (two timeouts in a row, a parallel after a
    // timeout): go on while it can.
    for (;;) {
      if (p.timeout !== undefined) {
        for (const part of [p.timeout.body, p.timeout.fallback]) if (part !== undefined) finished(part)
        if (!settle(p)) break
      } else if (p.open !== undefined) {
        for (const l of p.open.lanes) finished(l)
        const before = p.open
        barrier(p)
        if (p.open === before) break
      } else {
        break
      }
    }
    return isDone(p)
  }

  /** Leaves the role's timeout when it may; true when it has (or was in none). */
  const settle = (pos: Position): boolean => {
    const t = pos.timeout
    if (t === undefined) return true
    if (!closable(pos)) return false
    // Seeing that its parts are over may have left this timeout already (a part that ends
    // settles its parent): it must not be left, and what follows entered, twice.
    if (pos.timeout !== t) return true
    if ((verdicts.get(t.key) === "timeout" || t.reported === "aborted") && t.body !== undefined && !isDone(t.body)) {
      // A body left midway keeps its lane, so that what the role still did in it fits.
      abandoned.add(t.body.lane)
    } else if (t.body !== undefined) {
      positions.delete(laneKey(t.body.role, t.body.lane))
    }
    if (t.fallback !== undefined) positions.delete(laneKey(t.fallback.role, t.fallback.lane))
    if (t.node.trigger === "failure" && t.node.at !== pos.role && t.reported === undefined) {
      // Told to compensate, it may still report (its part ended as the verdict came): allowed later.
      const k = `${pos.role}\u0000${pos.lane}\u0000${t.node.site}`
      unreported.set(k, (unreported.get(k) ?? 0) + 1)
    }
    pos.timeout = undefined
    moveTo(pos, closure(pos.role, [t.node.next]))
    return true
  }

  /** Sets where a position goes next; enters a parallel at once, and passes barriers. */
  const moveTo = (pos: Position, nodes: ReadonlyArray<GNode>): void => {
    pos.nodes = nodes
    if (nodes.length === 1 && nodes[0].kind === "timeout") {
      enterTimeout(pos, nodes[0])
      return
    }
    if (nodes.length === 1 && nodes[0].kind === "par") {
      const par = nodes[0]
      const run = pos.parRuns.get(par.site) ?? 0
      pos.parRuns.set(par.site, run + 1)
      const lanes: Array<Position> = []
      const starts: Array<GNode> = []
      par.branches.forEach((b, j) => {
        if (!b.roles.has(pos.role)) return
        // The lane names of the channel: `<parent lane>/<site>.<branch>#<run>`.
        const lane = `${pos.lane === "" ? "" : `${pos.lane}/`}${par.site}.${j}#${run}`
        const child: Position = { role: pos.role, lane, nodes: [], parRuns: new Map(), open: undefined, timeout: undefined, parent: pos, pending: [] }
        positions.set(laneKey(pos.role, lane), child)
        lanes.push(child)
        starts.push(b.start)
      })
      pos.open = { par, lanes }
      lanes.forEach((child, k) => moveTo(child, closure(pos.role, [starts[k]])))
      barrier(pos)
      return
    }
    if (pos.parent !== undefined && isDone(pos)) {
      if (pos.parent.timeout !== undefined) settle(pos.parent)
      else barrier(pos.parent)
    }
  }

  /** Leaves a parallel once every branch lane of the role has ended. */
  const barrier = (pos: Position): void => {
    const open = pos.open
    if (open === undefined || !open.lanes.every((l) => isDone(l) || finished(l))) return
    for (const l of open.lanes) positions.delete(laneKey(l.role, l.lane))
    pos.open = undefined
    moveTo(pos, closure(pos.role, [open.par.next]))
  }

  /**
   * Takes one step of `pos` for event `e` (a send, receive, choice or round decision of its
   * role) when its projection allows it there: "fits"; "no" when it does not; the expectation
   * when it does but breaks the protocol (a round count off the session parameter).
   */
  const step = (pos: Position, e: TraceEvent): "fits" | "no" | { readonly expected: string } => {
    switch (e._tag) {
      case "Send":
      case "Receive": {
        const out = e._tag === "Send"
        const fit = pos.nodes.filter((n) =>
          n.kind === "msg" && (out ? n.from === e.role && n.to === e.peer : n.to === e.role && n.from === e.peer) &&
          n.label === e.label && siteFits(n.site, e.site)
        )
        if (fit.length === 0) return "no"
        moveTo(pos, closure(e.role, fit.map((n) => (n.kind === "msg" ? n.next : n))))
        return "fits"
      }
      case "Choice": {
        const fit = pos.nodes.flatMap((n) =>
          n.kind === "choice" && n.at === e.role && n.name === e.label && siteFits(n.site, e.site)
            ? n.branches.filter((b) => b.label === e.branch).map((b) => b.node)
            : []
        )
        if (fit.length === 0) return "no"
        moveTo(pos, closure(e.role, fit))
        return "fits"
      }
      case "Round": {
        const node = pos.nodes.find((n) => n.kind === "rounds" && n.param === e.label && siteFits(n.site, e.site))
        if (node === undefined || node.kind !== "rounds" || (e.branch !== "again" && e.branch !== "done")) return "no"
        const rk = `${laneKey(e.role, pos.lane)}\u0000${node.id}`
        const done = rounds.get(rk) ?? 0
        const n = own(options.params, node.param)
        if (n !== undefined && (e.branch === "again") !== (done < n)) {
          return { expected: `${e.role} to decide '${done < n ? "again" : "done"}' for '${node.param}' at site ${node.site} (${done} of ${n} rounds done)` }
        }
        rounds.set(rk, e.branch === "again" ? done + 1 : 0)
        moveTo(pos, closure(e.role, [e.branch === "again" ? node.again : node.exit]))
        return "fits"
      }
      default:
        return "no"
    }
  }

  /**
   * Whether event `later` of a role may have been done after `earlier` (as recorded) where its
   * projection does it before: asynchronous subtyping's rules (src/check/subtype.ts). An
   * output (send, choice, round decision) may come ahead of anything but a send to the same
   * peer (FIFO); a receive only ahead of a receive from another peer.
   */
  const mayPrecede = (earlier: TraceEvent, later: TraceEvent): boolean => {
    if (earlier._tag === "Receive") return later._tag === "Receive" && later.peer !== earlier.peer
    if (earlier._tag === "Send") return !(later._tag === "Send" && later.peer === earlier.peer)
    return true
  }

  /** Takes the pending events of `pos` its projection allows now, in its order; the failure of one that breaks the protocol. */
  const drain = (pos: Position): { readonly index: number; readonly expected: string } | undefined => {
    for (;;) {
      let moved = false
      for (let j = 0; j < pos.pending.length && !moved; j++) {
        const { event, index } = pos.pending[j]
        let allowed = true
        for (let k = 0; k < j && allowed; k++) allowed = mayPrecede(pos.pending[k].event, event)
        if (!allowed) continue
        const r = step(pos, event)
        if (r === "no") continue
        if (r !== "fits") return { index, expected: r.expected }
        pos.pending.splice(j, 1)
        moved = true
      }
      if (!moved) return undefined
    }
  }

  /**
   * Whether the projection of `pos`'s role has event `e` (a send, choice or round decision)
   * anywhere ahead of where it is, without entering a parallel or a timeout: an early output
   * must be one the role will come to.
   */
  const ahead = (pos: Position, e: TraceEvent): boolean => {
    const seen = new Set<number>()
    const todo = [...pos.nodes]
    while (todo.length > 0) {
      const n = todo.pop()!
      if (seen.has(n.id)) continue
      seen.add(n.id)
      switch (n.kind) {
        case "msg":
          if (e._tag === "Send" && n.from === e.role && n.to === e.peer && n.label === e.label && siteFits(n.site, e.site)) return true
          todo.push(...closure(pos.role, [n.next]))
          break
        case "choice":
          if (e._tag === "Choice" && n.at === e.role && n.name === e.label && siteFits(n.site, e.site) && n.branches.some((b) => b.label === e.branch)) return true
          todo.push(...closure(pos.role, n.branches.map((b) => b.node)))
          break
        case "rounds":
          if (e._tag === "Round" && n.param === e.label && siteFits(n.site, e.site)) return true
          todo.push(...closure(pos.role, [n.again, n.exit]))
          break
        default:
          break
      }
    }
    return false
  }

  for (const role of protocol.roles) {
    const pos: Position = { role, lane: "", nodes: [], parRuns: new Map(), open: undefined, timeout: undefined, parent: undefined, pending: [] }
    positions.set(laneKey(role, ""), pos)
    moveTo(pos, closure(role, [graph.start]))
  }

  const session = events.length > 0 ? events[0].session : ""
  for (let i = 0; i < events.length; i++) {
    const e = events[i]
    // What the network did to frames (drops, duplicates, retransmissions) is not the protocol's.
    if (!roleEventTags.has(e._tag)) continue
    if (e.session !== session) return mismatch(i, `an event of session ${session}`, `session ${e.session}`)
    if (!roles.has(e.role)) return mismatch(i, `an event of one of ${protocol.roles.join(", ")}`, `unknown role ${e.role}`)
    const lane = e.lane ?? ""
    let pos = positions.get(laneKey(e.role, lane))
    if (pos === undefined) {
      // The lane of a step the role has reached since: it left a timeout or saga it may leave.
      for (const p of [...positions.values()]) if (p.role === e.role && p.timeout !== undefined) finished(p)
      pos = positions.get(laneKey(e.role, lane))
    }
    if (pos === undefined) {
      const main = positions.get(laneKey(e.role, ""))!
      return mismatch(i, describe(main), `${e.role} has no open lane '${lane}'`)
    }
    if (pos.open !== undefined) finished(pos)
    if (pos.open !== undefined) return mismatch(i, describe(pos))
    if (e._tag === "Choice" && (e.branch === "forwarded" || e.branch === "aborted") && pos.timeout?.node.site !== e.site) {
      const k = `${e.role}\u0000${lane}\u0000${e.site}`
      const n = unreported.get(k) ?? 0
      const node = graph.nodes.find((g) => g.kind === "timeout" && g.site === e.site)
      if (n > 0 && node !== undefined && node.kind === "timeout") {
        // The report of a saga the role left when told to compensate, sent as its part ended.
        unreported.set(k, n - 1)
        const pk = pairKey(e.role, node.at, lane)
        sent.set(pk, (sent.get(pk) ?? 0) + 1)
        continue
      }
    }
    if (pos.timeout !== undefined) {
      const t = pos.timeout
      const saga = t.node.trigger === "failure"
      if (e._tag === "Choice" && saga && t.node.at !== e.role && e.label === t.node.name && siteFits(t.node.site, e.site)) {
        // A saga role's report to the owner, numbered in sequence with its other frames to it.
        if (e.branch === "forwarded" && t.body !== undefined && !finished(t.body)) return mismatch(i, describe(t.body), "forwarded before its forward part ended")
        if (e.branch !== "forwarded" && e.branch !== "aborted") return mismatch(i, describe(pos))
        const pk = pairKey(e.role, t.node.at, lane)
        sent.set(pk, (sent.get(pk) ?? 0) + 1)
        t.reported = e.branch
        settle(pos)
        continue
      }
      if (e._tag === "Choice" && t.node.at === e.role && e.label === t.node.name && siteFits(t.node.site, e.site)) {
        // The deciding role's verdict: in time (committed) only once its part of the body is done.
        const branch = e.branch === (saga ? "committed" : "intime") ? "intime" : e.branch === (saga ? "compensated" : "timeout") ? "timeout" : undefined
        if (branch === "intime" && t.body !== undefined && !finished(t.body)) {
          return mismatch(i, describe(t.body), `${saga ? "committed" : "in time"} before its part of the body ended`)
        }
        if (branch === undefined || verdicts.has(t.key)) return mismatch(i, describe(pos))
        verdicts.set(t.key, branch)
        // The verdict went, numbered in sequence, to the roles with a part in the fallback (in
        // time) or to every other role of the timeout (timed out).
        for (const r of t.node.roles) {
          if (r === e.role || (branch === "intime" && !t.node.fallback.roles.has(r))) continue
          const pk = pairKey(e.role, r, lane)
          sent.set(pk, (sent.get(pk) ?? 0) + 1)
        }
        const inStep = [...positions.values()].filter((p) => p.timeout !== undefined && p.timeout.key === t.key)
        if (branch === "timeout") for (const p of inStep) openFallback(p)
        for (const p of inStep) settle(p)
        continue
      }
      // Leaving it may lead straight into the next one, whose verdict may be known already.
      while (pos.timeout !== undefined) if (!settle(pos)) return mismatch(i, describe(pos))
    }
    // What the network sees at once: sequence numbers, and receives in the order of the sends
    // on each pair and lane (FIFO), whatever order the role's own steps come in.
    if (e._tag === "Send") {
      const pk = pairKey(e.role, e.peer!, lane)
      const seq = sent.get(pk) ?? 0
      if (e.seq !== undefined && e.seq !== seq) {
        return mismatch(i, `message number ${seq} from ${e.role} to ${e.peer}${lane === "" ? "" : ` on lane ${lane}`}`, `seq ${e.seq}`)
      }
      sent.set(pk, seq + 1)
      const q = inFlight.get(pk) ?? []
      q.push({ label: e.label!, site: e.site, seq: e.seq, index: i })
      inFlight.set(pk, q)
    } else if (e._tag === "Receive") {
      const pk = pairKey(e.peer ?? "", e.role, lane)
      const head = inFlight.get(pk)?.[0]
      if (head === undefined) {
        return mismatch(i, `${describe(pos)}, sent before it is received`, `${e.peer} has sent nothing to ${e.role} that is not received yet`)
      }
      if (head.label !== e.label || head.site !== e.site || (head.seq !== undefined && e.seq !== undefined && head.seq !== e.seq)) {
        return mismatch(
          i,
          `${e.role} to receive ${e.peer} -> ${e.role}: ${head.label} at site ${head.site} (sent at event ${head.index}), the oldest message not received yet`
        )
      }
      inFlight.get(pk)!.shift()
    }
    if (e._tag !== "Send" && e._tag !== "Receive" && e._tag !== "Choice" && e._tag !== "Round") continue
    if (pos.pending.length === 0) {
      const r = step(pos, e)
      if (r === "fits") continue
      if (r !== "no") return mismatch(i, r.expected)
    }
    if (e._tag !== "Receive" && !ahead(pos, e)) return mismatch(i, describe(pos))
    // Out of the projection's order: kept until the role's position allows it (see `drain`).
    pos.pending.push({ event: e, index: i })
    const wrong = drain(pos)
    if (wrong !== undefined) return mismatch(wrong.index, wrong.expected)
    if (e._tag === "Receive" && pos.pending.some((p) => p.event === e)) {
      // A receive may wait only behind receives from other peers, never behind an output.
      const early = pos.nodes.every((n) => n.kind === "msg" && n.to === e.role && n.from !== e.peer)
      const output = pos.nodes.some((n) => (n.kind === "msg" && n.from === e.role) || n.kind === "choice" || n.kind === "rounds")
      if (!early) return mismatch(i, describe(pos), output ? "an input may not move ahead of an output" : undefined)
    }
  }

  if (options.complete !== false) {
    for (const p of positions.values()) {
      if (p.pending.length > 0) {
        return mismatch(p.pending[0].index, describe(p), `${p.role}'s projection never reaches it`)
      }
    }
  }

  if (options.complete === false) return Either.void
  // Roles whose last step was a timeout leave it now, if they may.
  for (const p of [...positions.values()]) if (p.timeout !== undefined) settle(p)
  for (const role of protocol.roles) {
    const pos = positions.get(laneKey(role, ""))!
    if (!finished(pos)) return mismatch(events.length, describe(pos), "incomplete trace")
  }
  for (const [pk, q] of inFlight) {
    // What was sent in a body its timeout left (or in a step nested in it) need not arrive: it was dropped.
    const frameLane = pk.split("\u0000")[2]
    if ([...abandoned].some((l) => frameLane === l || frameLane.startsWith(`${l}/`))) continue
    if (q.length > 0) {
      const [from, to] = pk.split("\u0000")
      return mismatch(
        events.length,
        `${to} to receive ${from} -> ${to}: ${q[0].label} at site ${q[0].site} (sent at event ${q[0].index})`,
        "incomplete trace"
      )
    }
  }
  return Either.void
}

/**
 * Options of `Trace.toMermaid`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 * import { simulate, Trace } from "quadrille/testing"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const roles = {
 *   Client: Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0),
 *   Server: Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0)
 * }
 *
 * const program = Effect.gen(function*() {
 *   const sim = yield* simulate(PingPong, roles, { seed: 1, chaos: { delay: { min: "1 millis", max: "20 millis" } } })
 *   const options: Trace.ToMermaidOptions = { roles: PingPong.roles, time: true, title: "PingPong, seed 1" }
 *   return Trace.toMermaid(sim.trace, options)
 * })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface ToMermaidOptions {
  /**
   * The participants, in this order (say, the protocol's `roles`); roles of the trace that are
   * not listed follow in the order they first appear. Without it, the order of appearance.
   */
  readonly roles?: ReadonlyArray<string> | undefined
  /** Shows the clock time `at` of every event that has one (`at 120 ms`). */
  readonly time?: boolean | undefined
  /** The diagram's title. */
  readonly title?: string | undefined
}

/** A frame as sender and receiver both name it. */
const frameKey = (session: string, from: string, to: string | undefined, lane: string | undefined, seq: number | undefined, label: string | undefined) =>
  [session, from, to ?? "", lane ?? "", seq ?? "", label ?? ""].join("\u0000")

/**
 * A recorded trace as a Mermaid `sequenceDiagram`, in the order of the events:
 * - a `Send` is a message arrow at the moment it was sent, `A->>B: Label`, or `A-xB: Label (lost)`
 *   when the trace has no `Receive` of that frame (same sender, receiver, lane and seq);
 *   receives are not drawn otherwise;
 * - a `Drop` is `A-xB: Label seq 3 (dropped: chaos)`; a `Duplicate` and a `Retransmit` are
 *   dashed open arrows, `A--)B: Label seq 3 (duplicated)` / `(retransmitted)`. The seq is shown
 *   on every arrow of a frame the network touched, so that its copies can be told apart;
 * - a `Choice` is `Note over A: chooses commit of outcome`, a `Round` `Note over A: repeat maxRounds: again`;
 * - a lane (inside a `parallel`) follows the label in brackets: `Bid [3.0.1#0]`;
 * - several sessions are drawn one after the other (in the order they first appear), each
 *   after a note `session <id>` across every participant.
 *
 * The same trace gives the same text; times appear only with `time: true`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session, TraceSink } from "quadrille"
 * import { Trace } from "quadrille/testing"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const roles = {
 *   Client: Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0),
 *   Server: Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0)
 * }
 *
 * const program = Effect.gen(function*() {
 *   const [, events] = yield* TraceSink.recording(Session.run(PingPong, roles))
 *   console.log(Trace.toMermaid(events, { roles: PingPong.roles }))
 * })
 * Effect.runPromise(program)
 * // sequenceDiagram
 * //   participant Client
 * //   participant Server
 * //   Client->>Server: Ping
 * //   Server->>Client: Pong
 * ```
 *
 * @category diagrams
 * @since 0.1.0
 */
export const toMermaid = (events: ReadonlyArray<TraceEvent>, options: ToMermaidOptions = {}): string => {
  const roles: Array<string> = [...new Set(options.roles ?? [])]
  const seen = new Set(roles)
  const appear = (role: string | undefined) => {
    if (role === undefined || seen.has(role)) return
    seen.add(role)
    roles.push(role)
  }
  const sessions = new Map<string, Array<TraceEvent>>()
  // Receipts per frame (a count: frames without a seq are told apart by order only).
  const received = new Map<string, number>()
  const touched = new Set<string>()
  for (const e of events) {
    appear(e.role)
    if (e._tag !== "Choice" && e._tag !== "Round") appear(e.peer)
    const group = sessions.get(e.session)
    if (group === undefined) sessions.set(e.session, [e])
    else group.push(e)
    if (e._tag === "Receive") {
      const k = frameKey(e.session, e.peer ?? "", e.role, e.lane, e.seq, e.label)
      received.set(k, (received.get(k) ?? 0) + 1)
    } else if (!roleEventTags.has(e._tag)) {
      touched.add(frameKey(e.session, e.role, e.peer, e.lane, e.seq, e.label))
    }
  }

  const { id, lines: declared } = participants(roles)
  const lines: Array<string> = [...(options.title === undefined ? [] : frontMatter(options.title)), "sequenceDiagram", ...declared]
  const text = (e: TraceEvent, what: string, showSeq: boolean, status?: string) => {
    const lane = e.lane !== undefined && e.lane !== "" ? ` [${e.lane}]` : ""
    const seq = showSeq && e.seq !== undefined ? ` seq ${e.seq}` : ""
    const at = options.time === true && e.at !== undefined ? ` at ${e.at} ms` : ""
    return mermaidText(`${what}${lane}${seq}${status === undefined ? "" : ` (${status})`}${at}`)
  }
  const arrow = (e: TraceEvent, kind: string, status?: string) => {
    const showSeq = touched.has(frameKey(e.session, e.role, e.peer, e.lane, e.seq, e.label))
    const label = text(e, e.label ?? "?", showSeq, status)
    // A frame without a receiver cannot be an arrow: it stays with its sender.
    lines.push(e.peer === undefined ? `  Note over ${id(e.role)}: ${e._tag} ${label}` : `  ${id(e.role)}${kind}${id(e.peer)}: ${label}`)
  }

  for (const [session, group] of sessions) {
    if (sessions.size > 1) lines.push(`  Note over ${noteSpan(roles, id, roles)}: ${mermaidText(`session ${session}`)}`)
    for (const e of group) {
      switch (e._tag) {
        case "Send": {
          const k = frameKey(e.session, e.role, e.peer, e.lane, e.seq, e.label)
          const left = received.get(k) ?? 0
          if (left > 0) received.set(k, left - 1)
          arrow(e, left > 0 ? "->>" : "-x", left > 0 ? undefined : "lost")
          break
        }
        case "Receive":
          break
        case "Choice":
          lines.push(`  Note over ${id(e.role)}: ${text(e, `chooses ${e.branch ?? "?"} of ${e.label ?? "?"}`, false)}`)
          break
        case "Round":
          lines.push(`  Note over ${id(e.role)}: ${text(e, `repeat ${e.label ?? "?"}: ${e.branch ?? "?"}`, false)}`)
          break
        case "Drop":
          arrow(e, "-x", e.reason === undefined ? "dropped" : `dropped: ${e.reason}`)
          break
        case "Duplicate":
          arrow(e, "--)", "duplicated")
          break
        case "Retransmit":
          arrow(e, "--)", "retransmitted")
          break
        case "Reject":
          arrow(e, "-x", "rejected")
          break
        case "Refused":
          lines.push(`  Note over ${id(e.role)}: ${text(e, `refused ${e.peer ?? "?"}`, false)}`)
          break
        case "Failed":
          arrow(e, "--x", `failed: ${e.reason ?? "?"}`)
          break
        case "PeerFailed":
          lines.push(`  Note over ${id(e.role)}: ${text(e, `${e.peer ?? "?"} failed`, false)}`)
          break
      }
    }
  }
  return lines.join("\n") + "\n"
}
