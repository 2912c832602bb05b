/**
 * The oracle's replay: the events a run of a generated protocol must have, given the decisions
 * its roles made.
 *
 * @since 0.1.0
 */
import { Either } from "effect"
import type { ProtocolTree, TreeStep } from "./tree.js"

/**
 * Where an event of a run happens: on the main line (empty), or in a branch of a parallel,
 * outermost first. `par` numbers the runs of parallels in the replay, so that the lanes of
 * two runs of one parallel (in two rounds, say) differ.
 *
 * @example
 * ```ts
 * import type { Lane } from "quadrille/testing/arbitrary"
 *
 * // The second branch of the first parallel run.
 * const lane: Lane = [{ par: 0, branch: 1 }]
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type Lane = ReadonlyArray<{ readonly par: number; readonly branch: number }>

/**
 * A message of a run: `from` sent `label` to `to`, on `lane`.
 *
 * @example
 * ```ts
 * import type { TraceMessage } from "quadrille/testing/arbitrary"
 *
 * const ping: TraceMessage = { _tag: "Msg", from: "A", to: "B", label: "ping", lane: [] }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TraceMessage {
  readonly _tag: "Msg"
  readonly from: string
  readonly to: string
  readonly label: string
  readonly lane: Lane
}

/**
 * A decision of a run: `role` took `branch` at `choice`, on `lane`.
 *
 * @example
 * ```ts
 * import type { TraceDecision } from "quadrille/testing/arbitrary"
 *
 * const took: TraceDecision = { _tag: "Decision", role: "A", choice: "c", branch: "x", lane: [] }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface TraceDecision {
  readonly _tag: "Decision"
  readonly role: string
  readonly choice: string
  readonly branch: string
  readonly lane: Lane
}

/**
 * An event of the replay of a run. Events on one lane, or on a lane and the lanes it opens,
 * happen in the order of the replay; events on two branches of one run of a parallel may
 * happen in any order.
 *
 * @example
 * ```ts
 * import type { TraceEvent } from "quadrille/testing/arbitrary"
 *
 * const show = (e: TraceEvent) => (e._tag === "Msg" ? `${e.from} -> ${e.to}: ${e.label}` : `${e.role} takes ${e.branch} at ${e.choice}`)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type TraceEvent = TraceMessage | TraceDecision

/**
 * A decision a role made at a choice.
 *
 * @example
 * ```ts
 * import type { Decision } from "quadrille/testing/arbitrary"
 *
 * const decisions: Record<string, ReadonlyArray<Decision>> = { A: [{ choice: "c", branch: "x" }, { choice: "c", branch: "y" }] }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface Decision {
  readonly choice: string
  readonly branch: string
}

class ReplayFailure {
  constructor(readonly message: string) {}
}

type Exit = { readonly k: "fall" } | { readonly k: "end" } | { readonly k: "recur"; readonly name: string }

const FALL: Exit = { k: "fall" }

/**
 * Replays the global protocol given every role's decisions, in the order each made them, and
 * the session parameters of the tree: the events of the run (messages and decisions) in the
 * order of the replay, which runs the branches of a parallel one after the other; or what
 * went wrong (a role made no decision at a choice the run reaches, took a branch that does not
 * exist, made decisions the run never reached, a parameter has no value, or the replay
 * exceeded `maxSteps`). A role's decisions are taken choice by choice: those of one choice in
 * the order it made them (the order across choices is for the caller to check against the
 * events, see `verifyRun`).
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import { noPerturbations, replay } from "quadrille/testing/arbitrary"
 *
 * const tree = {
 *   name: "P", roles: ["A", "B"], labels: ["x", "y"], params: {}, perturbations: noPerturbations,
 *   steps: [{ _tag: "Loop", name: "L", body: [{ _tag: "Choice", at: "A", name: "c", branches: [
 *     { label: "x", steps: [{ _tag: "Msg", from: "A", to: "B", label: "x" }, { _tag: "Recur", name: "L" }] },
 *     { label: "y", steps: [{ _tag: "Msg", from: "A", to: "B", label: "y" }] }
 *   ] }] }]
 * } as const
 * const events = replay(tree, { A: [{ choice: "c", branch: "x" }, { choice: "c", branch: "y" }] })
 * // Right: decision x, A -> B x, decision y, A -> B y
 * console.log(Either.getOrThrow(events).length) // 4
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const replay = (
  tree: ProtocolTree,
  decisions: Readonly<Record<string, ReadonlyArray<Decision>>>,
  maxSteps = 100_000
): Either.Either<ReadonlyArray<TraceEvent>, string> => {
  const queues = new Map<string, { readonly list: Array<Decision>; next: number }>()
  const queue = (role: string, choice: string) => `${role}\u0000${choice}`
  for (const [role, ds] of Object.entries(decisions)) {
    for (const d of ds) {
      const key = queue(role, d.choice)
      const q = queues.get(key) ?? { list: [], next: 0 }
      q.list.push(d)
      queues.set(key, q)
    }
  }
  const events: Array<TraceEvent> = []
  let steps = 0
  let pars = 0
  const tick = () => {
    if (++steps > maxSteps) throw new ReplayFailure(`the replay did not end within ${maxSteps} steps`)
  }
  const run = (steps: ReadonlyArray<TreeStep>, rename: (r: string) => string, lane: Lane): Exit => {
    for (const s of steps) {
      tick()
      switch (s._tag) {
        case "Msg":
          events.push({ _tag: "Msg", from: rename(s.from), to: rename(s.to), label: s.label, lane })
          break
        case "Broadcast":
          for (const t of s.to) events.push({ _tag: "Msg", from: rename(s.from), to: rename(t), label: s.label, lane })
          break
        case "Choice": {
          const at = rename(s.at)
          const q = queues.get(queue(at, s.name))
          const d = q?.list[q.next]
          if (q === undefined || d === undefined) {
            throw new ReplayFailure(`${at} made no decision at choice '${s.name}' (its decision #${q?.next ?? 0} there)`)
          }
          const b = s.branches.find((br) => br.label === d.branch)
          if (b === undefined) throw new ReplayFailure(`${at} took branch '${d.branch}' that choice '${s.name}' does not have`)
          q.next++
          events.push({ _tag: "Decision", role: at, choice: s.name, branch: d.branch, lane })
          const e = run(b.steps, rename, lane)
          if (e !== FALL) return e
          break
        }
        case "Loop":
          for (;;) {
            tick()
            const e = run(s.body, rename, lane)
            if (e.k === "recur" && e.name === s.name) continue
            if (e.k !== "fall") return e
            break
          }
          break
        case "Repeat": {
          const rounds = tree.params[s.param]
          if (rounds === undefined) throw new ReplayFailure(`no value for the session parameter '${s.param}'`)
          for (let i = 0; i < rounds; i++) {
            const e = run(s.body, rename, lane)
            if (e.k === "end") return e
            if (e.k === "recur") throw new ReplayFailure(`a round of '${s.param}' went round '${e.name}' outside it`)
          }
          break
        }
        case "Parallel": {
          const par = pars++
          for (let branch = 0; branch < s.branches.length; branch++) {
            const e = run(s.branches[branch], rename, [...lane, { par, branch }])
            if (e.k !== "fall") throw new ReplayFailure(`branch ${branch} of a parallel left it (${e.k})`)
          }
          break
        }
        case "Compose": {
          const e = run(s.sub.steps, (r) => rename(s.mapping[r] ?? r), lane)
          if (e.k === "end") return e
          if (e.k === "recur") throw new ReplayFailure(`sub-protocol ${s.sub.name} went round '${e.name}' outside it`)
          break
        }
        case "Timeout":
        case "Saga": {
          // Without delays nor failures, a timeout is in time and a saga commits: the body (the
          // forward part) runs, the fallback (the compensation) does not. Each role does its part
          // in the order of the protocol, so the part is on the lane of the step.
          const part = s._tag === "Timeout" ? s.body : s.forward
          const e = run(part, rename, lane)
          if (e.k !== "fall") throw new ReplayFailure(`${s._tag === "Timeout" ? "timeout" : "saga"} '${s.name}' was left by ${e.k}`)
          break
        }
        case "Recur":
          return { k: "recur", name: s.name }
        case "End":
          return { k: "end" }
      }
    }
    return FALL
  }
  try {
    const e = run(tree.steps, (r) => r, [])
    if (e.k === "recur") return Either.left(`the replay went round '${e.name}' outside it`)
  } catch (e) {
    if (e instanceof ReplayFailure) return Either.left(e.message)
    throw e
  }
  for (const [key, q] of queues) {
    if (q.next !== q.list.length) {
      const [role, choice] = key.split("\u0000")
      return Either.left(`${role} made ${q.list.length} decisions at choice '${choice}' but the protocol reached only ${q.next}`)
    }
  }
  return Either.right(events)
}
