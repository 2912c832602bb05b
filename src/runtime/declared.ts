/**
 * Declared local types: a hand-written role may follow an optimised local type of its own
 * (outputs moved ahead of inputs, as in Rumpsteak) instead of its projection. `Role.local(P)`
 * gives the constructors of such a type, typed by the protocol's roles and catalogue;
 * `Role.program(P, role, { local }, body)` checks at definition that it is an asynchronous
 * subtype of the role's projection (`Check.asyncSubtype`) and runs `body` on endpoints that
 * follow it.
 *
 * @since 0.1.0
 */
import type { Schema } from "effect"
import { DeclaredTypeError } from "../effects/errors.js"
import { asyncSubtype, type Action } from "../check/subtype.js"
import { type Fsm, toFsm } from "../check/fsm.js"
import type { Automaton, LState, RecvOption, Transition } from "../protocol/automaton.js"
import type { Any, Messages, Roles } from "../protocol/Protocol.js"
import type { Branch, End, Offer, Rec, Recv, Rounds, Select, Send, Var } from "../session/Local.js"
import { fromAutomaton as projectedType, type LocalType } from "./local.js"

/**
 * An internal choice of a declared type: `Select` (what endpoints read), with the name of the
 * protocol's choice it takes a branch of (what the subtyping check compares).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 *
 * const Ring = Protocol.make("Ring", { roles: ["A", "B", "C"], messages: { Value: Schema.Number, Stop: Schema.Struct({}) } }, (g) =>
 *   g.choice("A", "go", { on: (b) => b.msg("A", "B", "Value"), off: (b) => b.msg("A", "B", "Stop") }).msg("B", "C", "Value").msg("C", "A", "Value"))
 * const { choose, send } = Role.local(Ring)
 *
 * // A takes only the branch "on" of the choice "go" (an internal choice may drop branches).
 * const onlyOn: Role.Choose<"go", { readonly on: unknown }> = choose("go", { on: send("B", "Value") })
 * assert.strictEqual(onlyOn.choice, "go")
 * ```
 *
 * @since 0.1.0
 * @category declared types
 */
export interface Choose<out Choice extends string, out Branches> extends Select<Branches> {
  readonly choice: Choice
}

/**
 * Any local type the constructors of `Role.local` build: the interfaces of the type-level
 * projection (src/session/Local.ts), so that `Endpoint<L>` reads a declared type as it reads a
 * projected one. (`payload` is a type only: the values carry none.)
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 *
 * const Ring = Protocol.make("Ring", { roles: ["A", "B", "C"], messages: { Value: Schema.Number } }, (g) =>
 *   g.msg("A", "B", "Value").msg("B", "C", "Value").msg("C", "A", "Value"))
 * const { send, recv } = Role.local(Ring)
 *
 * const eager: Role.DeclaredLocal = send("C", "Value", recv("A", "Value"))
 * assert.strictEqual(eager._tag, "Send")
 * ```
 *
 * @since 0.1.0
 * @category declared types
 */
export type DeclaredLocal =
  | Send<string, string, unknown, unknown>
  | Recv<string, string, unknown, unknown>
  | Choose<string, unknown>
  | Offer<string, unknown>
  | Rounds<string, unknown, unknown>
  | Rec<string, unknown>
  | Var<string>
  | End

type PayloadOf<P, L> = L extends keyof Messages<P> ? Schema.Schema.Type<Messages<P>[L]> : never
type Label<P> = keyof Messages<P> & string

/**
 * The constructors of declared local types for protocol `P`: roles and labels are the
 * protocol's, payload types come from its catalogue by label.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 *
 * const Ring = Protocol.make("Ring", { roles: ["A", "B", "C"], messages: { Value: Schema.Number } }, (g) =>
 *   g.msg("A", "B", "Value").msg("B", "C", "Value").msg("C", "A", "Value"))
 * const constructors: Role.LocalConstructors<typeof Ring> = Role.local(Ring)
 * const { send, recv } = constructors
 *
 * // roles and labels are the protocol's; the payload type of Value (number) comes from its catalogue
 * const eager = send("C", "Value", recv("A", "Value"))
 * assert.strictEqual(eager.to, "C")
 * ```
 *
 * @since 0.1.0
 * @category declared types
 */
export interface LocalConstructors<P extends Any> {
  // (Two signatures each, not a default type argument: inside another constructor's argument,
  // an omitted `next` would be inferred from the context, `DeclaredLocal`, not `End`.)
  /** Sends `label` to `to`, then ends. */
  send<const To extends Roles<P>, const L extends Label<P>>(to: To, label: L): Send<To, L, PayloadOf<P, L>, End>
  /** Sends `label` to `to`, then `next`. */
  send<const To extends Roles<P>, const L extends Label<P>, const K extends DeclaredLocal>(
    to: To,
    label: L,
    next: K
  ): Send<To, L, PayloadOf<P, L>, K>
  /** Receives `label` from `from`, then ends. */
  recv<const From extends Roles<P>, const L extends Label<P>>(from: From, label: L): Recv<From, L, PayloadOf<P, L>, End>
  /** Receives `label` from `from`, then `next`. */
  recv<const From extends Roles<P>, const L extends Label<P>, const K extends DeclaredLocal>(
    from: From,
    label: L,
    next: K
  ): Recv<From, L, PayloadOf<P, L>, K>
  /** Takes one branch of the protocol's choice `choice` (the role decides; it may offer fewer branches than the projection). */
  choose<const C extends string, const B extends { readonly [branch: string]: DeclaredLocal }>(
    choice: C,
    branches: B
  ): Choose<C, { readonly [X in keyof B]: B[X] }>
  /** Receives one message from `from`: its label says which branch follows. */
  offer<const From extends Roles<P>, const B extends { readonly [L in Label<P>]?: DeclaredLocal }>(
    from: From,
    branches: B
  ): Offer<From, { readonly [X in keyof B]: Branch<PayloadOf<P, X>, B[X]> }>
  /** A recursive type: `var(name)` inside `body` stands for the whole again. */
  rec<const N extends string, const Body extends DeclaredLocal>(name: N, body: Body): Rec<N, Body>
  /** The recursion variable of the nearest enclosing `rec(name, ...)`. */
  var<const N extends string>(name: N): Var<N>
  /** The round check of `repeat(param, ...)`: `again` while fewer than `params[param]` rounds are done, then `done`. */
  rounds<const N extends string, const Again extends DeclaredLocal, const Done extends DeclaredLocal>(
    param: N,
    again: Again,
    done: Done
  ): Rounds<N, Again, Done>
  /** The role is done. */
  readonly end: End
}

const end: End = { _tag: "End" }

const constructors = {
  send: (to: string, label: string, next: unknown = end) => ({ _tag: "Send", to, label, next }),
  recv: (from: string, label: string, next: unknown = end) => ({ _tag: "Recv", from, label, next }),
  choose: (choice: string, branches: Readonly<Record<string, unknown>>) => ({ _tag: "Select", choice, branches }),
  offer: (from: string, branches: Readonly<Record<string, unknown>>) => ({
    _tag: "Offer",
    from,
    branches: Object.fromEntries(Object.entries(branches).map(([l, next]) => [l, { next }]))
  }),
  rec: (name: string, body: unknown) => ({ _tag: "Rec", name, body }),
  var: (name: string) => ({ _tag: "Var", name }),
  rounds: (param: string, again: unknown, done: unknown) => ({ _tag: "Rounds", param, again, done }),
  end
}

/**
 * The constructors of declared local types for `protocol` (see `Role.program`'s `{ local }`).
 * The values are data; their TypeScript types are the local types of src/session/Local.ts,
 * so that the endpoints of `body` follow them.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role, Session } from "quadrille"
 *
 * const Ring = Protocol.make("Ring", { roles: ["A", "B", "C"], messages: { Value: Schema.Number } }, (g) =>
 *   g.msg("A", "B", "Value").msg("B", "C", "Value").msg("C", "A", "Value"))
 * const { send, recv } = Role.local(Ring)
 *
 * // B's projection receives from A, then sends to C; this B sends first.
 * const eager = send("C", "Value", recv("A", "Value"))
 * const b = Role.program(Ring, "B", { local: eager }, (ch) =>
 *   Effect.gen(function*() {
 *     const [v, end] = yield* (yield* ch.send("C", "Value", 7)).recv("A", "Value")
 *     return yield* end.close(v)
 *   }))
 * const a = Role.implement(Ring, "A", { send: { Value: () => 1 }, recv: { Value: (_: number, v: number) => v } }, 0)
 * const c = Role.implement(Ring, "C", { recv: { Value: (_: number, v: number) => v }, send: { Value: (s: number) => s + 1 } }, 0)
 * const results = await Effect.runPromise(Session.run(Ring, { A: a, B: b, C: c }))
 * assert.deepStrictEqual(results, { A: 8, B: 1, C: 7 })
 * ```
 *
 * @since 0.1.0
 * @category declared types
 */
export const local = <P extends Any>(_protocol: P): LocalConstructors<P> =>
  // The constructors are loosely typed data builders; their precise types are LocalConstructors<P>.
  constructors as unknown as LocalConstructors<P>

/**
 * A declared local type (or one of `Check.local`'s) as the `LocalType` data the checkers
 * read: an offer's branches lose the `{ next }` wrapper of `Branch`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Check, Protocol, Role } from "quadrille"
 *
 * const Ring = Protocol.make("Ring", { roles: ["A", "B", "C"], messages: { Value: Schema.Number } }, (g) =>
 *   g.msg("A", "B", "Value").msg("B", "C", "Value").msg("C", "A", "Value"))
 * const { send, recv } = Role.local(Ring)
 *
 * const eager = Role.toLocalType(send("C", "Value", recv("A", "Value")))
 * const answer = Check.asyncSubtype(eager, Protocol.project(Ring, "B"), { role: "B" })
 * assert.strictEqual(answer._tag, "Subtype")
 * ```
 *
 * @since 0.1.0
 * @category declared types
 */
export const toLocalType = (t: DeclaredLocal | LocalType): LocalType => {
  const go = (u: unknown): LocalType => {
    const v = u as { readonly _tag: string } & Record<string, unknown>
    switch (v._tag) {
      case "Send":
        return { _tag: "Send", to: v.to as string, label: v.label as string, next: go(v.next) }
      case "Recv":
        return { _tag: "Recv", from: v.from as string, label: v.label as string, next: go(v.next) }
      case "Select":
        return {
          _tag: "Select",
          choice: v.choice as string,
          branches: Object.fromEntries(Object.entries(v.branches as object).map(([b, k]) => [b, go(k)]))
        }
      case "Offer": {
        const branches = Object.entries(v.branches as object).map(([l, k]) =>
          [l, go(typeof k === "object" && k !== null && !("_tag" in k) ? (k as { next: unknown }).next : k)] as const
        )
        if (branches.length === 1) return { _tag: "Recv", from: v.from as string, label: branches[0][0], next: branches[0][1] }
        return { _tag: "Offer", from: v.from as string, branches: Object.fromEntries(branches) }
      }
      case "Rounds":
        return { _tag: "Rounds", param: v.param as string, again: go(v.again), done: go(v.done) }
      case "Rec":
        return { _tag: "Rec", name: v.name as string, body: go(v.body) }
      case "Var":
        return { _tag: "Var", name: v.name as string }
      case "End":
        return end
      default:
        // Par, Timeout, Saga (of `Check.local` data): the check refuses them as Unsupported.
        return u as LocalType
    }
  }
  return go(t)
}

/** Where in the protocol each message, choice and repeat of a role is: read off its projected automaton. */
interface Sites {
  readonly sends: Map<string, Set<string>>
  readonly recvs: Map<string, Set<string>>
  readonly choices: Map<string, string>
  readonly rounds: Map<string, string>
}

const key = (peer: string, label: string) => `${peer}\u0000${label}`

const sitesOf = (a: Automaton): Sites => {
  const sites: Sites = { sends: new Map(), recvs: new Map(), choices: new Map(), rounds: new Map() }
  const add = (m: Map<string, Set<string>>, k: string, site: string) => {
    let s = m.get(k)
    if (s === undefined) m.set(k, s = new Set())
    for (const one of site.split("|")) s.add(one)
  }
  for (const s of a.states) {
    if (s.kind === "send") add(sites.sends, key(s.peer, s.label), s.site)
    else if (s.kind === "recv") for (const o of s.options.values()) for (const site of o.sites) add(sites.recvs, key(s.peer, o.label), site)
    else if (s.kind === "select") sites.choices.set(s.choice, s.site)
    else if (s.kind === "rounds") sites.rounds.set(s.param, s.site)
  }
  return sites
}

const noLoops: ReadonlyArray<string> = []
const to = (target: LState): Transition => ({ target, effect: [], loops: noLoops })

/**
 * The run-time automaton of a declared local type. Its sends carry every site of their
 * message in the protocol (joined by `|`, as a projection does for a send it cannot place)
 * and no loop counters: the receiver checks sender, label and sequence number, and a site
 * among those. Its round checks count the role's own decisions (`again` since the last `done`).
 */
const automatonOf = (protocol: string, role: string, fsm: Fsm, sites: Sites): Automaton => {
  const states: Array<LState> = fsm.states.map((s): LState => {
    switch (s.kind) {
      case "end":
        return { kind: "end", id: s.id }
      case "send":
        return {
          kind: "send",
          id: s.id,
          peer: s.peer,
          label: s.label,
          site: [...(sites.sends.get(key(s.peer, s.label)) ?? [])].join("|"),
          siteLoops: noLoops,
          next: undefined!
        }
      case "recv":
        return { kind: "recv", id: s.id, peer: s.peer, options: new Map() }
      case "select":
        return { kind: "select", id: s.id, choice: s.choice, site: sites.choices.get(s.choice) ?? "", branches: new Map() }
      case "rounds":
        return { kind: "rounds", id: s.id, param: s.param, site: sites.rounds.get(s.param) ?? "", again: undefined!, done: undefined!, decisions: true }
      case "par":
      case "unsupported":
        // Refused before (the subtyping check gives Unsupported).
        throw new TypeError(`a declared local type cannot have a ${s.kind === "par" ? "Par" : s.construct}`)
    }
  })
  for (const s of fsm.states) {
    const state = states[s.id]
    if (s.kind === "send" && state.kind === "send") state.next = to(states[s.next])
    else if (s.kind === "recv" && state.kind === "recv") {
      for (const [label, next] of s.options) {
        const option: RecvOption = { label, sites: sites.recvs.get(key(s.peer, label)) ?? new Set(), next: to(states[next]) }
        state.options.set(label, option)
      }
    } else if (s.kind === "select" && state.kind === "select") for (const [b, next] of s.branches) state.branches.set(b, to(states[next]))
    else if (s.kind === "rounds" && state.kind === "rounds") {
      state.again = to(states[s.again])
      state.done = to(states[s.done])
    }
  }
  return { protocol, role, initial: to(states[fsm.initial]), states }
}

/**
 * Options of `Role.program` with a declared local type.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Protocol, Role } from "quadrille"
 *
 * const Ring = Protocol.make("Ring", { roles: ["A", "B", "C"], messages: { Value: Schema.Number } }, (g) =>
 *   g.msg("A", "B", "Value").msg("B", "C", "Value").msg("C", "A", "Value"))
 * const { send, recv } = Role.local(Ring)
 *
 * const options: Role.DeclaredOptions<ReturnType<typeof eager>> = { local: eager(), bound: 2 }
 * function eager() { return send("C", "Value", recv("A", "Value")) }
 * const b = Role.program(Ring, "B", options, (ch) =>
 *   Effect.gen(function*() {
 *     const [v, end] = yield* (yield* ch.send("C", "Value", 7)).recv("A", "Value")
 *     return yield* end.close(v)
 *   }))
 * assert.ok(b !== undefined)
 * ```
 *
 * @since 0.1.0
 * @category declared types
 */
export interface DeclaredOptions<L extends DeclaredLocal> {
  /** The role's optimised local type, built with `Role.local(P)`. */
  readonly local: L
  /**
   * The bound of the subtyping check: how many actions of the projection the declared type
   * may owe at once (`Check.asyncSubtype`'s `bound`). Default 10.
   */
  readonly bound?: number | undefined
}

const peerAndLabel = (a: Action | undefined): { peer: string | undefined; label: string | undefined } => {
  if (a === undefined) return { peer: undefined, label: undefined }
  switch (a._tag) {
    case "Send":
      return { peer: a.peer, label: a.label }
    case "Recv":
      return { peer: a.peer, label: a.labels.join(" | ") }
    case "Choose":
      return { peer: undefined, label: `${a.choice}.${a.branch}` }
    case "Round":
      return { peer: undefined, label: `${a.param}.${a.branch}` }
    case "End":
      return { peer: undefined, label: undefined }
  }
}

/**
 * Checks a declared local type against the role's projection and builds its automaton.
 * Throws `DeclaredTypeError` when it is not an asynchronous subtype (or the check cannot tell).
 *
 * @internal
 */
export const declare = (protocol: Any, role: string, declared: DeclaredLocal, bound: number | undefined): Automaton => {
  const projected = protocol["~graph"].locals.get(role)
  if (projected === undefined) throw new TypeError(`protocol ${protocol.name} has no role ${role}`)
  const t = toLocalType(declared)
  const where = `Role.program(${protocol.name}, ${role}, { local })`
  const r = asyncSubtype(t, projectedType(projected), { bound, role })
  const sites = sitesOf(projected)
  switch (r._tag) {
    case "Subtype":
      return automatonOf(protocol.name, role, toFsm(t), sites)
    case "NotSubtype": {
      const { peer, label } = peerAndLabel(r.action)
      const a = r.action
      const site = a._tag === "Send"
        ? [...(sites.sends.get(key(a.peer, a.label)) ?? [])].join("|")
        : a._tag === "Recv"
        ? [...new Set(a.labels.flatMap((l) => [...(sites.recvs.get(key(a.peer, l)) ?? [])]))].join("|")
        : ""
      throw new DeclaredTypeError({
        protocol: protocol.name,
        role,
        reason: r.reason,
        peer,
        label,
        site,
        message: `${where}: the declared local type is not an asynchronous subtype of ${role}'s projection: ${r.message}`
      })
    }
    case "Undecided":
      throw new DeclaredTypeError({
        protocol: protocol.name,
        role,
        reason: "Undecided",
        peer: undefined,
        label: undefined,
        site: "",
        message: `${where}: the declared local type could not be checked against ${role}'s projection (${r.message}); give a larger { bound }`
      })
    case "Unsupported":
      throw new DeclaredTypeError({
        protocol: protocol.name,
        role,
        reason: "Unsupported",
        peer: undefined,
        label: undefined,
        site: "",
        message: `${where}: ${r.message}`
      })
  }
}
