/**
 * Generated implementations: every role of a generated protocol implemented with
 * `Role.implement`, with handlers that record what they do for the oracle.
 *
 * @since 0.1.0
 */
import { Data, Effect } from "effect"
import * as Role from "../../runtime/Role.js"
import type { Decision } from "./replay.js"
import { allLabels, barriersOf, type Generated, type GeneratedProtocol } from "./tree.js"

/**
 * A message as its receiver recorded it. The sender is read off the payload.
 *
 * @example
 * ```ts
 * import type { ReceivedMessage } from "quadrille/testing/arbitrary"
 *
 * const first: ReceivedMessage = { from: "A", label: "ping", payload: 0 }
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ReceivedMessage {
  readonly from: string
  readonly label: string
  readonly payload: number
}

/**
 * The state of a generated implementation, and so its result: everything it received, in
 * order.
 *
 * @example
 * ```ts
 * import type { RoleState } from "quadrille/testing/arbitrary"
 *
 * const labels = (state: RoleState) => state.received.map((m) => m.label)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RoleState {
  readonly role: string
  readonly received: ReadonlyArray<ReceivedMessage>
}

/**
 * What a generated implementation did, in the order its handlers were called: sent a payload
 * (the receiver is known from who received it), received one, or made a decision.
 *
 * @example
 * ```ts
 * import type { RoleEvent } from "quadrille/testing/arbitrary"
 *
 * const sends = (events: ReadonlyArray<RoleEvent>) => events.filter((e) => e._tag === "Send").length
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type RoleEvent =
  | { readonly _tag: "Send"; readonly label: string; readonly payload: number }
  | { readonly _tag: "Recv"; readonly from: string; readonly label: string; readonly payload: number }
  | { readonly _tag: "Decision"; readonly choice: string; readonly branch: string }

/**
 * What the generated implementations did that their states cannot hold (send and choose
 * handlers do not return a state): per role, what it sent and what it decided, in order, and
 * every event of its handlers in the order they were called.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import fc from "fast-check"
 * import { Session } from "quadrille"
 * import { implementAll, wellFormedProtocol } from "quadrille/testing/arbitrary"
 *
 * const [g] = fc.sample(wellFormedProtocol(), { numRuns: 1, seed: 1 })
 * const { implementations, log } = implementAll(g, [0, 1])
 * await Effect.runPromise(Session.run(g.protocol, implementations, { params: g.tree.params }))
 * console.log(log.decisions, log.sent)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface RunLog {
  readonly sent: Readonly<Record<string, Array<{ readonly label: string; readonly payload: number }>>>
  readonly decisions: Readonly<Record<string, Array<Decision>>>
  readonly events: Readonly<Record<string, Array<RoleEvent>>>
  /**
   * Per role, the fallbacks it took, in order: a timeout that ran out (its `onTimeout`
   * handler ran) or a saga it compensated (its `onCompensate` handler ran). Empty in a run
   * in which every timeout was in time and every saga committed.
   */
  readonly fallbacks: Readonly<Record<string, Array<{ readonly _tag: "Timeout" | "Compensate"; readonly name: string }>>>
}

/**
 * The typed failure of a generated send handler told to fail a saga (see `implementAll`'s
 * `failSagas`): it makes the saga compensate.
 *
 * @example
 * ```ts
 * import { SagaStepFailed } from "quadrille/testing/arbitrary"
 *
 * const failure = new SagaStepFailed({ saga: "g0", role: "A", message: "A was told to fail run 0 of saga 'g0'" })
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export class SagaStepFailed extends Data.TaggedError("SagaStepFailed")<{ readonly saga: string; readonly role: string; readonly message: string }> {}

/**
 * Options of `implementAll`.
 *
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { implementAll, type ImplementOptions, wellFormedProtocol } from "quadrille/testing/arbitrary"
 *
 * // Effectful handlers, and every first run of a saga fails (it compensates).
 * const options: ImplementOptions = { effectful: true, failSagas: (_saga, run) => run === 0 }
 * const [g] = fc.sample(wellFormedProtocol({ sagas: true }), { numRuns: 1, seed: 4 })
 * const { implementations } = implementAll(g, [], options)
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ImplementOptions {
  /**
   * How many choices each role makes from `decisions` before it takes, every time, a branch
   * toward the end of the protocol (default 8).
   */
  readonly freeChoices?: number
  /**
   * Whether the handlers answer with Effects instead of plain values (default false);
   * `"yield"`: receive handlers with Effects that let other fibers run before they answer
   * (the others with `Effect.succeed`), so that handlers of concurrent parallel branches of
   * one role overlap.
   */
  readonly effectful?: boolean | "yield"
  /**
   * Most handler calls of a run, all roles together (default 100 000): one more throws, so a
   * run that does not end fails at once (a timeout around `Session.run` may not fire soon while
   * every role can go on: Effect lets timers run only every so many rounds of its fibers).
   */
  readonly maxEvents?: number
  /**
   * Which runs of which sagas to fail (default none): the owner's send of the message that
   * begins the forward part (labelled with the saga's name) fails with `SagaStepFailed` when
   * this answers true for the saga and its run (0 for the first run of that saga in the
   * session, 1 for the next...), and the saga compensates.
   */
  readonly failSagas?: (saga: string, run: number) => boolean
}

/**
 * A generated implementation of one role.
 *
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { type GeneratedImplementation, implementAll, wellFormedProtocol } from "quadrille/testing/arbitrary"
 *
 * const [g] = fc.sample(wellFormedProtocol(), { numRuns: 1, seed: 1 })
 * const first: GeneratedImplementation = implementAll(g, []).implementations[g.tree.roles[0]]
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export type GeneratedImplementation = Role.Implementation<GeneratedProtocol, string, RoleState, SagaStepFailed>

/**
 * An implementation of every role of a generated protocol, with `Role.implement`. Each send
 * answers a number that is unique in the run and tells the sender; each receive appends
 * `{ from, label, payload }` to the state; each choice takes a branch picked by the next of
 * `decisions` (modulo the number of branches), and after `freeChoices` choices a branch toward
 * the end, so that every run ends. Returns the implementations and the log they fill as they
 * run: make new ones for every run. Run them with the session parameters `g.tree.params`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import fc from "fast-check"
 * import { Session } from "quadrille"
 * import { implementAll, verifyRun, wellFormedProtocol } from "quadrille/testing/arbitrary"
 *
 * await fc.assert(fc.asyncProperty(wellFormedProtocol(), fc.array(fc.nat(5)), async (g, decisions) => {
 *   const { implementations, log } = implementAll(g, decisions)
 *   const results = await Effect.runPromise(Session.run(g.protocol, implementations, { params: g.tree.params }))
 *   const wrong = verifyRun(g, log, results)
 *   if (wrong !== undefined) throw new Error(wrong)
 * }), { numRuns: 20 })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const implementAll = (
  g: Generated,
  decisions: ReadonlyArray<number>,
  options: ImplementOptions = {}
): { readonly implementations: Record<string, GeneratedImplementation>; readonly log: RunLog } => {
  const { choices, protocol, tree } = g
  const freeChoices = options.freeChoices ?? 8
  const answer = <A>(a: A): A | Effect.Effect<A> => (options.effectful ? Effect.succeed(a) : a)
  const answerState = (s: RoleState): RoleState | Effect.Effect<RoleState> =>
    options.effectful === "yield" ? Effect.as(Effect.yieldNow(), s) : answer(s)
  const n = tree.roles.length
  const labels = allLabels(tree)
  const log: RunLog = {
    sent: Object.fromEntries(tree.roles.map((r) => [r, []])),
    decisions: Object.fromEntries(tree.roles.map((r) => [r, []])),
    events: Object.fromEntries(tree.roles.map((r) => [r, []])),
    fallbacks: Object.fromEntries(tree.roles.map((r) => [r, []]))
  }
  const { sagas, timeouts } = barriersOf(tree)
  const sagaRuns = new Map<string, number>()
  const failSagas = options.failSagas
  let next = 0
  let calls = 0
  const maxEvents = options.maxEvents ?? 100_000
  const record = (role: string, e: RoleEvent) => {
    if (++calls > maxEvents) throw new Error(`runaway: more than ${maxEvents} handler calls, the run does not end`)
    log.events[role].push(e)
  }
  const implementations: Record<string, GeneratedImplementation> = {}
  tree.roles.forEach((role, index) => {
    const send: Record<string, (s: RoleState) => number | Effect.Effect<number, SagaStepFailed>> = {}
    const recv: Record<string, (s: RoleState, payload: number) => RoleState | Effect.Effect<RoleState>> = {}
    for (const label of labels) {
      send[label] = () => {
        if (failSagas !== undefined && sagas.has(label)) {
          const run = sagaRuns.get(label) ?? 0
          sagaRuns.set(label, run + 1)
          if (failSagas(label, run)) {
            return Effect.fail(new SagaStepFailed({ saga: label, role, message: `${role} was told to fail run ${run} of saga '${label}'` }))
          }
        }
        const payload = next++ * n + index
        record(role, { _tag: "Send", label, payload })
        log.sent[role].push({ label, payload })
        return answer(payload)
      }
      recv[label] = (s, payload) => {
        const from = tree.roles[payload % n]
        record(role, { _tag: "Recv", from, label, payload })
        return answerState({ role: s.role, received: [...s.received, { from, label, payload }] })
      }
    }
    const choose: Record<string, (s: RoleState) => string | Effect.Effect<string>> = {}
    for (const [name, info] of Object.entries(choices)) {
      if (!info.roles.includes(role)) continue
      choose[name] = () => {
        const k = log.decisions[role].length
        const branch = k < freeChoices && decisions.length > 0
          ? info.branches[decisions[(k + index * 3) % decisions.length] % info.branches.length]
          : (info.towardEnd[0] ?? info.branches[0])
        record(role, { _tag: "Decision", choice: name, branch })
        log.decisions[role].push({ choice: name, branch })
        return answer(branch)
      }
    }
    // Every role is given a handler for every timeout and saga: required where it decides a
    // timeout, optional elsewhere; each records the fallback taken.
    const fallback = (_tag: "Timeout" | "Compensate", name: string) => (s: RoleState) => {
      log.fallbacks[role].push({ _tag, name })
      return answer(s)
    }
    const onTimeout = Object.fromEntries([...timeouts.keys()].map((name) => [name, fallback("Timeout", name)]))
    const onCompensate = Object.fromEntries([...sagas.keys()].map((name) => [name, fallback("Compensate", name)]))
    implementations[role] = Role.implement(
      protocol,
      role,
      { send, recv, choose, onTimeout, onCompensate } as never,
      { role, received: [] } as RoleState
    ) as unknown as GeneratedImplementation
  })
  return { implementations, log }
}
