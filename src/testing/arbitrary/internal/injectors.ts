/**
 * The defects of ill-formed protocols: for each rule, the ways to break it somewhere in a
 * well-formed tree.
 *
 * @since 0.1.0
 */
import type { Rule } from "../../../effects/errors.js"
import { actors, allLabels, freeRecurs, hasEnd, noPerturbations, type ProtocolTree, type TreeStep } from "../tree.js"

/** Numbers drawn by fast-check, handed out one by one as the injection needs choices. */
export interface Picker {
  /** A number in `[0, n)` (0 when `n <= 1`, without drawing). */
  readonly int: (n: number) => number
  readonly of: <A>(xs: ReadonlyArray<A>) => A
}

export const picker = (seeds: ReadonlyArray<number>): Picker => {
  let drawn = 0
  const int = (n: number) => {
    if (n <= 1) return 0
    // Past the end of the seeds, go round them again, shifted, so that choices still vary.
    const seed = seeds[drawn % seeds.length] + 7919 * Math.floor(drawn / seeds.length)
    drawn++
    return seed % n
  }
  return { int, of: (xs) => xs[int(xs.length)] }
}

/** One step down, from a sequence into an inner sequence of its step `step`: a branch, or the body (`inner` 0). */
interface Down {
  readonly step: number
  readonly inner: number
}

type Barrier =
  | { readonly kind: "parallel" | "timeout" | "saga" }
  | { readonly kind: "repeat"; readonly outside: boolean }

/**
 * A sequence of the tree (not of its sub-protocols) and what holds there: the loops a `recur`
 * may name (`loops`) and those beyond a parallel or a round (`cut`), the barriers around it,
 * innermost last, with whether some role takes no part in the rounds; the roles that know
 * which path the run is on there (`knowing`: a step of theirs added there cannot make a role
 * unable to tell branches apart), from step `first` on (after the messages that tell the
 * branch); and whether the run can reach its start.
 */
interface Place {
  readonly path: ReadonlyArray<Down>
  readonly steps: ReadonlyArray<TreeStep>
  readonly where: string
  readonly depth: number
  /** The loop whose body this is. */
  readonly loop: string | undefined
  readonly loops: ReadonlyArray<string>
  readonly cut: ReadonlyArray<string>
  readonly barriers: ReadonlyArray<Barrier>
  readonly knowing: ReadonlyArray<string>
  readonly first: number
  readonly reachable: boolean
}

type Compose = Extract<TreeStep, { readonly _tag: "Compose" }>

const UNDECLARED = "Z"
const UNKNOWN_LABEL = "unknown"
const NO_LOOP = "nowhere"
const CHOICE = "bad_c"
const INNER_CHOICE = "bad_d"
const LOOP = "bad_l"
const PARAM = "bad_r"
const TIMEOUT = "bad_t"
const SAGA = "bad_g"
/** A duration that decodes to one: long enough that nothing of a fault-free run times out. */
const DURATION = 60_000
/** The labels of injected choices: those that tell the branch, the one shared by both, the others. */
const TELL_X = `${CHOICE}x`
const TELL_Y = `${CHOICE}y`
const SHARED = CHOICE
const K1 = "bad_k1"
const K2 = "bad_k2"
const K3 = "bad_k3"
const CHOICE_LABELS = [TELL_X, TELL_Y, SHARED, K1, K2, K3]

const msg = (from: string, to: string, label: string): TreeStep => ({ _tag: "Msg", from, to, label })
const recur = (name: string): TreeStep => ({ _tag: "Recur", name })
const END: TreeStep = { _tag: "End" }
const choice = (at: string, name: string, x: ReadonlyArray<TreeStep>, y: ReadonlyArray<TreeStep>): TreeStep => ({
  _tag: "Choice",
  at,
  name,
  branches: [{ label: "x", steps: x }, { label: "y", steps: y }]
})

/** A step in words, as the error messages describe it. */
const show = (s: TreeStep): string => {
  switch (s._tag) {
    case "Msg":
      return `${s.from} -> ${s.to}: ${s.label}`
    case "Broadcast":
      return `broadcast ${s.from} -> [${s.to.join(", ")}]: ${s.label}`
    case "Choice":
      return `choice '${s.name}' at ${s.at}`
    case "Loop":
      return `loop '${s.name}'`
    case "Repeat":
      return `repeat '${s.param}'`
    case "Parallel":
      return `parallel (${s.branches.length} branch${s.branches.length === 1 ? "" : "es"})`
    case "Compose":
      return `compose ${s.sub.name}`
    case "Recur":
      return `recur('${s.name}')`
    case "End":
      return "end()"
    case "Timeout":
      return `timeout '${s.name}' at ${s.at} (${typeof s.duration === "string" ? JSON.stringify(s.duration) : s.duration} ms)`
    case "Saga":
      return `saga '${s.name}' owned by ${s.owner}`
  }
}

/**
 * The index of a sequence's `recur`, `end()` or forever loop that no path leaves, or its
 * length: nothing may be added after it.
 */
const limit = (steps: ReadonlyArray<TreeStep>) => {
  const last = steps[steps.length - 1]
  return last?._tag === "Recur" || last?._tag === "End" || (last?._tag === "Loop" && last.forever === true && !falls(last))
    ? steps.length - 1
    : steps.length
}

/** Whether a step can be left by what follows it (some path through it does not `end()` or `recur`). */
const falls = (s: TreeStep): boolean => {
  switch (s._tag) {
    case "End":
    case "Recur":
      return false
    case "Choice":
      return s.branches.some((b) => b.steps.every(falls))
    case "Loop":
      return s.body.every(falls)
    case "Compose":
      return s.sub.steps.every(falls)
    default:
      // A repeat may have no rounds; a parallel always goes on.
      return true
  }
}

/** Whether some steps can only run to their end: no `end()`, no `recur` out of them. */
const closed = (steps: ReadonlyArray<TreeStep>) => !hasEnd(steps) && freeRecurs(steps).size === 0

/** The names of the loops and rounds of the tree itself. */
const loopNames = (steps: ReadonlyArray<TreeStep>): Array<string> =>
  steps.flatMap((s): Array<string> => {
    switch (s._tag) {
      case "Loop":
        return [s.name, ...loopNames(s.body)]
      case "Repeat":
        return [s.param, ...loopNames(s.body)]
      case "Choice":
        return s.branches.flatMap((b) => loopNames(b.steps))
      case "Parallel":
        return s.branches.flatMap(loopNames)
      case "Timeout":
        return [...loopNames(s.body), ...loopNames(s.fallback)]
      case "Saga":
        return [...loopNames(s.forward), ...loopNames(s.compensate)]
      default:
        return []
    }
  })

/** Every sequence of the tree, the top level first. */
export const placesOf = (tree: ProtocolTree): Array<Place> => {
  const out: Array<Place> = []
  const walk = (place: Place) => {
    out.push(place)
    place.steps.forEach((s, i) => {
      const inner = (
        index: number,
        steps: ReadonlyArray<TreeStep>,
        what: string,
        holds: Partial<Pick<Place, "loop" | "loops" | "cut" | "barriers" | "knowing" | "first">>
      ) =>
        walk({
          ...place,
          loop: undefined,
          first: 0,
          ...holds,
          path: [...place.path, { step: i, inner: index }],
          steps,
          where: place.depth === 0 ? what : `${what}, in ${place.where}`,
          depth: place.depth + 1,
          reachable: place.reachable && place.steps.slice(0, i).every(falls)
        })
      const barrier = (b: Barrier) => ({ loops: [], cut: [...place.cut, ...place.loops], barriers: [...place.barriers, b] })
      switch (s._tag) {
        case "Choice":
          s.branches.forEach((b, j) => {
            // The chooser tells the branch first, with a label of its own per branch.
            let told = 0
            const tellees = new Set<string>()
            for (const m of b.steps) {
              if (m._tag !== "Msg" || m.from !== s.at || m.label !== `${s.name}${b.label}`) break
              tellees.add(m.to)
              told++
            }
            inner(j, b.steps, `branch ${b.label} of choice '${s.name}'`, {
              knowing: place.knowing.filter((r) => r === s.at || tellees.has(r)),
              first: told
            })
          })
          break
        case "Loop":
          inner(0, s.body, `the body of loop '${s.name}'`, { loop: s.name, loops: [...place.loops, s.name] })
          break
        case "Repeat": {
          const acting = actors(s.body)
          const outside = tree.roles.some((r) => !acting.has(r))
          inner(0, s.body, `the rounds of '${s.param}'`, barrier({ kind: "repeat", outside }))
          break
        }
        case "Parallel":
          s.branches.forEach((b, j) => inner(j, b, `parallel branch ${j}`, barrier({ kind: "parallel" })))
          break
        case "Timeout":
          inner(0, s.body, `the body of timeout '${s.name}'`, barrier({ kind: "timeout" }))
          inner(1, s.fallback, `the fallback of timeout '${s.name}'`, barrier({ kind: "timeout" }))
          break
        case "Saga":
          inner(0, s.forward, `the forward part of saga '${s.name}'`, barrier({ kind: "saga" }))
          inner(1, s.compensate, `the compensation of saga '${s.name}'`, barrier({ kind: "saga" }))
          break
      }
    })
  }
  walk({
    path: [],
    steps: tree.steps,
    where: "the top level",
    depth: 0,
    loop: undefined,
    loops: [],
    cut: [],
    barriers: [],
    knowing: tree.roles,
    first: 0,
    reachable: true
  })
  return out
}

/** The steps of the places that satisfy `keep`, each with its place and index. */
const occurrences = (places: ReadonlyArray<Place>, keep: (s: TreeStep) => boolean) =>
  places.flatMap((place) => place.steps.flatMap((step, index) => (keep(step) ? [{ place, index, step }] : [])))

const editInner = (
  s: TreeStep,
  k: number,
  f: (steps: ReadonlyArray<TreeStep>) => ReadonlyArray<TreeStep>
): TreeStep => {
  switch (s._tag) {
    case "Choice":
      return { ...s, branches: s.branches.map((b, j) => (j === k ? { ...b, steps: f(b.steps) } : b)) }
    case "Loop":
    case "Repeat":
      return { ...s, body: f(s.body) }
    case "Parallel":
      return { ...s, branches: s.branches.map((b, j) => (j === k ? f(b) : b)) }
    case "Timeout":
      return k === 0 ? { ...s, body: f(s.body) } : { ...s, fallback: f(s.fallback) }
    case "Saga":
      return k === 0 ? { ...s, forward: f(s.forward) } : { ...s, compensate: f(s.compensate) }
    default:
      return s
  }
}

const editSeq = (
  steps: ReadonlyArray<TreeStep>,
  path: ReadonlyArray<Down>,
  f: (steps: ReadonlyArray<TreeStep>) => ReadonlyArray<TreeStep>
): ReadonlyArray<TreeStep> => {
  if (path.length === 0) return f(steps)
  const [down, ...rest] = path
  return steps.map((s, i) => (i === down.step ? editInner(s, down.inner, (inner) => editSeq(inner, rest, f)) : s))
}

const edit = (tree: ProtocolTree, place: Place, f: (steps: ReadonlyArray<TreeStep>) => ReadonlyArray<TreeStep>) => ({
  ...tree,
  steps: editSeq(tree.steps, place.path, f)
})

const insert = (tree: ProtocolTree, place: Place, index: number, ...steps: ReadonlyArray<TreeStep>) =>
  edit(tree, place, (s) => [...s.slice(0, index), ...steps, ...s.slice(index)])

const replace = (tree: ProtocolTree, place: Place, index: number, step: TreeStep) =>
  edit(tree, place, (s) => s.map((x, i) => (i === index ? step : x)))

/** The sequence ends with `step`, in place of its `recur` or `end()` if it has one. */
const endWith = (tree: ProtocolTree, place: Place, step: TreeStep) =>
  edit(tree, place, (s) => [...s.slice(0, limit(s)), step])

/** Steps `[i, j)` of the place, replaced by `f` of them. */
const wrap = (
  tree: ProtocolTree,
  place: Place,
  [i, j]: readonly [number, number],
  f: (run: ReadonlyArray<TreeStep>) => ReadonlyArray<TreeStep>
) => edit(tree, place, (s) => [...s.slice(0, i), ...f(s.slice(i, j)), ...s.slice(j)])

/** A run of steps of a place before its `recur` or `end()`; with `mustClose`, one that can only run to its end. */
const aRun = (place: Place, pick: Picker, mustClose: boolean): readonly [number, number] => {
  const last = limit(place.steps)
  const i = pick.int(last + 1)
  let j = i + pick.int(last - i + 1)
  while (mustClose && j > i && !closed(place.steps.slice(i, j))) j--
  return [i, j]
}

const anIndex = (place: Place, pick: Picker) => pick.int(limit(place.steps) + 1)

const at = (place: Place, index: number) => `step ${index} of ${place.where}`

const withLabels = (tree: ProtocolTree, labels: ReadonlyArray<string>): ProtocolTree => ({
  ...tree,
  labels: [...new Set([...tree.labels, ...labels])].sort()
})

/** A label of the catalogue (one added when there is none). */
const aLabel = (tree: ProtocolTree, pick: Picker): readonly [ProtocolTree, string] => {
  const labels = allLabels(tree)
  return labels.length > 0 ? [tree, pick.of(labels)] : [withLabels(tree, ["bad"]), "bad"]
}

/** Distinct roles, drawn from `roles`, as many as `n` (no more than there are). */
const distinct = (roles: ReadonlyArray<string>, n: number, pick: Picker): Array<string> => {
  const left = [...roles]
  const out: Array<string> = []
  while (out.length < n && left.length > 0) out.push(left.splice(pick.int(left.length), 1)[0])
  return out
}

/** A sub-protocol to compose when the tree composes none: `P -> Q: bad_e`. */
const EXTRA: ProtocolTree = {
  name: "Extra",
  roles: ["P", "Q"],
  labels: ["bad_e"],
  steps: [msg("P", "Q", "bad_e")],
  params: {},
  perturbations: noPerturbations
}

/**
 * A composition to spoil: one of the tree (a fifth of the time, or when it has none, `Extra`
 * composed first, at the top level, which keeps the tree well formed).
 */
const aComposition = (tree: ProtocolTree, places: ReadonlyArray<Place>, pick: Picker, extra = false) => {
  const found = occurrences(places, (s) => s._tag === "Compose")
  if (!extra && found.length > 0 && pick.int(5) > 0) {
    const o = pick.of(found)
    return { base: tree, place: o.place, index: o.index, compose: o.step as Compose }
  }
  const [p, q] = distinct(tree.roles, 2, pick)
  const compose: Compose = { _tag: "Compose", sub: EXTRA, mapping: { P: p, Q: q } }
  const base = insert(tree, places[0], 0, compose)
  return { base, place: placesOf(base)[0], index: 0, compose }
}

/** What an injection made: the ill-formed tree and the same tree without the defect. */
interface Injected {
  readonly tree: ProtocolTree
  readonly fixed: ProtocolTree
  readonly defect: string
  readonly depth: number
  readonly protocol?: string
  readonly retyped?: ReadonlyArray<string>
}

type Injector = (tree: ProtocolTree, places: ReadonlyArray<Place>, pick: Picker) => Injected

/** One of the ways to inject a defect that apply here (`false`: does not apply). */
const anyOf = (pick: Picker, ways: ReadonlyArray<false | (() => Injected)>): Injected =>
  pick.of(ways.filter((w): w is () => Injected => w !== false))()

/** `step` inserted at a random index of `place`, before its `recur` or `end()`. */
const inserted = (tree: ProtocolTree, place: Place, pick: Picker, step: TreeStep, fixed = tree): Injected => {
  const i = anIndex(place, pick)
  return { tree: insert(tree, place, i, step), fixed, defect: `${show(step)} inserted at ${at(place, i)}`, depth: place.depth }
}

/** A run of steps of `place` replaced by `wrapper` of them; the defect is in the wrapper, `inside` deep. */
const wrapped = (
  tree: ProtocolTree,
  place: Place,
  run: readonly [number, number],
  what: string,
  wrapper: (steps: ReadonlyArray<TreeStep>) => ReadonlyArray<TreeStep>,
  inside: number,
  fixed = tree
): Injected => ({
  tree: wrap(tree, place, run, wrapper),
  fixed,
  defect: run[0] === run[1]
    ? `${what} inserted at ${at(place, run[0])}`
    : `${run[1] - run[0] === 1 ? at(place, run[0]) : `steps ${run[0]} to ${run[1] - 1} of ${place.where}`} wrapped in ${what}`,
  depth: place.depth + inside
})

/**
 * A timeout at a role of `steps` (a message from one to another added when no role acts in
 * them), with `steps` as its body and `fallback` as its fallback: well formed when the steps
 * are (its `at` takes part in the body).
 */
const aTimeout = (
  t: ProtocolTree,
  steps: ReadonlyArray<TreeStep>,
  pick: Picker,
  fallback: ReadonlyArray<TreeStep> = [],
  duration: number | string = DURATION
): readonly [ProtocolTree, TreeStep & { readonly _tag: "Timeout" }] => {
  const acting = [...actors(steps)]
  if (acting.length > 0) return [t, { _tag: "Timeout", at: pick.of(acting), name: TIMEOUT, duration, body: steps, fallback }]
  const [from, to] = distinct(t.roles, 2, pick)
  const [labelled, label] = aLabel(t, pick)
  return [labelled, { _tag: "Timeout", at: from, name: TIMEOUT, duration, body: [...steps, msg(from, to, label)], fallback }]
}

const endsIn = (rule: "EndInParallel" | "EndInRepeat" | "EndInTimeout" | "EndInSaga"): Injector => (t, places, pick) => {
  // The innermost barrier that rejects an end(): a parallel, a timeout, a saga, or rounds some role sits out.
  const rejecting = (p: Place) => {
    for (let k = p.barriers.length - 1; k >= 0; k--) {
      const b = p.barriers[k]
      if (b.kind === "parallel") return "EndInParallel"
      if (b.kind === "timeout") return "EndInTimeout"
      if (b.kind === "saga") return "EndInSaga"
      if (b.kind === "repeat" && b.outside) return "EndInRepeat"
    }
    return undefined
  }
  const fits = places.filter((p) => rejecting(p) === rule)
  return anyOf(pick, [
    fits.length > 0 && (() => {
      const p = pick.of(fits)
      return { tree: endWith(t, p, END), fixed: t, defect: `end() at the end of ${p.where}`, depth: p.depth }
    }),
    () => {
      const p = pick.of(places)
      const run = aRun(p, pick, true)
      if (rule === "EndInParallel") {
        return wrapped(t, p, run, "a parallel branch that ends with end()", (steps) => [{ _tag: "Parallel", branches: [[...steps, END]] }], 1)
      }
      // The end() in the first part (the body, the forward part) or in the second.
      const second = pick.int(2) === 1
      if (rule === "EndInTimeout") {
        const [labelled, timeout] = aTimeout(t, p.steps.slice(...run), pick)
        const ended = second ? { ...timeout, fallback: [END] } : { ...timeout, body: [...timeout.body, END] }
        return wrapped(labelled, p, run, `a timeout '${TIMEOUT}' whose ${second ? "fallback" : "body"} ends with end()`, () => [ended], 1, t)
      }
      if (rule === "EndInSaga") {
        const owner = pick.of(t.roles)
        return wrapped(t, p, run, `a saga '${SAGA}' whose ${second ? "compensation" : "forward part"} ends with end()`, (steps) => [
          { _tag: "Saga", owner, name: SAGA, forward: second ? steps : [...steps, END], compensate: second ? [END] : [] }
        ], 1)
      }
      // Rounds that every role takes part in may end the protocol: then the rounds are end() alone.
      const acting = actors(p.steps.slice(...run))
      const run_ = t.roles.some((r) => !acting.has(r)) ? run : [run[1], run[1]] as const
      return wrapped(
        t,
        p,
        run_,
        `a repeat '${PARAM}' whose rounds end with end(), some role taking no part in them`,
        (steps) => [{ _tag: "Repeat", param: PARAM, body: [...steps, END] }],
        1
      )
    }
  ])
}

/**
 * A knowledge-of-choice defect: a choice `bad_c` at a role `X`, inserted where the run can get
 * to and `X`, `B` (and `C`) know which path it is on, that some role cannot tell the branches
 * of; `fixed` tells that role the branch first.
 */
const unaware = (
  fragment: (X: string, B: string, C: string | undefined) => { readonly ill: TreeStep; readonly fixed: TreeStep; readonly what: string }
): Injector =>
(t, places, pick) => {
  const fits = places.flatMap((place) => {
    if (!place.reachable || place.knowing.length < 2 || !place.steps.slice(0, place.first).every(falls)) return []
    let last = place.first
    while (last < limit(place.steps) && falls(place.steps[last])) last++
    return [{ place, last }]
  })
  // The top level always fits.
  const { last, place } = pick.of(fits)
  const i = place.first + pick.int(last - place.first + 1)
  const three = place.knowing.length >= 3 && pick.int(2) === 1
  const [X, B, C] = distinct(place.knowing, three ? 3 : 2, pick)
  const { fixed, ill, what } = fragment(X, B, C)
  const labelled = withLabels(t, CHOICE_LABELS)
  return {
    tree: insert(labelled, place, i, ill),
    fixed: insert(labelled, place, i, fixed),
    defect: `choice '${CHOICE}' at ${X} inserted at ${at(place, i)}: ${what}`,
    depth: place.depth
  }
}

/** The choice `bad_c` at `X`, and the same with `tell` told the branch at the start of each branch. */
const told = (X: string, tell: string, x: ReadonlyArray<TreeStep>, y: ReadonlyArray<TreeStep>) => ({
  ill: choice(X, CHOICE, x, y),
  fixed: choice(X, CHOICE, [msg(X, tell, TELL_X), ...x], [msg(X, tell, TELL_Y), ...y])
})

/**
 * The rules a generated tree can break: all of them (`InvalidRole` and `InvalidMessage` with
 * a role or a label that the declaration's own check refuses) but `FamilyMisuse`: a tree has
 * no families (protocols with families, and their misuses, come from `familyProtocol` in
 * src/testing/arbitrary/family.ts).
 */
export type ShapeRule = Exclude<Rule, "FamilyMisuse">

/** Roles that `Protocol.make` refuses to declare. */
const INVALID_ROLES = ["", "bad\u0000role", "R".repeat(1025)]
/** Labels that `Protocol.make` refuses in a catalogue: the layers' own `~`, and the empty label. */
const INVALID_LABELS = ["~bad", ""]
/**
 * Durations that `Protocol.make` refuses: infinite, or no duration at all. (A negative or NaN
 * number is not among them: Effect's `Duration.decode` makes it 0, so the builder accepts it.)
 */
const BAD_DURATIONS: ReadonlyArray<number | string> = [Infinity, "soon", "forever"]

export const injectors: { readonly [R in ShapeRule]: Injector } = {
  InvalidRole: (t, _, pick) => {
    const role = pick.of(INVALID_ROLES)
    const i = pick.int(t.roles.length + 1)
    return {
      tree: { ...t, roles: [...t.roles.slice(0, i), role, ...t.roles.slice(i)] },
      fixed: t,
      defect: `role ${JSON.stringify(role.length > 20 ? `${role.slice(0, 8)}...` : role)} (${role.length} characters) declared at position ${i} of the roles`,
      depth: 0
    }
  },

  InvalidMessage: (t, _, pick) => {
    const label = pick.of(INVALID_LABELS)
    return { tree: withLabels(t, [label]), fixed: t, defect: `label ${JSON.stringify(label)} added to the catalogue`, depth: 0 }
  },

  EndInTimeout: endsIn("EndInTimeout"),
  EndInSaga: endsIn("EndInSaga"),

  TimeoutNotRaced: (t, places, pick) => {
    const timeouts = occurrences(places, (s) => s._tag === "Timeout")
    const idle = (steps: ReadonlyArray<TreeStep>) => {
      const acting = actors(steps)
      return t.roles.filter((r) => !acting.has(r))
    }
    const spoilable = timeouts.filter((o) => o.step._tag === "Timeout" && idle(o.step.body).length > 0)
    return anyOf(pick, [
      // A timeout of the tree made to be decided by a role of no part in its body.
      spoilable.length > 0 && (() => {
        const { index, place, step } = pick.of(spoilable)
        const s = step as Extract<TreeStep, { readonly _tag: "Timeout" }>
        const at_ = pick.of(idle(s.body))
        return {
          tree: replace(t, place, index, { ...s, at: at_ }),
          fixed: t,
          defect: `${show(s)} at ${at(place, index)} decided by ${at_} instead, who takes no part in its body`,
          depth: place.depth
        }
      }),
      // Steps wrapped in a timeout at a role that takes no part in them (an empty body when every role does).
      () => {
        const place = pick.of(places)
        const run = aRun(place, pick, true)
        const idle_ = idle(place.steps.slice(...run))
        const [i, j] = idle_.length > 0 ? run : [run[1], run[1]] as const
        const at_ = pick.of(idle_.length > 0 ? idle_ : t.roles)
        return wrapped(t, place, [i, j], `a timeout '${TIMEOUT}' at ${at_}, who takes no part in its body`, (steps) => [
          { _tag: "Timeout", at: at_, name: TIMEOUT, duration: DURATION, body: steps, fallback: [] }
        ], 1)
      },
      // Steps wrapped in the fallback of a timeout whose body is empty.
      () => {
        const place = pick.of(places)
        const at_ = pick.of(t.roles)
        return wrapped(t, place, aRun(place, pick, true), `the fallback of a timeout '${TIMEOUT}' at ${at_} with an empty body`, (steps) => [
          { _tag: "Timeout", at: at_, name: TIMEOUT, duration: DURATION, body: [], fallback: steps }
        ], 1)
      }
    ])
  },

  BadDuration: (t, places, pick) => {
    const duration = pick.of(BAD_DURATIONS)
    const timeouts = occurrences(places, (s) => s._tag === "Timeout")
    return anyOf(pick, [
      timeouts.length > 0 && (() => {
        const { index, place, step } = pick.of(timeouts)
        return {
          tree: replace(t, place, index, { ...step, duration } as TreeStep),
          fixed: t,
          defect: `${show(step)} at ${at(place, index)} given the duration ${String(duration)}`,
          depth: place.depth
        }
      }),
      () => {
        const place = pick.of(places)
        const run = aRun(place, pick, true)
        const [labelled, timeout] = aTimeout(t, place.steps.slice(...run), pick, [], duration)
        return wrapped(labelled, place, run, `a timeout '${TIMEOUT}' of duration ${String(duration)}`, () => [timeout], 1, t)
      }
    ])
  },

  DuplicateRole: (t, _, pick) => {
    const role = pick.of(t.roles)
    const i = pick.int(t.roles.length + 1)
    return {
      tree: { ...t, roles: [...t.roles.slice(0, i), role, ...t.roles.slice(i)] },
      fixed: t,
      defect: `role ${role} declared again, at position ${i} of the roles`,
      depth: 0
    }
  },

  UndeclaredRole: (t, places, pick) => {
    const composes = occurrences(places, (s) => s._tag === "Compose" && actors(s.sub.steps).size > 0)
    return anyOf(pick, [
      () => {
        const [labelled, label] = aLabel(t, pick)
        const role = pick.of(t.roles)
        const step = pick.int(2) === 0 ? msg(role, UNDECLARED, label) : msg(UNDECLARED, role, label)
        return inserted(labelled, pick.of(places), pick, step, t)
      },
      () => inserted(t, pick.of(places), pick, { _tag: "Choice", at: UNDECLARED, name: CHOICE, branches: [{ label: "x", steps: [] }] }),
      composes.length > 0 && (() => {
        const { index, place, step } = pick.of(composes)
        const c = step as Compose
        // A role that acts in the sub-protocol: an idle one may be mapped anywhere today (a
        // known gap, see tests/illformed.test.ts).
        const role = pick.of([...actors(c.sub.steps)])
        return {
          tree: replace(t, place, index, { ...c, mapping: { ...c.mapping, [role]: UNDECLARED } }),
          fixed: t,
          defect: `role ${role} of ${c.sub.name} mapped to ${UNDECLARED} in the composition at ${at(place, index)}`,
          depth: place.depth
        }
      })
    ])
  },

  SelfMessage: (t, places, pick) => {
    const sends = occurrences(places, (s) => s._tag === "Msg" || s._tag === "Broadcast")
    return anyOf(pick, [
      () => {
        const [labelled, label] = aLabel(t, pick)
        const role = pick.of(t.roles)
        return inserted(labelled, pick.of(places), pick, msg(role, role, label), t)
      },
      sends.length > 0 && (() => {
        const { index, place, step } = pick.of(sends)
        const s = step as Extract<TreeStep, { readonly _tag: "Msg" | "Broadcast" }>
        const k = pick.int(s.to.length + 1)
        const self: TreeStep = s._tag === "Msg" ? { ...s, to: s.from } : { ...s, to: [...s.to.slice(0, k), s.from, ...s.to.slice(k)] }
        return { tree: replace(t, place, index, self), fixed: t, defect: `${show(s)} at ${at(place, index)} made ${show(self)}`, depth: place.depth }
      })
    ])
  },

  UnknownLabel: (t, places, pick) => {
    const sends = occurrences(places, (s) => s._tag === "Msg" || (s._tag === "Broadcast" && s.to.length > 0))
    return anyOf(pick, [
      () => {
        const [from, to] = distinct(t.roles, 2, pick)
        return inserted(t, pick.of(places), pick, msg(from, to, UNKNOWN_LABEL))
      },
      sends.length > 0 && (() => {
        const { index, place, step } = pick.of(sends)
        return {
          tree: replace(t, place, index, { ...step, label: UNKNOWN_LABEL } as TreeStep),
          fixed: t,
          defect: `${show(step)} at ${at(place, index)} relabelled ${UNKNOWN_LABEL}`,
          depth: place.depth
        }
      })
    ])
  },

  RecurOutsideLoop: (t, places, pick) => {
    const place = pick.of(places)
    // A loop or rounds elsewhere in the tree, or none at all.
    const elsewhere = loopNames(t.steps).filter((l) => !place.loops.includes(l) && !place.cut.includes(l))
    return inserted(t, place, pick, recur(elsewhere.length > 0 && pick.int(3) > 0 ? pick.of(elsewhere) : NO_LOOP))
  },

  RecurAcrossBarrier: (t0, places, pick) => {
    // A label for the message of a timeout's body (the catalogue gets one if it has none).
    const [t, label] = aLabel(t0, pick)
    const beyond = places.filter((p) => p.cut.length > 0)
    const inLoops = places.filter((p) => p.loops.length > 0)
    // A barrier whose part recurs to `loop`, preceded by a message (a timeout's `at` takes part in its body).
    const barrier = (loop: string): TreeStep => {
      switch (pick.int(4)) {
        case 0:
          return { _tag: "Parallel", branches: [[recur(loop)]] }
        case 1:
          return { _tag: "Repeat", param: PARAM, body: [recur(loop)] }
        case 2: {
          const [from, to] = distinct(t.roles, 2, pick)
          return { _tag: "Timeout", at: from, name: TIMEOUT, duration: DURATION, body: [msg(from, to, label), recur(loop)], fallback: [] }
        }
        default:
          return { _tag: "Saga", owner: pick.of(t.roles), name: SAGA, forward: [], compensate: [recur(loop)] }
      }
    }
    return anyOf(pick, [
      beyond.length > 0 && (() => {
        const place = pick.of(beyond)
        return inserted(t, place, pick, recur(pick.of(place.cut)))
      }),
      inLoops.length > 0 && (() => {
        const place = pick.of(inLoops)
        const loop = pick.of(place.loops)
        const r = inserted(t, place, pick, barrier(loop))
        return { ...r, defect: `${r.defect}, that recurs to '${loop}'`, depth: r.depth + 1 }
      }),
      () => {
        const place = pick.of(places)
        const inner = barrier(LOOP)
        return wrapped(t, place, aRun(place, pick, false), `a loop '${LOOP}' whose ${show(inner)} recurs to it`, (steps) => [
          { _tag: "Loop", name: LOOP, body: [inner, ...steps] }
        ], 2)
      }
    ])
  },

  DuplicateLoopName: (t, places, pick) => {
    const inLoops = places.filter((p) => p.loops.length > 0)
    const nested = occurrences(inLoops, (s) => s._tag === "Loop" || s._tag === "Repeat")
    return anyOf(pick, [
      nested.length > 0 && (() => {
        const { index, place, step } = pick.of(nested)
        const name = pick.of(place.loops)
        const s = step as Extract<TreeStep, { readonly _tag: "Loop" | "Repeat" }>
        const renamed: TreeStep = s._tag === "Loop" ? { ...s, name, body: renameRecurs(s.body, s.name, name) } : { ...s, param: name }
        return { tree: replace(t, place, index, renamed), fixed: t, defect: `${show(s)} at ${at(place, index)} renamed '${name}'`, depth: place.depth }
      }),
      inLoops.length > 0 && (() => {
        const place = pick.of(inLoops)
        const [from, to] = distinct(t.roles, 2, pick)
        const [labelled, label] = aLabel(t, pick)
        const name = pick.of(place.loops)
        const body = [msg(from, to, label)]
        return inserted(labelled, place, pick, pick.int(2) === 0 ? { _tag: "Loop", name, body } : { _tag: "Repeat", param: name, body }, t)
      }),
      () => {
        const place = pick.of(places)
        return wrapped(t, place, aRun(place, pick, false), `two loops '${LOOP}', one in the other`, (steps) => [
          { _tag: "Loop", name: LOOP, body: [{ _tag: "Loop", name: LOOP, body: steps }] }
        ], 1)
      }
    ])
  },

  EmptyChoice: (t, places, pick) => {
    const choices = occurrences(places, (s) => s._tag === "Choice")
    return anyOf(pick, [
      () => inserted(t, pick.of(places), pick, { _tag: "Choice", at: pick.of(t.roles), name: CHOICE, branches: [] }),
      () => inserted(t, pick.of(places), pick, { _tag: "Parallel", branches: [] }),
      choices.length > 0 && (() => {
        const { index, place, step } = pick.of(choices)
        return {
          tree: replace(t, place, index, { ...step, branches: [] } as TreeStep),
          fixed: t,
          defect: `the branches of ${show(step)} at ${at(place, index)} removed`,
          depth: place.depth
        }
      })
    ])
  },

  StepAfterEnd: (t, places, pick) => {
    const ended = places.filter((p) => limit(p.steps) < p.steps.length)
    const nonEmpty = places.filter((p) => p.steps.length > 0)
    const inLoops = nonEmpty.filter((p) => p.loops.length > 0)
    /** `stop` inserted before a step of `place`. */
    const before = (place: Place, stop: TreeStep): Injected => {
      const i = pick.int(place.steps.length)
      return { tree: insert(t, place, i, stop), fixed: t, defect: `${show(stop)} inserted at ${at(place, i)}`, depth: place.depth }
    }
    return anyOf(pick, [
      ended.length > 0 && (() => {
        const place = pick.of(ended)
        const [from, to] = distinct(t.roles, 2, pick)
        const [labelled, label] = aLabel(t, pick)
        const step = msg(from, to, label)
        return {
          tree: edit(labelled, place, (s) => [...s, step]),
          fixed: t,
          defect: `${show(step)} after the ${show(place.steps[place.steps.length - 1])} that ends ${place.where}`,
          depth: place.depth
        }
      }),
      // The top level always has a step.
      () => before(pick.of(nonEmpty), END),
      inLoops.length > 0 && (() => {
        const place = pick.of(inLoops)
        return before(place, recur(pick.of(place.loops)))
      })
    ])
  },

  EndInParallel: endsIn("EndInParallel"),
  EndInRepeat: endsIn("EndInRepeat"),

  BadRoleMapping: (t, places, pick) => {
    const { base, compose, index, place } = aComposition(t, places, pick)
    const roles = compose.sub.roles
    let mapping: Record<string, string>
    let what: string
    if (roles.length >= 2 && pick.int(2) === 0) {
      const [a, b] = distinct(roles, 2, pick)
      mapping = { ...compose.mapping, [a]: compose.mapping[b] }
      what = `roles ${a} and ${b} both mapped to ${compose.mapping[b]}`
    } else {
      const a = pick.of(roles)
      mapping = Object.fromEntries(Object.entries(compose.mapping).filter(([r]) => r !== a))
      what = `role ${a} left unmapped`
    }
    return {
      tree: replace(base, place, index, { ...compose, mapping }),
      fixed: base,
      defect: `in the composition of ${compose.sub.name} at ${at(place, index)}, ${what}`,
      depth: place.depth,
      protocol: compose.sub.name
    }
  },

  CatalogueConflict: (t, places, pick) => {
    let found = aComposition(t, places, pick)
    if (allLabels(found.compose.sub).length === 0) found = aComposition(t, places, pick, true)
    const { base, compose, index, place } = found
    const label = pick.of(allLabels(compose.sub))
    return {
      tree: withLabels(base, [label]),
      fixed: base,
      retyped: [label],
      defect: `label ${label} of the catalogue made a Schema.String, while ${compose.sub.name}, composed at ${
        at(place, index)
      }, has it a Schema.Number`,
      depth: 0
    }
  },

  UnguardedLoop: (t, places, pick) => {
    const bodies = places.filter((p) => p.loop !== undefined)
    const repeats = occurrences(places, (s) => s._tag === "Repeat")
    return anyOf(pick, [
      bodies.length > 0 && (() => {
        const place = pick.of(bodies)
        const loop = place.loop!
        const head = place.steps[0]
        if (head?._tag === "Choice" && pick.int(2) === 0) {
          const branch = { label: "again", steps: [recur(loop)] }
          return {
            tree: replace(t, place, 0, { ...head, branches: [...head.branches, branch] }),
            fixed: t,
            defect: `a branch 'again' that goes straight round loop '${loop}' added to ${show(head)}, first in ${place.where}`,
            depth: place.depth
          }
        }
        const step = choice(pick.of(t.roles), CHOICE, [recur(loop)], [])
        return {
          tree: insert(t, place, 0, step),
          fixed: t,
          defect: `${show(step)}, whose branch x goes straight round loop '${loop}', inserted first in ${place.where}`,
          depth: place.depth
        }
      }),
      repeats.length > 0 && (() => {
        const { index, place, step } = pick.of(repeats)
        return {
          tree: replace(t, place, index, { ...step, body: [] } as TreeStep),
          fixed: t,
          defect: `the rounds of ${show(step)} at ${at(place, index)} emptied (no message in a round)`,
          depth: place.depth
        }
      }),
      () => inserted(t, pick.of(places), pick, { _tag: "Repeat", param: PARAM, body: [] }),
      () => {
        const place = pick.of(places)
        const head = choice(pick.of(t.roles), CHOICE, [recur(LOOP)], [])
        return wrapped(t, place, aRun(place, pick, false), `a loop '${LOOP}' that a choice at its head may go round at once`, (steps) => [
          { _tag: "Loop", name: LOOP, body: [head, ...steps] }
        ], 1)
      }
    ])
  },

  LoopWithoutExit: (t, places, pick) => {
    const [from, to] = distinct(t.roles, 2, pick)
    const [labelled, label] = aLabel(t, pick)
    const guard = msg(from, to, label)
    // Loop bodies left only by running to their end: going round at the end leaves no way out.
    const bodies = places.filter((p) =>
      p.loop !== undefined && limit(p.steps) === p.steps.length && !hasEnd(p.steps) && freeRecurs(p.steps, [p.loop]).size === 0
    )
    return anyOf(pick, [
      bodies.length > 0 && (() => {
        const place = pick.of(bodies)
        return {
          tree: edit(labelled, place, (s) => [...s, guard, recur(place.loop!)]),
          fixed: t,
          defect: `${show(guard)} and recur('${place.loop}') added at the end of ${place.where}`,
          depth: place.depth
        }
      }),
      () => {
        const place = pick.of(places)
        return wrapped(labelled, place, aRun(place, pick, true), `a loop '${LOOP}' that always goes round`, (steps) => [
          { _tag: "Loop", name: LOOP, body: [...steps, guard, recur(LOOP)] }
        ], 0, t)
      }
    ])
  },

  UnmergeableChoice: unaware((X, B, C) =>
    C === undefined
      ? { ...told(X, B, [msg(B, X, K1)], [msg(X, B, K2)]), what: `${B} sends in x and receives in y, without being told the branch` }
      : {
        ...told(X, C, [msg(X, B, TELL_X), msg(B, C, K1)], [msg(X, B, TELL_Y), msg(X, C, K2)]),
        what: `${C} receives from ${B} in x and from ${X} in y, without being told the branch`
      }
  ),

  AmbiguousBranch: unaware((X, B, C) =>
    C === undefined
      ? { ...told(X, B, [msg(B, X, K1)], [msg(B, X, K2)]), what: `${B} sends ${K1} in x and ${K2} in y, without being told the branch` }
      : {
        ...told(X, C, [msg(X, B, TELL_X), msg(C, B, K1)], [msg(X, B, TELL_Y), msg(C, B, K2)]),
        what: `${C} sends ${K1} in x and ${K2} in y, without being told the branch`
      }
  ),

  DuplicateBranchMessage: unaware((X, B, C) => {
    // `tell` is told the branch with one label in both branches, then acts differently.
    const tell = C ?? B
    const peer = C === undefined ? X : B
    const branches = (x: string, y: string) => {
      const pre = (l: string) => (C === undefined ? [] : [msg(X, B, l)])
      return choice(X, CHOICE, [...pre(TELL_X), msg(X, tell, x), msg(tell, peer, K1)], [...pre(TELL_Y), msg(X, tell, y), msg(tell, peer, K2)])
    }
    return {
      ill: branches(SHARED, SHARED),
      fixed: branches(TELL_X, TELL_Y),
      what: `${tell} is told the branch with ${SHARED} in both, then sends ${K1} in x and ${K2} in y`
    }
  }),

  ChooserUnaware: unaware((X, B, C) => {
    const chooser = C ?? B
    const peer = C === undefined ? X : B
    const inner = choice(chooser, INNER_CHOICE, [msg(chooser, peer, K1)], [msg(chooser, peer, K2)])
    return C === undefined
      ? { ...told(X, B, [inner], [msg(B, X, K3)]), what: `${B} makes choice '${INNER_CHOICE}' in x only, without being told the branch` }
      : {
        ...told(X, C, [msg(X, B, TELL_X), inner], [msg(X, B, TELL_Y), msg(C, B, K3)]),
        what: `${C} makes choice '${INNER_CHOICE}' in x only, without being told the branch`
      }
  })
}

const renameRecurs = (steps: ReadonlyArray<TreeStep>, from: string, to: string): ReadonlyArray<TreeStep> =>
  steps.map((s): TreeStep => {
    switch (s._tag) {
      case "Recur":
        return s.name === from ? recur(to) : s
      case "Choice":
        return { ...s, branches: s.branches.map((b) => ({ ...b, steps: renameRecurs(b.steps, from, to) })) }
      case "Loop":
        return { ...s, body: renameRecurs(s.body, from, to) }
      default:
        // Rounds and parallel branches cannot recur to an enclosing loop.
        return s
    }
  })
