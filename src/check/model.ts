/**
 * Bounded model checking of a protocol's roles: every interleaving of the roles' local state
 * machines (projected from the protocol, or declared local types in their place), with a FIFO
 * channel per ordered pair of roles (and per lane of a `parallel`) that holds at most `bound`
 * messages. It reports the first of:
 *
 * - **Deadlock**: no role can move, some role has not ended, and every role that has not
 *   ended waits to receive (none waits for room in a full channel: that is `Undecided`).
 * - **OrphanMessages**: a message waits in a channel whose receiver has ended.
 * - **UnspecifiedReception**: a role waits for a message from a peer and the head of that
 *   channel has a label it does not accept, or the peer has ended and the channel is empty
 *   (what it waits for can never come).
 *
 * each with a counterexample: the events of a shortest run to it (`Send`, `Receive`,
 * `Choice`, `Round`, as a `TraceSink` records them), printable with `report` and drawable
 * with `toMermaid`.
 *
 * States are hashed (the roles' states, their `repeat` counters and the channels' contents),
 * so loops terminate. A `repeat` goes round `params[param]` times (default 2). Choices are
 * explored in every branch. `parallel` branches of projected roles run on lanes of their own,
 * as at run time. `timeout` and `saga` (clocks, failures and control frames) are not modelled,
 * nor are `parallel`s in declared local types, nor a declared local type for a role that takes
 * part in a `parallel` (its messages cannot be matched with the other roles' lanes): such a
 * protocol gives `Unsupported`, never an answer. A declared local type that names a peer the
 * protocol does not have (or the role itself), or a label outside its catalogue, throws a
 * `TypeError`, as an unknown role in `roles` does; an empty choice or offer is malformed. A run that would need a
 * channel to hold more than `bound` messages is not explored: `Ok` means no error in any run
 * within the bound ("k-safe"), and a state that is stuck only because a channel is full is
 * `Undecided`. Starvation in a run that never ends (a role that waits forever while others
 * loop) is not reported.
 *
 * @since 0.1.0
 */
import type { TraceEvent } from "../effects/TraceSink.js"
import type { Any } from "../protocol/Protocol.js"
import type { LocalType } from "../runtime/local.js"
import { toMermaid as traceToMermaid } from "../testing/Trace.js"
import { mermaidText, participants } from "../viz/Mermaid.js"
import { type Fsm, fromAutomaton, MalformedLocalType, toFsm, unsupportedIn } from "./fsm.js"

/**
 * Options of `model`.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Check, Protocol } from "quadrille"
 *
 * // A pings B, then B tells C it is ready.
 * const Relay = Protocol.make("Relay", {
 *   roles: ["A", "B", "C"],
 *   messages: { Ping: Schema.Number, Ready: Schema.Struct({}) }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "C", "Ready"))
 *
 * const options: Check.ModelOptions = { bound: 1, roles: { B: Check.local.send("C", "Ready", Check.local.recv("A", "Ping")) } }
 * assert.strictEqual(Check.model(Relay, options)._tag, "Ok")
 * ```
 *
 * @since 0.1.0
 */
export interface ModelOptions {
  /** Declared local types, by role, in place of the projections (the other roles are projected). */
  readonly roles?: Readonly<Record<string, LocalType>> | undefined
  /** The most messages one channel holds (k). */
  readonly bound: number
  /** The rounds of each `repeat` (default 2 for a parameter not given). */
  readonly params?: Readonly<Record<string, number>> | undefined
  /** At most this many states are explored; then `Undecided`. Default 1 000 000. */
  readonly maxStates?: number | undefined
}

/** What every outcome of `model` says about the search. */
interface Stats {
  readonly protocol: string
  readonly roles: ReadonlyArray<string>
  readonly bound: number
  /** Distinct states explored. */
  readonly states: number
  readonly transitions: number
  readonly millis: number
}

/**
 * A message left in a channel, or the one at the head of a channel.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Check, Protocol } from "quadrille"
 *
 * // A pings B, then B tells C it is ready.
 * const Relay = Protocol.make("Relay", {
 *   roles: ["A", "B", "C"],
 *   messages: { Ping: Schema.Number, Ready: Schema.Struct({}) }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "C", "Ready"))
 *
 * // C declared as doing nothing: B's Ready is left in its channel.
 * const result = Check.model(Relay, { bound: 1, roles: { C: Check.local.end } })
 * const orphans: ReadonlyArray<Check.Message> = result._tag === "OrphanMessages" ? result.orphans : []
 * assert.deepStrictEqual(orphans.map((m) => `${m.from} -> ${m.to}: ${m.label}`), ["B -> C: Ready"])
 * ```
 *
 * @since 0.1.0
 */
export interface Message {
  readonly from: string
  readonly to: string
  readonly label: string
  /** The lane, inside a `parallel` (absent on the main line). */
  readonly lane?: string | undefined
}

/**
 * A role that cannot move, and what it waits for.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Check, Protocol } from "quadrille"
 *
 * // A pings B, then B tells C it is ready.
 * const Relay = Protocol.make("Relay", {
 *   roles: ["A", "B", "C"],
 *   messages: { Ping: Schema.Number, Ready: Schema.Struct({}) }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "C", "Ready"))
 *
 * // B declared as waiting for a message C never sends.
 * const result = Check.model(Relay, { bound: 1, roles: { B: Check.local.recv("C", "Ready") } })
 * const waiting: ReadonlyArray<Check.Waiting> = result._tag === "Deadlock" ? result.waiting : []
 * assert.deepStrictEqual(waiting.map((w) => `${w.role} waits for ${w.labels.join("|")} from ${w.from}`).sort(), ["B waits for Ready from C", "C waits for Ready from B"])
 * ```
 *
 * @since 0.1.0
 */
export interface Waiting {
  readonly role: string
  readonly from: string
  readonly labels: ReadonlyArray<string>
  readonly lane?: string | undefined
}

/**
 * The outcome of `model`. The failures carry `trace`, the events of a shortest run to the
 * failure, and `message`, a sentence.
 *
 * @category models
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Check, Protocol } from "quadrille"
 *
 * // A pings B, then B tells C it is ready.
 * const Relay = Protocol.make("Relay", {
 *   roles: ["A", "B", "C"],
 *   messages: { Ping: Schema.Number, Ready: Schema.Struct({}) }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "C", "Ready"))
 *
 * const result: Check.ModelResult = Check.model(Relay, { bound: 1 })
 * assert.strictEqual(result._tag === "Ok" && result.states > 0, true)
 * ```
 *
 * @since 0.1.0
 */
export type ModelResult =
  | ({ readonly _tag: "Ok" } & Stats)
  | ({
    readonly _tag: "Deadlock"
    readonly waiting: ReadonlyArray<Waiting>
    readonly trace: ReadonlyArray<TraceEvent>
    readonly message: string
  } & Stats)
  | ({
    readonly _tag: "OrphanMessages"
    readonly orphans: ReadonlyArray<Message>
    readonly trace: ReadonlyArray<TraceEvent>
    readonly message: string
  } & Stats)
  | ({
    readonly _tag: "UnspecifiedReception"
    readonly role: string
    readonly from: string
    /** The labels the role accepts there. */
    readonly expected: ReadonlyArray<string>
    /** The message at the head of the channel, or `undefined` when the peer has ended and none can come. */
    readonly head: Message | undefined
    readonly trace: ReadonlyArray<TraceEvent>
    readonly message: string
  } & Stats)
  | ({
    readonly _tag: "Undecided"
    readonly reason: "ChannelBound" | "MaxStates"
    readonly trace: ReadonlyArray<TraceEvent>
    readonly message: string
  } & Stats)
  | {
    readonly _tag: "Unsupported"
    readonly protocol: string
    readonly roles: ReadonlyArray<string>
    readonly role: string
    readonly construct: string
    readonly message: string
  }

/** One role's position on one lane: its machine's state, its `repeat` counters, its open parallel. */
interface Lane {
  readonly s: number
  /** Rounds done, by parameter. */
  readonly ctr: Readonly<Record<string, number>>
  /** Inside a `parallel`: the branches' lanes, in the order of the state's `branches`. */
  readonly kids: ReadonlyArray<Lane> | undefined
}

interface World {
  readonly lanes: ReadonlyArray<Lane>
  /** Channel contents by `from \0 to \0 lane`; empty channels are absent. */
  readonly chans: ReadonlyMap<string, ReadonlyArray<string>>
}

interface Move {
  readonly role: number
  readonly lane: Lane
  readonly event: Omit<TraceEvent, "session" | "time">
  readonly push?: { readonly key: string; readonly label: string } | undefined
  readonly pop?: string | undefined
}

const chanKey = (from: string, to: string, lane: string) => `${from}\u0000${to}\u0000${lane}`
const chanParts = (key: string): Message => {
  const [from, to, lane] = key.split("\u0000")
  return lane === "" ? { from, to, label: "" } : { from, to, label: "", lane }
}

const laneKey = (l: Lane): string => {
  const ctr = Object.keys(l.ctr).length === 0 ? "" : JSON.stringify(Object.entries(l.ctr).sort())
  return l.kids === undefined ? `${l.s}${ctr}` : `${l.s}${ctr}[${l.kids.map(laneKey).join(",")}]`
}

/** The key of a world: the lanes, then the channels' contents as JSON (labels may hold any character). */
const worldKey = (w: World): string =>
  w.lanes.map(laneKey).join("|") + "#" + JSON.stringify([...w.chans].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

/**
 * Throws a `TypeError` when a declared local type names a peer the protocol does not have (or
 * the role itself) or a label that is not in the protocol's catalogue, as for an unknown role.
 */
const checkNames = (protocol: Any, role: string, fsm: Fsm): void => {
  const labels = new Set(Object.keys(protocol.messages))
  const where = (what: string) => `(role ${role}'s declared local type ${what})`
  for (const s of fsm.states) {
    if (s.kind !== "send" && s.kind !== "recv") continue
    const shown = s.kind === "send" ? s.label : [...s.options.keys()].join(" | ")
    const what = s.kind === "send" ? `sends ${shown} to ${s.peer}` : `receives ${shown} from ${s.peer}`
    if (s.peer === role) throw new TypeError(`protocol ${protocol.name}: a role cannot message itself ${where(what)}`)
    if (!protocol.roles.includes(s.peer)) throw new TypeError(`protocol ${protocol.name} has no role ${s.peer} ${where(what)}`)
    for (const label of s.kind === "send" ? [s.label] : s.options.keys()) {
      if (!labels.has(label)) throw new TypeError(`protocol ${protocol.name} has no message ${JSON.stringify(label)} ${where(what)}`)
    }
  }
}

/** Enters a `parallel` (opens its branches) and leaves one whose branches have all ended. */
const settle = (fsm: Fsm, l: Lane): Lane => {
  let lane = l
  for (;;) {
    const s = fsm.states[lane.s]
    if (s.kind !== "par") return lane
    if (lane.kids === undefined) {
      lane = { ...lane, kids: s.branches.map((b) => settle(b.fsm, { s: b.fsm.initial, ctr: {}, kids: undefined })) }
    }
    const kids = lane.kids!
    if (!s.branches.every((b, i) => b.fsm.states[kids[i].s].kind === "end")) return lane
    lane = { s: s.next, ctr: lane.ctr, kids: undefined }
  }
}

/**
 * Explores every run of the protocol's roles (their projections, or the local types
 * `options.roles` declares for some of them) with channels of at most `options.bound`
 * messages, and reports the first deadlock, orphan message or unspecified reception, with a
 * shortest run that leads to it; `Ok` with the number of states explored otherwise. See the
 * module's documentation for what is and is not modelled.
 *
 * @category checks
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Check, Protocol } from "quadrille"
 *
 * // A pings B, then B tells C it is ready.
 * const Relay = Protocol.make("Relay", {
 *   roles: ["A", "B", "C"],
 *   messages: { Ping: Schema.Number, Ready: Schema.Struct({}) }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "C", "Ready"))
 *
 * assert.strictEqual(Check.model(Relay, { bound: 1 })._tag, "Ok")
 * // A declared role that never sends Ready: C waits for ever.
 * const bad = Check.model(Relay, { bound: 1, roles: { B: Check.local.recv("A", "Ping") } })
 * assert.notStrictEqual(bad._tag, "Ok")
 * ```
 *
 * @since 0.1.0
 */
export const model = (protocol: Any, options: ModelOptions): ModelResult => {
  const started = performance.now()
  const roles = protocol.roles
  const k = options.bound
  const maxStates = options.maxStates ?? 1_000_000
  const declared = options.roles ?? {}
  for (const r of Object.keys(declared)) {
    if (!roles.includes(r)) throw new TypeError(`protocol ${protocol.name} has no role ${r}`)
  }
  const fsms: Array<Fsm> = []
  for (const role of roles) {
    const own = Object.prototype.hasOwnProperty.call(declared, role) ? declared[role] : undefined
    let fsm: Fsm
    if (own !== undefined) {
      try {
        fsm = toFsm(own)
      } catch (e) {
        if (!(e instanceof MalformedLocalType)) throw e
        return { _tag: "Unsupported", protocol: protocol.name, roles, role, construct: "malformed", message: `${role}: ${e.message}` }
      }
      checkNames(protocol, role, fsm)
      // The declared type has no lanes to put a parallel's messages on: its peers' branches would
      // wait on lanes it never sends on.
      const projected = protocol["~graph"].locals.get(role)
      if (projected !== undefined && fromAutomaton(projected).states.some((st) => st.kind === "par")) {
        return {
          _tag: "Unsupported",
          protocol: protocol.name,
          roles,
          role,
          construct: "Par",
          message: `the model checker does not model a declared local type for ${role}, which takes part in a parallel (its messages cannot be matched with the lanes of the other roles)`
        }
      }
    } else {
      const a = protocol["~graph"].locals.get(role)
      if (a === undefined) throw new TypeError(`protocol ${protocol.name} has no automaton for ${role}`)
      fsm = fromAutomaton(a)
    }
    const construct = unsupportedIn(fsm)
    if (construct !== undefined) {
      const where = own !== undefined && construct === "Par" ? " in a declared local type" : ""
      return {
        _tag: "Unsupported",
        protocol: protocol.name,
        roles,
        role,
        construct,
        message: `the model checker does not model ${construct}${where} (role ${role})`
      }
    }
    fsms.push(fsm)
  }
  const roundsOf = (param: string) => (options.params !== undefined && Object.prototype.hasOwnProperty.call(options.params, param) ? options.params[param] : 2)
  const isEnded = (w: World, r: number) => fsms[r].states[w.lanes[r].s].kind === "end"

  // Breadth first: parents and the event that led to each state, for shortest counterexamples.
  const index = new Map<string, number>()
  const worlds: Array<World> = []
  const parent: Array<number> = []
  const via: Array<Omit<TraceEvent, "session" | "time"> | undefined> = []
  let transitions = 0

  const traceTo = (i: number, last?: Omit<TraceEvent, "session" | "time">): Array<TraceEvent> => {
    const events: Array<Omit<TraceEvent, "session" | "time">> = last === undefined ? [] : [last]
    for (let j = i; j > 0; j = parent[j]) events.push(via[j]!)
    return events.reverse().map((e, time) => ({ ...e, session: protocol.name, time }))
  }
  const stats = (): Stats => ({
    protocol: protocol.name,
    roles,
    bound: k,
    states: worlds.length,
    transitions,
    millis: performance.now() - started
  })

  const first: World = {
    lanes: fsms.map((f) => settle(f, { s: f.initial, ctr: {}, kids: undefined })),
    chans: new Map()
  }
  index.set(worldKey(first), 0)
  worlds.push(first)
  parent.push(-1)
  via.push(undefined)

  for (let i = 0; i < worlds.length; i++) {
    if (worlds.length > maxStates) {
      return { _tag: "Undecided", reason: "MaxStates", trace: traceTo(i), message: `undecided within bound ${k}: more than ${maxStates} states`, ...stats() }
    }
    const w = worlds[i]

    // A message waiting for a role that has ended.
    const orphans: Array<Message> = []
    for (const [key, msgs] of w.chans) {
      const m = chanParts(key)
      if (isEnded(w, roles.indexOf(m.to))) for (const label of msgs) orphans.push({ ...m, label })
    }
    if (orphans.length > 0) {
      const list = orphans.map((o) => `${o.label} from ${o.from} to ${o.to}${o.lane === undefined ? "" : ` [${o.lane}]`}`).join(", ")
      return {
        _tag: "OrphanMessages",
        orphans,
        trace: traceTo(i),
        message: `orphan message${orphans.length > 1 ? "s" : ""}: ${list}, never received (the receiver has ended)`,
        ...stats()
      }
    }

    const moves: Array<Move> = []
    const waiting: Array<Waiting> = []
    let full = false
    let failure: ModelResult | undefined
    const explore = (r: number, fsm: Fsm, lane: Lane, laneId: string, wrap: (l: Lane) => Lane): void => {
      const role = roles[r]
      const s = fsm.states[lane.s]
      const onLane = laneId === "" ? {} : { lane: laneId }
      switch (s.kind) {
        case "end":
        case "unsupported":
          return
        case "send": {
          const key = chanKey(role, s.peer, laneId)
          if ((w.chans.get(key)?.length ?? 0) >= k) {
            full = true
            return
          }
          moves.push({
            role: r,
            lane: wrap(settle(fsm, { ...lane, s: s.next })),
            event: { _tag: "Send", role, peer: s.peer, label: s.label, site: "", ...onLane },
            push: { key, label: s.label }
          })
          return
        }
        case "recv": {
          const key = chanKey(s.peer, role, laneId)
          const head = w.chans.get(key)?.[0]
          const expected = [...s.options.keys()]
          if (head === undefined) {
            waiting.push({ role, from: s.peer, labels: expected, ...onLane })
            const p = roles.indexOf(s.peer)
            if (p >= 0 && isEnded(w, p) && failure === undefined) {
              failure = {
                _tag: "UnspecifiedReception",
                role,
                from: s.peer,
                expected,
                head: undefined,
                trace: traceTo(i),
                message: `${role} waits for ${expected.join(" | ")} from ${s.peer}${laneId === "" ? "" : ` [${laneId}]`}, which has ended: it can never come`,
                ...stats()
              }
            }
            return
          }
          const next = s.options.get(head)
          if (next === undefined) {
            if (failure === undefined) {
              failure = {
                _tag: "UnspecifiedReception",
                role,
                from: s.peer,
                expected,
                head: { from: s.peer, to: role, label: head, ...onLane },
                trace: traceTo(i),
                message: `${role} waits for ${expected.join(" | ")} from ${s.peer}${laneId === "" ? "" : ` [${laneId}]`} but ${head} is at the head of the channel`,
                ...stats()
              }
            }
            return
          }
          moves.push({
            role: r,
            lane: wrap(settle(fsm, { ...lane, s: next })),
            event: { _tag: "Receive", role, peer: s.peer, label: head, site: "", ...onLane },
            pop: key
          })
          return
        }
        case "select":
          for (const [b, next] of s.branches) {
            moves.push({
              role: r,
              lane: wrap(settle(fsm, { ...lane, s: next })),
              event: { _tag: "Choice", role, label: s.choice, branch: b, site: "", ...onLane }
            })
          }
          return
        case "rounds": {
          const done = lane.ctr[s.param] ?? 0
          const again = done < roundsOf(s.param)
          const ctr = { ...lane.ctr }
          if (again) ctr[s.param] = done + 1
          else delete ctr[s.param]
          moves.push({
            role: r,
            lane: wrap(settle(fsm, { s: again ? s.again : s.done, ctr, kids: undefined })),
            event: { _tag: "Round", role, label: s.param, branch: again ? "again" : "done", site: "", ...onLane }
          })
          return
        }
        case "par":
          s.branches.forEach((b, j) => {
            const kids = lane.kids!
            explore(r, b.fsm, kids[j], `${laneId === "" ? "" : `${laneId}/`}${s.site}.${b.index}`, (kid) =>
              wrap(settle(fsm, { ...lane, kids: kids.map((x, n) => (n === j ? kid : x)) })))
          })
          return
      }
    }
    roles.forEach((_, r) => explore(r, fsms[r], w.lanes[r], "", (l) => l))
    if (failure !== undefined) return failure

    if (moves.length === 0) {
      if (roles.every((_, r) => isEnded(w, r))) continue
      if (full) {
        return {
          _tag: "Undecided",
          reason: "ChannelBound",
          trace: traceTo(i),
          message: `undecided within bound ${k}: no role can move but one waits for room in a channel of ${k} message${k > 1 ? "s" : ""}`,
          ...stats()
        }
      }
      const list = waiting.map((x) => `${x.role} waits for ${x.labels.join(" | ")} from ${x.from}${x.lane === undefined ? "" : ` [${x.lane}]`}`).join("; ")
      // Every stuck role waits to receive (empty choices are refused up front); should one not, still say who is stuck.
      const stuck = roles.filter((_, r) => !isEnded(w, r))
      const message = list === "" ? `deadlock: no role can move, and ${stuck.join(", ")} ${stuck.length > 1 ? "have" : "has"} not ended` : `deadlock: ${list}`
      return { _tag: "Deadlock", waiting, trace: traceTo(i), message, ...stats() }
    }

    for (const m of moves) {
      transitions++
      const lanes = w.lanes.map((l, r) => (r === m.role ? m.lane : l))
      const chans = new Map(w.chans)
      if (m.pop !== undefined) {
        const rest = chans.get(m.pop)!.slice(1)
        if (rest.length === 0) chans.delete(m.pop)
        else chans.set(m.pop, rest)
      }
      if (m.push !== undefined) chans.set(m.push.key, [...(chans.get(m.push.key) ?? []), m.push.label])
      const next: World = { lanes, chans }
      const key = worldKey(next)
      if (index.has(key)) continue
      index.set(key, worlds.length)
      worlds.push(next)
      parent.push(i)
      via.push(m.event)
    }
  }
  return { _tag: "Ok", ...stats() }
}

const describeEvent = (e: TraceEvent): string => {
  const lane = e.lane === undefined ? "" : ` [${e.lane}]`
  switch (e._tag) {
    case "Send":
      return `${e.role} sends ${e.label} to ${e.peer}${lane}`
    case "Receive":
      return `${e.role} receives ${e.label} from ${e.peer}${lane}`
    case "Choice":
      return `${e.role} chooses ${e.branch} of ${e.label}${lane}`
    case "Round":
      return `${e.role} decides ${e.branch} of repeat ${e.label}${lane}`
    default:
      return `${e.role} ${e._tag}`
  }
}

/**
 * A result of `model` as text: one line that says what was found (with the states explored
 * and the time), then the counterexample run, one event per line.
 *
 * @category utils
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Check, Protocol } from "quadrille"
 *
 * // A pings B, then B tells C it is ready.
 * const Relay = Protocol.make("Relay", {
 *   roles: ["A", "B", "C"],
 *   messages: { Ping: Schema.Number, Ready: Schema.Struct({}) }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "C", "Ready"))
 *
 * const bad = Check.model(Relay, { bound: 1, roles: { B: Check.local.recv("A", "Ping") } })
 * // What went wrong, then the run that leads there, one event per line.
 * assert.strictEqual(Check.report(bad).split("\n").length > 1, true)
 * ```
 *
 * @since 0.1.0
 */
export const report = (r: ModelResult): string => {
  if (r._tag === "Unsupported") return `${r.protocol}: unsupported: ${r.message}`
  const head = `${r.protocol} (k = ${r.bound}): ${r._tag === "Ok" ? "ok" : r.message} — ${r.states} states, ${r.transitions} transitions, ${r.millis.toFixed(1)} ms`
  if (r._tag === "Ok") return head
  return [head, ...r.trace.map((e, i) => `  ${i + 1}. ${describeEvent(e)}`)].join("\n")
}

/**
 * The counterexample of a result of `model` as a Mermaid `sequenceDiagram` (the project's
 * `Trace.toMermaid`: an arrow per message, `(lost)` for one never received, notes for choices
 * and rounds), with a note on what went wrong. `undefined` for `Ok` and `Unsupported`.
 *
 * @category diagrams
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Check, Protocol } from "quadrille"
 *
 * // A pings B, then B tells C it is ready.
 * const Relay = Protocol.make("Relay", {
 *   roles: ["A", "B", "C"],
 *   messages: { Ping: Schema.Number, Ready: Schema.Struct({}) }
 * }, (g) => g.msg("A", "B", "Ping").msg("B", "C", "Ready"))
 *
 * const bad = Check.model(Relay, { bound: 1, roles: { B: Check.local.recv("A", "Ping") } })
 * assert.strictEqual(Check.toMermaid(bad)?.includes("sequenceDiagram"), true)
 * assert.strictEqual(Check.toMermaid(Check.model(Relay, { bound: 1 })), undefined)
 * ```
 *
 * @since 0.1.0
 */
export const toMermaid = (r: ModelResult): string | undefined => {
  if (r._tag === "Ok" || r._tag === "Unsupported") return undefined
  const text = traceToMermaid(r.trace, { roles: r.roles, title: `${r.protocol}: ${r._tag}` })
  const { id } = participants(r.roles)
  const notes = r._tag === "Deadlock"
    ? r.waiting.map((x) => `  Note over ${id(x.role)}: ${mermaidText(`waits for ${x.labels.join(" | ")} from ${x.from}`)}`)
    : r._tag === "UnspecifiedReception"
    ? [`  Note over ${id(r.role)}: ${mermaidText(r.head === undefined ? `waits for ${r.expected.join(" | ")} from ${r.from}, which has ended` : `expects ${r.expected.join(" | ")} from ${r.from}, gets ${r.head.label}`)}`]
    : r._tag === "OrphanMessages"
    ? [...new Set(r.orphans.map((o) => o.to))].map((to) => `  Note over ${id(to)}: ${mermaidText(`ended with ${r.orphans.filter((o) => o.to === to).map((o) => o.label).join(", ")} unread`)}`)
    : [`  Note over ${id(r.roles[0])}: ${mermaidText(r.message)}`]
  return text + notes.join("\n") + "\n"
}
