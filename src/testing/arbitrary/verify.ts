/**
 * The oracle: a finished run of generated implementations checked against the global
 * protocol.
 *
 * @since 0.1.0
 */
import { Either } from "effect"
import type { RoleState, RunLog } from "./implement.js"
import { checkOrder } from "./order.js"
import { replay } from "./replay.js"
import type { Generated } from "./tree.js"

/**
 * Checks a finished run of the implementations of `implementAll` against the global protocol:
 * every role has a result, its own; the run is the replay of the protocol along the decisions
 * the roles made; every payload sent was received exactly once, by the role it was for, with
 * its label; each role's state holds what its receive handlers returned; each role sent,
 * received and decided in an order the protocol allows (on each lane in the protocol's order,
 * across the branches of a parallel in any); and between each pair of roles, the messages of
 * one lane were received in the order they were sent. Answers what is wrong, or `undefined`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import fc from "fast-check"
 * import { simulate } from "quadrille/testing"
 * import { implementAll, verifyRun, wellFormedProtocol } from "quadrille/testing/arbitrary"
 *
 * await fc.assert(fc.asyncProperty(wellFormedProtocol(), fc.integer(), async (g, seed) => {
 *   const { implementations, log } = implementAll(g, [])
 *   const sim = await Effect.runPromise(simulate(g.protocol, implementations, { seed, params: g.tree.params }))
 *   const results = await Effect.runPromise(sim.exit)
 *   return verifyRun(g, log, results) === undefined
 * }), { numRuns: 20 })
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const verifyRun = (
  g: Generated,
  log: RunLog,
  results: Readonly<Record<string, RoleState>>
): string | undefined => {
  const roles = g.tree.roles
  const ended = Object.keys(results).sort()
  if (JSON.stringify(ended) !== JSON.stringify([...roles].sort())) return `the roles with a result are ${ended.join(", ")}`
  for (const role of roles) if (results[role].role !== role) return `the result of ${role} is that of ${results[role].role}`

  for (const role of roles) {
    const f = log.fallbacks?.[role]?.[0]
    if (f !== undefined) {
      return `${role} took the fallback of ${f._tag === "Timeout" ? "timeout" : "saga"} '${f.name}': the replay follows runs in which every timeout is in time and every saga commits`
    }
  }
  const trace = replay(g.tree, log.decisions)
  if (Either.isLeft(trace)) return `the run does not follow the protocol: ${trace.left}`

  // Every payload sent is received once, by one role, with its label.
  const sent = new Map<number, { readonly from: string; readonly label: string; readonly index: number }>()
  const received = new Map<number, { readonly to: string; readonly index: number }>()
  for (const role of roles) {
    log.events[role].forEach((e, index) => {
      if (e._tag === "Send") sent.set(e.payload, { from: role, label: e.label, index })
    })
  }
  for (const role of roles) {
    for (const [index, e] of log.events[role].entries()) {
      if (e._tag !== "Recv") continue
      const s = sent.get(e.payload)
      if (s === undefined) return `${role} received payload ${e.payload} (${e.label}), which was never sent`
      if (s.from !== e.from || s.label !== e.label) {
        return `${role} received payload ${e.payload} as ${e.label} from ${e.from}, but ${s.from} sent it as ${s.label}`
      }
      const before = received.get(e.payload)
      if (before !== undefined) return `payload ${e.payload} (${e.label}) was received twice, by ${before.to} and ${role}`
      received.set(e.payload, { to: role, index })
    }
  }
  for (const [payload, s] of sent) {
    if (!received.has(payload)) return `${s.from} sent ${s.label} (payload ${payload}), which nobody received`
  }
  // The states hold what the receive handlers returned, in order.
  for (const role of roles) {
    const want = log.events[role].flatMap((e) => (e._tag === "Recv" ? [{ from: e.from, label: e.label, payload: e.payload }] : []))
    if (JSON.stringify(results[role].received) !== JSON.stringify(want)) {
      return `the state of ${role} does not hold what its receive handlers returned: ${
        JSON.stringify(results[role].received.map((r) => r.payload))
      }, but the handlers received ${JSON.stringify(want.map((r) => r.payload))}`
    }
  }
  // Each role, in the order of its handlers.
  for (const role of roles) {
    const expected = trace.right.flatMap((e) =>
      e._tag === "Decision"
        ? e.role === role ? [{ key: `#${e.choice}:${e.branch}`, lane: e.lane }] : []
        : e.from === role
        ? [{ key: `!${e.to}:${e.label}`, lane: e.lane }]
        : e.to === role
        ? [{ key: `?${e.from}:${e.label}`, lane: e.lane }]
        : []
    )
    const observed = log.events[role].map((e, i) => ({
      key: e._tag === "Decision"
        ? `#${e.choice}:${e.branch}`
        : e._tag === "Send"
        ? `!${received.get(e.payload)!.to}:${e.label}`
        : `?${e.from}:${e.label}`,
      at: [i]
    }))
    const wrong = checkOrder(expected, observed)
    if (wrong !== undefined) return `what ${role} did (!send ?receive #decide) is ${wrong}`
  }
  // Each pair: per lane, received in the order sent.
  for (const from of roles) {
    for (const to of roles) {
      if (from === to) continue
      const expected = trace.right.flatMap((e) =>
        e._tag === "Msg" && e.from === from && e.to === to ? [{ key: e.label, lane: e.lane }] : []
      )
      const observed: Array<{ readonly key: string; readonly at: ReadonlyArray<number> }> = []
      for (const [payload, r] of received) {
        const s = sent.get(payload)!
        if (s.from === from && r.to === to) observed.push({ key: s.label, at: [s.index, r.index] })
      }
      const wrong = checkOrder(expected, observed)
      if (wrong !== undefined) return `the messages ${from} -> ${to} (at: sender's event, receiver's event) are ${wrong}`
    }
  }
  return undefined
}
