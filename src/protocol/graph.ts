/**
 * The global protocol compiled to a graph: every step is a node with explicit successors,
 * `recur` edges point back into their loop, and the end of a loop body points to what
 * follows the loop. Projection and the trace validator walk this graph.
 *
 * @internal
 */
import { ProjectionError } from "../effects/errors.js"
import { automaton, type Automaton } from "./automaton.js"
import * as Msg from "./messages.js"
import type { Step } from "./Protocol.js"

export type * from "./nodes.js"
import type { ChoiceNode, EndNode, GNode, LoopNode, MsgNode, ParNode, RecurNode, RoundsNode, TimeoutNode, TimeoutPart } from "./nodes.js"

export interface GlobalGraph {
  readonly protocol: string
  readonly start: GNode
  readonly nodes: ReadonlyArray<GNode>
  /** The local automaton of every role. */
  readonly locals: ReadonlyMap<string, Automaton>
}

/** Compiles checked steps to a graph, checks the loops, and projects every role. */
export const compile = (protocol: string, roles: ReadonlyArray<string>, steps: ReadonlyArray<Step>): GlobalGraph => {
  const nodes: Array<GNode> = []
  const end: EndNode = { kind: "end", id: 0, site: "end", loops: [] }
  nodes.push(end)
  const fresh = () => nodes.length

  const seq = (steps: ReadonlyArray<Step>, k: GNode, loops: ReadonlyArray<LoopNode>): GNode => {
    let next = k
    for (let i = steps.length - 1; i >= 0; i--) next = step(steps[i], next, loops)
    return next
  }
  const names = (loops: ReadonlyArray<LoopNode>) => loops.map((l) => l.name)

  const step = (s: Step, k: GNode, loops: ReadonlyArray<LoopNode>): GNode => {
    switch (s._tag) {
      case "Msg": {
        const n: MsgNode = { kind: "msg", id: fresh(), site: s.site, loops: names(loops), from: s.from, to: s.to, label: s.label, next: k }
        nodes.push(n)
        return n
      }
      case "Choice": {
        const n: ChoiceNode = { kind: "choice", id: fresh(), site: s.site, loops: names(loops), at: s.at, name: s.name, branches: [] }
        nodes.push(n)
        for (const b of s.branches) n.branches.push({ label: b.label, node: seq(b.steps, k, loops) })
        return n
      }
      case "Loop": {
        const n: LoopNode = { kind: "loop", id: fresh(), site: s.site, loops: names(loops), name: s.name, forever: s.forever === true, body: end, exit: k }
        nodes.push(n)
        n.body = seq(s.body, k, [...loops, n])
        return n
      }
      case "Recur": {
        const loop = loops.find((l) => l.name === s.name)!
        const n: RecurNode = { kind: "recur", id: fresh(), site: s.site, loops: names(loops), name: s.name, loop }
        nodes.push(n)
        return n
      }
      case "End":
        return end
      case "Compose":
        return seq(s.steps, k, loops)
      case "Parallel": {
        const n: ParNode = {
          kind: "par",
          id: fresh(),
          site: s.site,
          loops: names(loops),
          next: k,
          branches: s.branches.map((steps, j) => {
            const branchEnd: EndNode = { kind: "end", id: fresh(), site: `${s.site}.${j}.end`, loops: [] }
            nodes.push(branchEnd)
            return { start: seq(steps, branchEnd, []), roles: rolesIn(steps) }
          })
        }
        nodes.push(n)
        return n
      }
      case "Timeout":
        return guarded(s.site, loops, k, "clock", s.at, s.name, s.duration, [s.body, "body"], [s.fallback, "fallback"])
      case "Saga":
        return guarded(s.site, loops, k, "failure", s.owner, s.name, Number.POSITIVE_INFINITY, [s.forward, "forward"], [s.compensate, "compensate"])
      case "Repeat": {
        // A loop named after the parameter whose body is the round check, so that the loop
        // counters count the rounds.
        const loop: LoopNode = { kind: "loop", id: fresh(), site: s.site, loops: names(loops), name: s.param, forever: false, body: end, exit: k }
        nodes.push(loop)
        const inner = [...loops, loop]
        const rounds: RoundsNode = {
          kind: "rounds",
          id: fresh(),
          site: s.site,
          loops: names(inner),
          param: s.param,
          again: end,
          exit: k,
          roles: rolesIn(s.body)
        }
        nodes.push(rounds)
        loop.body = rounds
        const recur: RecurNode = { kind: "recur", id: fresh(), site: s.site, loops: names(inner), name: s.param, loop }
        nodes.push(recur)
        rounds.again = seq(s.body, recur, inner)
        return loop
      }
    }
  }

  /** A timeout or a saga: its two parts, each a sequence ending at an end of its own, then `k`. */
  const guarded = (
    site: string,
    loops: ReadonlyArray<LoopNode>,
    k: GNode,
    trigger: TimeoutNode["trigger"],
    at: string,
    name: string,
    duration: number,
    ...parts: ReadonlyArray<readonly [ReadonlyArray<Step>, string]>
  ): TimeoutNode => {
    const [body, fallback] = parts.map(([steps, which]): TimeoutPart => {
      const partEnd: EndNode = { kind: "end", id: fresh(), site: `${site}.${which}.end`, loops: [] }
      nodes.push(partEnd)
      return { start: seq(steps, partEnd, []), roles: rolesIn(steps) }
    })
    const n: TimeoutNode = {
      kind: "timeout",
      id: fresh(),
      site,
      loops: names(loops),
      at,
      name,
      duration,
      trigger,
      body,
      fallback,
      roles: new Set([at, ...body.roles, ...fallback.roles]),
      next: k
    }
    nodes.push(n)
    return n
  }

  const start = seq(steps, end, [])
  for (const n of nodes) if (n.kind === "loop") checkLoop(protocol, n)
  const locals = new Map<string, Automaton>()
  for (const r of roles) locals.set(r, automaton(protocol, r, start))
  return { protocol, start, nodes, locals }
}

/** The roles that act in some steps. */
export const rolesIn = (steps: ReadonlyArray<Step>): Set<string> => {
  const out = new Set<string>()
  const walk = (steps: ReadonlyArray<Step>) => {
    for (const s of steps) {
      switch (s._tag) {
        case "Msg":
          out.add(s.from).add(s.to)
          break
        case "Choice":
          out.add(s.at)
          for (const b of s.branches) walk(b.steps)
          break
        case "Loop":
        case "Repeat":
          walk(s.body)
          break
        case "Compose":
          walk(s.steps)
          break
        case "Parallel":
          for (const b of s.branches) walk(b)
          break
        case "Timeout":
          out.add(s.at)
          walk(s.body)
          walk(s.fallback)
          break
        case "Saga":
          out.add(s.owner)
          walk(s.forward)
          walk(s.compensate)
          break
      }
    }
  }
  walk(steps)
  return out
}

/** The successors of a node in the global graph, with `recur` going back into the body. */
export const successors = (n: GNode): ReadonlyArray<GNode> => {
  switch (n.kind) {
    case "msg":
      return [n.next]
    case "choice":
      return n.branches.map((b) => b.node)
    case "loop":
      return [n.body]
    case "recur":
      return [n.loop.body]
    case "rounds":
      return [n.again, n.exit]
    case "par":
    case "timeout":
      // The branches end at ends of their own: for the checks of loops, a parallel (or a timeout) is one step.
      return [n.next]
    case "end":
      return []
  }
}

/**
 * A loop must be guarded (some message before every `recur` of it) and must have a way out
 * (some path from its body that leaves it without recurring), unless it is declared `forever`.
 */
const checkLoop = (protocol: string, loop: LoopNode) => {
  // Guardedness: from the body, following only silent nodes, never reach recur(loop).
  const silent = new Set<number>()
  const unguarded = (n: GNode): boolean => {
    if (silent.has(n.id)) return false
    silent.add(n.id)
    if (n.kind === "msg" || n.kind === "end") return false
    if (n.kind === "par" && n.branches.some((b) => b.roles.size > 0)) return false
    if (n.kind === "timeout") return false
    if (n.kind === "recur" && n.loop === loop) return true
    return successors(n).some(unguarded)
  }
  if (unguarded(loop.body)) {
    throw new ProjectionError({
      protocol,
      rule: "UnguardedLoop",
      sites: [loop.site],
      message: Msg.unguardedLoop(protocol, loop.name, loop.site)
    })
  }
  // A way out: a node outside this loop reachable without taking recur(loop).
  const seen = new Set<number>()
  const exits = (n: GNode): boolean => {
    if (seen.has(n.id)) return false
    seen.add(n.id)
    if (n !== loop && !n.loops.includes(loop.name)) return true
    if (n.kind === "recur" && n.loop === loop) return false
    return successors(n).some(exits)
  }
  if (!loop.forever && !exits(loop.body)) {
    throw new ProjectionError({
      protocol,
      rule: "LoopWithoutExit",
      sites: [loop.site],
      message: Msg.loopWithoutExit(protocol, loop.name, loop.site)
    })
  }
}
