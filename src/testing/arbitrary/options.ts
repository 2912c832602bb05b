/**
 * The options of the arbitraries of generated protocols: their bounds and the constructs they
 * use.
 *
 * @since 0.1.0
 */

/**
 * Bounds of the generated protocols, and which constructs they use.
 *
 * @example
 * ```ts
 * import fc from "fast-check"
 * import { type ArbitraryOptions, wellFormedProtocol } from "quadrille/testing/arbitrary"
 *
 * // Small protocols of messages, choices and loops only.
 * const core: ArbitraryOptions = { maxRoles: 3, maxDepth: 2, compose: false, broadcast: false, repeat: false, parallel: false }
 * fc.assert(fc.property(wellFormedProtocol(core), (g) => g.tree.roles.length <= 3))
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface ArbitraryOptions {
  /** Fewest roles (at least 2; default 2). */
  readonly minRoles?: number
  /** Most roles (at most 8; default 5). */
  readonly maxRoles?: number
  /** Nesting depth of choices, loops, rounds and parallels (default 3). */
  readonly maxDepth?: number
  /** Most steps in one sequence before a choice's messages are added (default 3). */
  readonly maxSteps?: number
  /** Most branches of a choice (default 3). */
  readonly maxBranches?: number
  /** Labels of plain messages (default 3). */
  readonly labels?: number
  /** Largest tree, in steps, composed sub-protocols counted where they are composed (default 120). */
  readonly maxSize?: number
  /**
   * Compose sub-protocols (default true): each generated first, with 2 or 3 roles of its own
   * and a catalogue that shares the plain labels, then composed with injective role mappings,
   * some twice.
   */
  readonly compose?: boolean
  /** How deep sub-protocols compose sub-protocols of their own (default 2). */
  readonly composeDepth?: number
  /** Broadcasts (default true). */
  readonly broadcast?: boolean
  /** `repeat`s, each with its number of rounds as a session parameter (default true). */
  readonly repeat?: boolean
  /** Most rounds of a `repeat` (default 3). */
  readonly maxRounds?: number
  /** Parallels (default true). */
  readonly parallel?: boolean
  /** Most branches of a parallel (default 3). */
  readonly maxParallel?: number
  /**
   * Free trees only: rounds of a `repeat` may `end()` the protocol where not every role is
   * told (default false: such protocols are accepted by the library today, and hang, see
   * the tests of known issues).
   */
  readonly roundEnds?: boolean
  /**
   * Compose more than once a sub-protocol with a `repeat` (default false: when a role sits
   * out a loop that passes one copy's rounds and then takes part in another copy's, whose
   * parameter has the same name, it fails with "does not know how many rounds of ... are
   * done"; see the tests of known issues).
   */
  readonly reusedRounds?: boolean
  /**
   * `timeout`s (default false, so that the trees of the other options, their shrinking and
   * the counts of the tests that use them stay as they were): `at` is a role of the body (a
   * message from it is added when the body has none), body and fallback never `end()` nor
   * `recur` out.
   */
  readonly timeouts?: boolean
  /** The duration of every generated timeout, in milliseconds (default 60 000: fault-free runs are always in time). */
  readonly timeoutDuration?: number
  /**
   * `saga`s (default false, as `timeouts`): the forward part begins with a message of a label
   * of its own, the saga's name, from the owner (see `implementAll`'s `failSagas`); the
   * parts never `end()` nor `recur` out.
   */
  readonly sagas?: boolean
  /**
   * Forever loops (default false): most protocols end with a `forever` loop that no path
   * leaves, and choice branches (but for the one that is an enclosing loop's way out) may end
   * with one, where `end()` may be; a forever loop's body goes round at its end and never
   * `end()`s. A run of such a protocol does not end: run it with `Session.run`'s (or
   * `simulate`'s) `stop` option, and check its trace with `Trace.validate(p, trace,
   * { complete: false })` (`verifyRun` needs a finished run). Off by default because every
   * consumer that runs generated protocols to their end would hang, and so that the trees of
   * the other options stay as they were.
   */
  readonly forever?: boolean
}
