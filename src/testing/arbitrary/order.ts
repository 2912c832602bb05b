/**
 * Orders: whether observed sequences of events can be the replayed ones, events of parallel
 * branches in any order.
 *
 * @since 0.1.0
 */
import type { Lane } from "./replay.js"

/** The order of some events as a series-parallel structure, from their lanes (leaves: indices). */
type Order = { readonly k: "leaf"; readonly index: number } | { readonly k: "seq" | "par"; readonly items: ReadonlyArray<Order> }

/** Events (indices into `lanes`) in replay order, at lane depth `depth`: those of one run of a parallel are contiguous. */
const orderOf = (lanes: ReadonlyArray<Lane>, indices: ReadonlyArray<number>, depth = 0): Order => {
  const items: Array<Order> = []
  for (let i = 0; i < indices.length;) {
    const lane = lanes[indices[i]]
    if (lane.length <= depth) {
      items.push({ k: "leaf", index: indices[i++] })
      continue
    }
    const par = lane[depth].par
    const branches = new Map<number, Array<number>>()
    for (; i < indices.length; i++) {
      const l = lanes[indices[i]]
      if (l.length <= depth || l[depth].par !== par) break
      branches.set(l[depth].branch, [...(branches.get(l[depth].branch) ?? []), indices[i]])
    }
    items.push({ k: "par", items: [...branches.values()].map((b) => orderOf(lanes, b, depth + 1)) })
  }
  return { k: "seq", items }
}

/** The immediate predecessors of every leaf of an order; answers the last leaves of `o`. */
const link = (o: Order, incoming: ReadonlyArray<number>, preds: Array<ReadonlyArray<number>>): ReadonlyArray<number> => {
  switch (o.k) {
    case "leaf":
      preds[o.index] = incoming
      return [o.index]
    case "seq":
      return o.items.reduce((last, item) => link(item, last, preds), incoming)
    case "par":
      return [...new Set(o.items.flatMap((item) => link(item, incoming, preds)))]
  }
}

const countKeys = (keys: Iterable<string>): Map<string, number> => {
  const out = new Map<string, number>()
  for (const k of keys) out.set(k, (out.get(k) ?? 0) + 1)
  return out
}

/**
 * Whether `observed` events (each with its positions in one or more sequences: `at[i]` in the
 * i-th) can be the `expected` ones: some one-to-one map of observed events to expected ones
 * with the same keys such that every sequence keeps the expected order (events on one lane,
 * or on a lane and the lanes it opens, in replay order; events of different branches of one
 * run of a parallel in any order). Answers what is wrong, or `undefined`.
 *
 * @example
 * ```ts
 * import { checkOrder } from "quadrille/testing/arbitrary"
 *
 * // Two branches of one parallel: either order is allowed.
 * const lanes = [[{ par: 0, branch: 0 }], [{ par: 0, branch: 1 }]] as const
 * const wrong = checkOrder(
 *   [{ key: "a", lane: lanes[0] }, { key: "b", lane: lanes[1] }],
 *   [{ key: "b", at: [0] }, { key: "a", at: [1] }]
 * ) // undefined
 * ```
 *
 * @since 0.1.0
 * @category utils
 */
export const checkOrder = (
  expected: ReadonlyArray<{ readonly key: string; readonly lane: Lane }>,
  observed: ReadonlyArray<{ readonly key: string; readonly at: ReadonlyArray<number> }>
): string | undefined => {
  const show = () =>
    `\n  expected: ${
      expected.map((e) => e.key + (e.lane.length === 0 ? "" : `@${e.lane.map((l) => `${l.par}.${l.branch}`).join("/")}`)).join(" ")
    }\n  observed: ${observed.map((o) => `${o.key}@${o.at.join(",")}`).join(" ")}`
  const want = countKeys(expected.map((e) => e.key))
  const got = countKeys(observed.map((o) => o.key))
  const missing = [...want].filter(([k, n]) => (got.get(k) ?? 0) < n).map(([k]) => k)
  const extra = [...got].filter(([k, n]) => (want.get(k) ?? 0) < n).map(([k]) => k)
  if (missing.length > 0 || extra.length > 0) {
    return `not the same events: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(extra)}${show()}`
  }
  const n = expected.length
  const preds: Array<ReadonlyArray<number>> = new Array(n)
  link(orderOf(expected.map((e) => e.lane), expected.map((_, i) => i)), [], preds)
  const succs: Array<Array<number>> = expected.map(() => [])
  preds.forEach((ps, i) => ps.forEach((p) => succs[p].push(i)))
  const byKey = new Map<string, Array<number>>()
  expected.forEach((e, i) => byKey.set(e.key, [...(byKey.get(e.key) ?? []), i]))
  const dims = observed[0]?.at.length ?? 0
  // Observed events in the order of the first sequence, each matched in turn to an expected
  // event whose predecessors are matched (and, in the other sequences, came before it). The
  // state: the matched events and, with several sequences, where the last matched of each
  // lane were observed; states that failed once fail again.
  const sequence = observed.map((_, i) => i).sort((a, b) => observed[a].at[0] - observed[b].at[0])
  const matched = new Int32Array(n).fill(-1)
  const failed = new Set<string>()
  let effort = 1_000_000
  const state = () => {
    let key = ""
    for (let i = 0; i < n; i++) key += matched[i] < 0 ? "0" : "1"
    if (dims > 1) {
      for (let i = 0; i < n; i++) if (matched[i] >= 0 && succs[i].some((j) => matched[j] < 0)) key += `,${i}:${matched[i]}`
    }
    return key
  }
  const go = (k: number): boolean | undefined => {
    if (k === sequence.length) return true
    if (--effort < 0) return undefined
    const key = state()
    if (failed.has(key)) return false
    const o = observed[sequence[k]]
    for (const e of byKey.get(o.key) ?? []) {
      if (matched[e] >= 0) continue
      const ready = preds[e].every((p) => {
        if (matched[p] < 0) return false
        for (let d = 1; d < dims; d++) if (observed[matched[p]].at[d] > o.at[d]) return false
        return true
      })
      if (!ready) continue
      matched[e] = sequence[k]
      const r = go(k + 1)
      if (r !== false) return r
      matched[e] = -1
    }
    failed.add(key)
    return false
  }
  const r = go(0)
  if (r === undefined) return `too many ways to match the events to check the order${show()}`
  return r ? undefined : `not in an order the protocol allows${show()}`
}
