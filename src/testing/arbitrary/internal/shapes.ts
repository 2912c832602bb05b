/**
 * How generated protocols are drawn: raw shapes from fast-check (numbers, not names), then
 * normalized into trees that are well formed by construction (or freer ones). A new kind of
 * step gets a generator among the `items` of `rawSeqArbitrary` and a case in `normalize`.
 *
 * @since 0.1.0
 */
import { Either, type FastCheck } from "effect"
import type { FastCheckModule } from "../../../internal/fast-check.js"
import { build, generated } from "../build.js"
import { consistentChoices } from "../choices.js"
import type { ArbitraryOptions } from "../options.js"
import {
  actors,
  freeRecurs,
  type Generated,
  hasEnd,
  innerSteps,
  noPerturbations,
  type Perturbations,
  type ProtocolTree,
  size,
  subProtocols,
  type TreeBranch,
  type TreeStep
} from "../tree.js"
import { fromBuilt } from "./generated.js"

/** Whether some steps have a `repeat`, composed sub-protocols included. */
const hasRepeat = (steps: ReadonlyArray<TreeStep>): boolean =>
  steps.some((s) => s._tag === "Repeat" || innerSteps(s).some(hasRepeat))

/**
 * How a sequence can be left: `"fall"` (it runs to its end), `"end"`, or `"recur:<loop>"`.
 * Conservative: a `repeat` may always fall (its rounds may be 0), a parallel always does.
 */
const exitsOf = (steps: ReadonlyArray<TreeStep>): Set<string> => {
  const out = new Set<string>()
  /** Adds the exits of an inner sequence but `fall` and `recur` to `own`; whether it may fall. */
  const inner = (steps: ReadonlyArray<TreeStep>, own?: string) => {
    let falls = false
    for (const e of exitsOf(steps)) {
      if (e === "fall") falls = true
      else if (e !== `recur:${own}`) out.add(e)
    }
    return falls
  }
  for (const s of steps) {
    switch (s._tag) {
      case "Msg":
      case "Broadcast":
        continue
      case "End":
        out.add("end")
        return out
      case "Recur":
        out.add(`recur:${s.name}`)
        return out
      case "Choice": {
        let falls = false
        for (const b of s.branches) if (inner(b.steps)) falls = true
        if (!falls) return out
        continue
      }
      case "Loop":
        if (!inner(s.body, s.name)) return out
        continue
      case "Repeat":
        inner(s.body)
        continue
      case "Parallel":
        for (const b of s.branches) inner(b)
        continue
      case "Timeout":
      case "Saga":
        // Like a parallel: its parts can neither end the protocol nor recur out, and it goes on.
        for (const b of innerSteps(s)) inner(b)
        continue
      case "Compose":
        if (!inner(s.sub.steps)) return out
        continue
    }
  }
  out.add("fall")
  return out
}

interface RawMsg {
  readonly from: number
  readonly to: number
  readonly label: number
}

type RawTerm =
  | { readonly t: "none" }
  | { readonly t: "end" }
  | { readonly t: "recur"; readonly loop: number; readonly guard: RawMsg }
  /** A forever loop that no path leaves, ending the sequence (option `forever` only). */
  | { readonly t: "forever"; readonly body: RawSeq; readonly guard: RawMsg }

interface RawInform {
  readonly mode: "direct" | "relay" | "skip" | "shared"
  readonly via: number
}

type RawItem =
  | { readonly t: "msg"; readonly m: RawMsg }
  | { readonly t: "bcast"; readonly from: number; readonly to: ReadonlyArray<number>; readonly label: number }
  | {
    readonly t: "compose"
    readonly sub: number
    /** Picks, for each role of the sub-protocol in turn, one of the roles not taken yet. */
    readonly map: ReadonlyArray<number>
    /** The message in its place when no sub-protocol may be composed here. */
    readonly alt: RawMsg
  }
  | {
    readonly t: "choice"
    readonly at: number
    /** The branch that must stay out of `recur`; negative for none (free trees only). */
    readonly safe: number
    readonly branches: ReadonlyArray<RawSeq>
    /** Messages that end every branch alike. */
    readonly common: ReadonlyArray<RawMsg>
    /** How each role learns the branch (free trees only). */
    readonly plan: ReadonlyArray<RawInform>
    /** Inform after the branch's own steps (free trees only). */
    readonly late: boolean
  }
  | {
    readonly t: "loop"
    readonly body: RawSeq
    /** A choice that ends the body (before its `recur`, if any), where loops usually go round. */
    readonly tail: RawItem | undefined
    /** The body itself may end with `recur` (free trees only). */
    readonly bodyRecur: boolean
  }
  | {
    readonly t: "repeat"
    readonly body: RawSeq
    readonly rounds: number
    /** The message added to a round that sends none (the builder rejects a silent round). */
    readonly guard: RawMsg
    /** The body may `recur` to enclosing loops (free trees only: the builder rejects it). */
    readonly leak: boolean
  }
  | {
    readonly t: "timeout"
    readonly at: number
    readonly body: RawSeq
    readonly fallback: RawSeq
    /** The message from `at` added to a body it takes no part in. */
    readonly guard: RawMsg
  }
  | {
    readonly t: "saga"
    readonly owner: number
    /** The receiver of the message that begins the forward part. */
    readonly peer: number
    readonly forward: RawSeq
    readonly compensate: RawSeq
  }
  | {
    readonly t: "par"
    readonly branches: ReadonlyArray<RawSeq>
    /** The branches may `end()` or `recur` to enclosing loops (free trees only: the builder rejects it). */
    readonly leak: boolean
  }

interface RawSeq {
  readonly items: ReadonlyArray<RawItem>
  readonly term: RawTerm
}

interface RawProtocol {
  readonly roles: number
  readonly seq: RawSeq
  readonly subs: ReadonlyArray<RawProtocol>
}

const ROLE_NAMES = ["A", "B", "C", "D", "E", "F", "G", "H"]
const SUB_ROLE_NAMES = ["P", "Q", "R"]
const BRANCH_NAMES = ["x", "y", "z", "w", "v", "u"]
const LABEL_NAMES = ["a", "b", "c", "d", "e", "f", "g", "h"]

const config = (o: ArbitraryOptions) => ({
  minRoles: Math.max(2, o.minRoles ?? 2),
  maxRoles: Math.min(8, Math.max(o.minRoles ?? 2, o.maxRoles ?? 5)),
  maxDepth: o.maxDepth ?? 3,
  maxSteps: o.maxSteps ?? 3,
  maxBranches: Math.min(BRANCH_NAMES.length, o.maxBranches ?? 3),
  labels: Math.min(LABEL_NAMES.length, Math.max(1, o.labels ?? 3)),
  maxSize: o.maxSize ?? 120,
  compose: o.compose ?? true,
  composeDepth: o.composeDepth ?? 2,
  broadcast: o.broadcast ?? true,
  repeat: o.repeat ?? true,
  maxRounds: Math.max(0, o.maxRounds ?? 3),
  parallel: o.parallel ?? true,
  maxParallel: Math.max(1, o.maxParallel ?? 3),
  roundEnds: o.roundEnds ?? false,
  reusedRounds: o.reusedRounds ?? false,
  timeouts: o.timeouts ?? false,
  timeoutDuration: o.timeoutDuration ?? 60_000,
  sagas: o.sagas ?? false,
  forever: o.forever ?? false
})

type Config = ReturnType<typeof config>

/** Sub-protocols are smaller: 2 or 3 roles, shallower, shorter. */
const subConfig = (c: Config): Config => ({
  ...c,
  minRoles: 2,
  maxRoles: SUB_ROLE_NAMES.length,
  maxDepth: Math.min(2, c.maxDepth),
  maxSteps: Math.min(2, c.maxSteps),
  maxBranches: Math.min(2, c.maxBranches),
  maxParallel: Math.min(2, c.maxParallel),
  // A composed sub-protocol that never ends would leave nothing reachable after it.
  forever: false
})

const rawSeqArbitrary = (fc: FastCheckModule, c: Config, free: boolean, composes: boolean): FastCheck.Arbitrary<RawSeq> => {
  const msg: FastCheck.Arbitrary<RawMsg> = fc.record({ from: fc.nat(7), to: fc.nat(6), label: fc.nat(c.labels - 1) })
  const term: FastCheck.Arbitrary<RawTerm> = fc.oneof(
    { weight: 4, arbitrary: fc.constant({ t: "none" as const }) },
    { weight: 1, arbitrary: fc.constant({ t: "end" as const }) },
    { weight: 5, arbitrary: fc.record({ t: fc.constant("recur" as const), loop: fc.nat(3), guard: msg }) }
  )
  const inform: FastCheck.Arbitrary<RawInform> = fc.record({
    mode: fc.oneof(
      { weight: 4, arbitrary: fc.constant("direct" as const) },
      { weight: 3, arbitrary: fc.constant("relay" as const) },
      { weight: 2, arbitrary: fc.constant("skip" as const) },
      { weight: 1, arbitrary: fc.constant("shared" as const) }
    ),
    via: fc.nat(7)
  })
  const leak = free
    ? fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })
    : fc.constant(false)
  const msgItem: FastCheck.Arbitrary<RawItem> = msg.map((m) => ({ t: "msg" as const, m }))
  const leaves: Array<FastCheck.WeightedArbitrary<RawItem>> = [{ weight: 8, arbitrary: msgItem }]
  if (c.broadcast) {
    leaves.push({
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant("bcast" as const),
        from: fc.nat(7),
        to: fc.uniqueArray(fc.nat(7), { minLength: free ? 0 : 1, maxLength: 4 }),
        label: fc.nat(c.labels - 1)
      })
    })
  }
  if (composes) {
    leaves.push({
      weight: 3,
      arbitrary: fc.record({
        t: fc.constant("compose" as const),
        sub: fc.nat(3),
        map: fc.array(fc.nat(7), { minLength: SUB_ROLE_NAMES.length, maxLength: SUB_ROLE_NAMES.length }),
        alt: msg
      })
    })
  }
  const leaf = fc.oneof(...leaves)
  // With `forever`, a sequence may end with a forever loop whose body is one level shallower
  // (without it, the arbitraries are exactly those drawn before the option existed).
  const orForever = (body: FastCheck.Arbitrary<RawSeq>, weight: number): FastCheck.Arbitrary<RawTerm> =>
    fc.oneof({ weight: 10, arbitrary: term }, { weight, arbitrary: fc.record({ t: fc.constant("forever" as const), body, guard: msg }) })
  let shallower: FastCheck.Arbitrary<RawSeq> = fc.record({ items: fc.array(leaf, { maxLength: c.maxSteps }), term })
  let item: FastCheck.Arbitrary<RawItem> = leaf
  for (let d = 1; d <= c.maxDepth; d++) {
    const inner: FastCheck.Arbitrary<RawSeq> = fc.record({
      items: fc.array(item, { maxLength: c.maxSteps }),
      term: c.forever ? orForever(shallower, 2) : term
    })
    shallower = inner
    const plain = {
      t: fc.constant("choice" as const),
      at: fc.nat(7),
      safe: fc.nat(5),
      branches: fc.array(inner, { minLength: 1, maxLength: c.maxBranches }),
      common: fc.oneof(
        { weight: 3, arbitrary: fc.constant([]) },
        { weight: 1, arbitrary: fc.array(msg, { minLength: 1, maxLength: 2 }) }
      ),
      plan: fc.constant([]),
      late: fc.constant(false)
    }
    // A free tree departs from the scheme at about one choice in three.
    const perturbed = {
      ...plain,
      safe: fc.oneof({ weight: 4, arbitrary: fc.nat(5) }, { weight: 1, arbitrary: fc.constant(-1) }),
      plan: fc.array(inform, { minLength: 8, maxLength: 8 }),
      late: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })
    }
    const choice: FastCheck.Arbitrary<RawItem> = free
      ? fc.oneof({ weight: 2, arbitrary: fc.record(plain) }, { weight: 1, arbitrary: fc.record(perturbed) })
      : fc.record(plain)
    const loop: FastCheck.Arbitrary<RawItem> = fc.record({
      t: fc.constant("loop" as const),
      body: inner,
      tail: fc.option(choice, { freq: 3, nil: undefined }),
      bodyRecur: free
        ? fc.oneof({ weight: 8, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) })
        : fc.constant(false)
    })
    const items: Array<FastCheck.WeightedArbitrary<RawItem>> = [
      { weight: 8, arbitrary: leaf },
      { weight: 4, arbitrary: choice },
      { weight: 4, arbitrary: loop }
    ]
    if (c.repeat) {
      items.push({
        weight: 2,
        arbitrary: fc.record({
          t: fc.constant("repeat" as const),
          body: inner,
          rounds: fc.nat(c.maxRounds),
          guard: msg,
          leak
        })
      })
    }
    if (c.parallel) {
      items.push({
        weight: 2,
        arbitrary: fc.record({
          t: fc.constant("par" as const),
          branches: fc.array(inner, { minLength: 1, maxLength: c.maxParallel }),
          leak
        })
      })
    }
    if (c.timeouts) {
      items.push({
        weight: 2,
        arbitrary: fc.record({ t: fc.constant("timeout" as const), at: fc.nat(7), body: inner, fallback: inner, guard: msg })
      })
    }
    if (c.sagas) {
      items.push({
        weight: 2,
        arbitrary: fc.record({ t: fc.constant("saga" as const), owner: fc.nat(7), peer: fc.nat(6), forward: inner, compensate: inner })
      })
    }
    item = fc.oneof(...items)
  }
  // At the top level, most protocols of the option end with a forever loop.
  return fc.record({ items: fc.array(item, { minLength: 1, maxLength: c.maxSteps + 1 }), term: c.forever ? orForever(shallower, 30) : term })
}

/** A raw protocol and, when it may compose, the raw sub-protocols it may compose. */
const rawProtocolArbitrary = (fc: FastCheckModule, c: Config, free: boolean, level = 0): FastCheck.Arbitrary<RawProtocol> => {
  const composes = c.compose && level < c.composeDepth
  return fc.record({
    roles: fc.integer({ min: c.minRoles, max: c.maxRoles }),
    seq: rawSeqArbitrary(fc, c, free, composes),
    subs: composes ? fc.array(rawProtocolArbitrary(fc, subConfig(c), free, level + 1), { minLength: 1, maxLength: 2 }) : fc.constant([])
  })
}

/**
 * Where a step is: the loops it may `recur` to, where `end()` may be (`any`; `informed`: only
 * in a branch of a choice, whose chooser tells every role, as in a round of a `repeat`, where
 * a role that takes no part in the rounds could not know; `none`: in a parallel branch), and
 * its lane (the parallel branches it is in, by parallel and branch index).
 */
interface Ctx {
  readonly enclosing: ReadonlyArray<string>
  readonly ends: "any" | "informed" | "none"
  readonly lane: ReadonlyArray<readonly [number, number]>
  /** In a round of a `repeat` (no forever loop there: the rounds would never be done). */
  readonly inRound?: true
}

/** Whether two places are in different branches of one parallel. */
const concurrent = (a: Ctx["lane"], b: Ctx["lane"]) => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i][0] !== b[i][0]) return false
    if (a[i][1] !== b[i][1]) return true
  }
  return false
}

/**
 * Turns a raw shape into a tree: names, roles, the messages that tell each role the branch,
 * the sub-protocols (first) and where they may be composed.
 */
const normalize = (
  raw: RawProtocol,
  nRoles: number,
  roleNames: ReadonlyArray<string>,
  c: Config,
  free: boolean,
  name: string,
  prefix: string
): ProtocolTree => {
  const roles = roleNames.slice(0, nRoles)
  const subs = raw.subs.map((s, i) => {
    const subName = prefix === "" ? `S${i}` : `${name}_${i}`
    return normalize(s, Math.min(s.roles, nRoles), SUB_ROLE_NAMES, subConfig(c), free, subName, `${subName.toLowerCase()}_`)
  })
  const usages = new Map<string, Array<Ctx["lane"]>>()
  const labels = new Set<string>()
  const params: Record<string, number> = {}
  const counts = { ...noPerturbations }
  let choices = 0
  let loops = 0
  let repeats = 0
  let pars = 0
  let timeouts = 0
  let sagas = 0
  let forevers = 0
  const label = (l: string) => {
    labels.add(l)
    return l
  }
  const msg = (m: RawMsg): TreeStep => {
    const from = m.from % nRoles
    const to = (from + 1 + (m.to % (nRoles - 1))) % nRoles
    return { _tag: "Msg", from: roles[from], to: roles[to], label: label(LABEL_NAMES[m.label % c.labels]) }
  }
  const term = (t: RawTerm, ctx: Ctx, mayRecur: boolean): ReadonlyArray<TreeStep> => {
    if (t.t === "end") return ctx.ends === "any" ? [{ _tag: "End" }] : []
    // Where end() may be, but not where the sequence is an enclosing loop's way out (a path
    // into a forever loop does not leave the loop around it).
    if (t.t === "forever") {
      return ctx.ends === "any" && ctx.inRound !== true && (ctx.enclosing.length === 0 || mayRecur) ? [forever(t, ctx)] : []
    }
    if (t.t === "recur" && mayRecur && ctx.enclosing.length > 0) {
      return [{ _tag: "Recur", name: ctx.enclosing[t.loop % ctx.enclosing.length] }]
    }
    return []
  }
  /** A message before every `recur`, so that each loop is guarded. */
  const sends = (steps: ReadonlyArray<TreeStep>) =>
    steps.some((s) => s._tag === "Msg" || (s._tag === "Broadcast" && s.to.length > 0))
  const guarded = (steps: ReadonlyArray<TreeStep>, t: RawTerm): ReadonlyArray<TreeStep> => {
    const last = steps[steps.length - 1]
    if (last?._tag !== "Recur" || t.t !== "recur" || sends(steps)) return steps
    return [...steps.slice(0, -1), msg(t.guard), last]
  }
  /**
   * A forever loop that no path leaves: its body may `recur` only to itself and never
   * `end()`s, and goes round at its end, after a message.
   */
  const forever = (t: Extract<RawTerm, { t: "forever" }>, ctx: Ctx): TreeStep => {
    const name = `${prefix}f${forevers++}`
    const steps = seq(t.body, { enclosing: [name], ends: "none", lane: ctx.lane, inRound: ctx.inRound }, true)
    const again: TreeStep = { _tag: "Recur", name }
    const body = steps[steps.length - 1]?._tag === "Recur" ? steps : sends(steps) ? [...steps, again] : [...steps, msg(t.guard), again]
    return { _tag: "Loop", name, body, forever: true }
  }
  const seq = (s: RawSeq, ctx: Ctx, mayRecur: boolean): ReadonlyArray<TreeStep> => {
    const items = s.items.map((i) => item(i, ctx))
    return guarded([...items, ...term(s.term, ctx, mayRecur)], s.term)
  }
  /** `extra` at the end of `steps`, before its `end()` or `recur` if it has one. */
  const beforeExit = (steps: ReadonlyArray<TreeStep>, extra: ReadonlyArray<TreeStep>) => {
    const last = steps[steps.length - 1]
    return last?._tag === "End" || last?._tag === "Recur" ? [...steps.slice(0, -1), ...extra, last] : [...steps, ...extra]
  }
  const escapes = (steps: ReadonlyArray<TreeStep>, ctx: Ctx, ends: boolean) =>
    (ends && hasEnd(steps)) || [...freeRecurs(steps)].some((l) => ctx.enclosing.includes(l))
  const item = (i: RawItem, ctx: Ctx): TreeStep => {
    switch (i.t) {
      case "msg":
        return msg(i.m)
      case "bcast": {
        const from = i.from % nRoles
        const to = [...new Set(i.to.map((t) => (from + 1 + (t % (nRoles - 1))) % nRoles))].map((t) => roles[t])
        return { _tag: "Broadcast", from: roles[from], to, label: label(LABEL_NAMES[i.label % c.labels]) }
      }
      case "compose": {
        // A sub-protocol that may end only where every role would know (free trees: anywhere
        // but in a parallel branch or a round), and never in two branches of one parallel (a
        // role would make the same choices on two lanes at once).
        const fits = subs.filter((s) => {
          const ends = hasEnd(s.steps)
          const before = usages.get(s.name) ?? []
          return (!ends || (ctx.ends === "any" && (free || s.roles.length === nRoles))) &&
            before.every((u) => !concurrent(u, ctx.lane)) &&
            (c.reusedRounds || before.length === 0 || !hasRepeat(s.steps))
        })
        if (fits.length === 0) return msg(i.alt)
        const sub = fits[i.sub % fits.length]
        if (hasEnd(sub.steps) && sub.roles.length < nRoles) counts.partialCompose++
        usages.set(sub.name, [...(usages.get(sub.name) ?? []), ctx.lane])
        const free_ = [...roles]
        const mapping = Object.fromEntries(sub.roles.map((r, j) => [r, free_.splice(i.map[j] % free_.length, 1)[0]]))
        return { _tag: "Compose", sub, mapping }
      }
      case "repeat": {
        const param = `${prefix}r${repeats++}`
        params[param] = i.rounds
        const ends = free ? (c.roundEnds ? "any" : "none") : ctx.ends === "none" ? "none" : "informed"
        const inner: Ctx = { enclosing: i.leak ? ctx.enclosing : [], ends, lane: ctx.lane, inRound: true }
        const steps = seq(i.body, inner, true)
        // A message in every round (free trees: but in those that escape, rejected anyway).
        const body = sends(steps) || i.leak ? steps : beforeExit(steps, [msg(i.guard)])
        if (i.leak && escapes(body, ctx, false)) counts.escape++
        if (c.roundEnds && hasEnd(body)) counts.roundEnd++
        return { _tag: "Repeat", param, body }
      }
      case "par": {
        const id = pars++
        const branches = i.branches.map((b, j) =>
          seq(b, {
            enclosing: i.leak ? ctx.enclosing : [],
            ends: i.leak ? ctx.ends : "none",
            lane: [...ctx.lane, [id, j] as const]
          }, true)
        )
        if (i.leak && branches.some((b) => escapes(b, ctx, true))) counts.escape++
        return { _tag: "Parallel", branches }
      }
      case "timeout": {
        const name = `${prefix}t${timeouts++}`
        const at = i.at % nRoles
        // Like a parallel branch: no recur out, no end(); on the lane of the step.
        const inner: Ctx = { enclosing: [], ends: "none", lane: ctx.lane }
        const body0 = seq(i.body, inner, true)
        const fallback = seq(i.fallback, inner, true)
        // `at` races its own part of the body: it must have one.
        const body = actors(body0).has(roles[at])
          ? body0
          : [...body0, msg({ ...i.guard, from: at, to: i.guard.to })]
        return { _tag: "Timeout", at: roles[at], name, duration: c.timeoutDuration, body, fallback }
      }
      case "saga": {
        const name = `${prefix}g${sagas++}`
        const owner = i.owner % nRoles
        const peer = (owner + 1 + (i.peer % (nRoles - 1))) % nRoles
        const inner: Ctx = { enclosing: [], ends: "none", lane: ctx.lane }
        // The forward part begins with the owner's message of the saga's own label: a driver
        // told to fail the saga fails its send (see `implementAll`).
        const start: TreeStep = { _tag: "Msg", from: roles[owner], to: roles[peer], label: label(name) }
        const forward = [start, ...seq(i.forward, inner, true)]
        const compensate = seq(i.compensate, inner, true)
        return { _tag: "Saga", owner: roles[owner], name, forward, compensate }
      }
      case "loop": {
        const name = `${prefix}l${loops++}`
        const body = i.tail === undefined ? i.body : { items: [...i.body.items, i.tail], term: i.body.term }
        return { _tag: "Loop", name, body: seq(body, { ...ctx, enclosing: [...ctx.enclosing, name] }, i.bodyRecur) }
      }
      case "choice": {
        const name = `${prefix}c${choices++}`
        const at = roles[i.at % nRoles]
        const n = i.branches.length
        const safe = i.safe < 0 ? -1 : i.safe % n
        if (safe < 0) counts.noSafeBranch++
        const common = i.common.map(msg)
        // The chooser tells every role in a branch that may end: there, `end()` may be.
        const inBranch: Ctx = { ...ctx, ends: ctx.ends === "informed" ? "any" : ctx.ends }
        const bodies = i.branches.map((b, j) => ({
          items: b.items.map((x) => item(x, inBranch)),
          end: term(b.term, inBranch, j !== safe),
          raw: b.term
        }))
        const whole = bodies.map((b) => [...b.items, ...common, ...b.end])
        const pureFall = whole.every((steps) => {
          const e = exitsOf(steps)
          return e.size === 1 && e.has("fall")
        })
        const acting = new Set<string>()
        for (const steps of whole) actors(steps, acting)
        const toInform = roles.filter((r) => r !== at && (!pureFall || acting.has(r)))
        // One plan for every branch: only the labels differ between branches.
        const plan: Array<{ readonly from: string; readonly to: string; readonly shared: boolean }> = []
        const informed = [at]
        for (const r of toInform) {
          // Trees built by the scheme have no plan: every role is told by the chooser.
          const p = i.plan[roles.indexOf(r)] ?? { mode: "direct", via: 0 }
          if (p.mode === "skip") {
            counts.uninformed++
            continue
          }
          if (p.mode === "relay" && informed.length > 1) {
            const relays = informed.slice(1)
            plan.push({ from: relays[p.via % relays.length], to: r, shared: false })
            counts.relayed++
          } else {
            plan.push({ from: at, to: r, shared: p.mode === "shared" })
            if (p.mode === "shared") counts.sharedLabel++
          }
          informed.push(r)
        }
        if (i.late && plan.length > 0) counts.lateInform++
        const branches = bodies.map((b, j): TreeBranch => {
          const branch = BRANCH_NAMES[j]
          const informs = plan.map((p): TreeStep => ({
            _tag: "Msg",
            from: p.from,
            to: p.to,
            label: label(p.shared ? `${name}` : `${name}${branch}`)
          }))
          const steps = i.late ? [...b.items, ...informs, ...common, ...b.end] : [...informs, ...b.items, ...common, ...b.end]
          return { label: branch, steps: guarded(steps, b.raw) }
        })
        return { _tag: "Choice", at, name, branches }
      }
    }
  }
  const steps = seq(raw.seq, { enclosing: [], ends: "any", lane: [] }, false)
  const tree0 = { name, roles, labels: [...labels].sort(), steps, params: {}, perturbations: counts }
  // The parameters and perturbations of the sub-protocols composed here count here too.
  const used = subProtocols(tree0)
  for (const sub of subs) {
    if (!used.includes(sub)) continue
    Object.assign(params, sub.params)
    for (const k of Object.keys(counts) as Array<keyof Perturbations>) counts[k] += sub.perturbations[k]
  }
  return { ...tree0, params }
}

const treeArbitrary = (fc: FastCheckModule, o: ArbitraryOptions, free: boolean, name: string): FastCheck.Arbitrary<ProtocolTree> => {
  const c = config(o)
  return rawProtocolArbitrary(fc, c, free)
    .map((raw) => normalize(raw, Math.min(c.maxRoles, Math.max(c.minRoles, raw.roles)), ROLE_NAMES, c, free, name, ""))
    .filter((t) => size(t.steps) <= c.maxSize && consistentChoices(t))
}

/**
 * The arbitraries of generated protocols, built with the fast-check module `fc`: the one the
 * properties that use them run with (`quadrille/testing/arbitrary` passes fast-check 4,
 * `quadrille/testing/arbitrary/effect` the fast-check of `effect/FastCheck`).
 *
 * @category arbitraries
 */
export const protocolArbitraries = (fc: FastCheckModule) => {
  /**
   * Trees of protocols that are well formed by construction: in every branch the chooser first
   * tells each role that acts in the choice (every other role when a branch may end or go round
   * a loop) the branch, with a label of its own; every loop has a way out (each choice has a
   * branch that does not `recur`, loop bodies do not end with `recur`); a message comes before
   * every `recur`. Rounds of a `repeat` and parallel branches `recur` only to their own loops;
   * parallel branches never `end()`, rounds only in a branch of a choice (whose chooser tells
   * every role). Sub-protocols are generated by the same scheme; one that may `end()` is
   * composed only over every role, where `end()` may be.
   */
  const wellFormedTree = (options: ArbitraryOptions = {}): FastCheck.Arbitrary<ProtocolTree> =>
    treeArbitrary(fc, options, false, "WellFormed")

  /**
   * Well-formed protocols (see `wellFormedTree`), built with `Protocol.make`. Generating one that
   * the library rejects throws.
   */
  const wellFormedProtocol = (options: ArbitraryOptions = {}): FastCheck.Arbitrary<Generated> =>
    wellFormedTree(options).map(generated)

  /**
   * Freer trees, which may or may not be well formed: roles are told the branch by the chooser,
   * by another role that was told (relay), with a label shared by all branches, after other
   * steps of the branch, or not at all; some choices have no branch that stays out of `recur`,
   * and loop bodies may end with `recur`. Sub-protocols that may `end()` are composed over some
   * of the roles only; now and then a parallel branch or a round `recur`s outward or a branch
   * `end()`s.
   */
  const freeTree = (options: ArbitraryOptions = {}): FastCheck.Arbitrary<ProtocolTree> =>
    treeArbitrary(fc, options, true, "Free")

  /**
   * The free trees (see `freeTree`) that `Protocol.makeEither` accepts, built: these exercise
   * full merging (roles that behave the same in every branch, roles told by a role that was
   * told).
   */
  const mergeableProtocol = (options: ArbitraryOptions = {}): FastCheck.Arbitrary<Generated> =>
    freeTree(options)
      .map((tree) => ({ tree, built: build(tree) }))
      .filter((x) => Either.isRight(x.built))
      .map((x) => fromBuilt(x.tree, Either.getOrThrow(x.built)))

  return { wellFormedTree, wellFormedProtocol, freeTree, mergeableProtocol }
}
