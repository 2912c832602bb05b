/**
 * The error taxonomy of Quadrille. Every failure a role or a protocol can meet is a
 * `Data.TaggedError` that names where it happened: protocol, role, peer, label and site.
 *
 * Retryable: `Timeout`, `TransportError`, `PeerUnavailable` (and `PeerFailed` when the
 * peer's own failure was retryable).
 * Permanent: `ProtocolViolation`, `DecodeError`, `LinearityViolation`, `ProjectionError`,
 * `ImplementationError`.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * A global protocol is not well formed: some role cannot be given a local type.
 * Raised by `Protocol.make`.
 *
 * @category errors
 */
export class ProjectionError extends Data.TaggedError("ProjectionError")<{
  readonly protocol: string
  /** The well-formedness rule that is broken (see `Rule`). */
  readonly rule: Rule
  /** The role that cannot be projected, when one is to blame. */
  readonly role?: string | undefined
  /** The sites (paths in the global protocol) involved. */
  readonly sites: ReadonlyArray<string>
  readonly message: string
}> {}

/**
 * The names of the well-formedness rules, as reported in `ProjectionError.rule`.
 * `InvalidRole` and `InvalidMessage` are about the declaration itself (a role that is not a
 * usable name, a catalogue entry that is not a Schema or a label that is reserved), which the
 * builder's types already rule out for TypeScript callers.
 *
 * @category errors
 */
export type Rule =
  | "UndeclaredRole"
  | "DuplicateRole"
  | "SelfMessage"
  | "UnknownLabel"
  | "RecurOutsideLoop"
  | "DuplicateLoopName"
  | "UnguardedLoop"
  | "LoopWithoutExit"
  | "EmptyChoice"
  | "StepAfterEnd"
  | "UnmergeableChoice"
  | "AmbiguousBranch"
  | "DuplicateBranchMessage"
  | "BadRoleMapping"
  | "CatalogueConflict"
  | "EndInParallel"
  | "EndInRepeat"
  | "RecurAcrossBarrier"
  | "ChooserUnaware"
  | "InvalidRole"
  | "InvalidMessage"
  | "EndInTimeout"
  | "TimeoutNotRaced"
  | "BadDuration"
  | "EndInSaga"
  | "FamilyMisuse"

/**
 * A role received something the protocol does not allow at that point: wrong label, wrong
 * site, wrong sequence number, a message from an unknown sender, or a message left over.
 *
 * @category errors
 */
export class ProtocolViolation extends Data.TaggedError("ProtocolViolation")<{
  readonly protocol: string
  readonly role: string
  readonly peer: string
  readonly label: string
  readonly site: string
  /** What the role expected instead. */
  readonly expected: string
  readonly message: string
}> {}

/**
 * A payload did not decode with the Schema of its label.
 *
 * @category errors
 */
export class DecodeError extends Data.TaggedError("DecodeError")<{
  readonly protocol: string
  readonly role: string
  readonly peer: string
  readonly label: string
  readonly site: string
  /** The schema's own account of the problem. */
  readonly issue: string
  readonly message: string
}> {}

/**
 * An endpoint was used twice.
 *
 * @category errors
 */
export class LinearityViolation extends Data.TaggedError("LinearityViolation")<{
  readonly protocol: string
  readonly role: string
  /** The operation attempted on the spent endpoint. */
  readonly operation: string
  readonly message: string
}> {}

/**
 * A role's implementation is incomplete or answered outside the protocol: a missing
 * handler, or a `choose` handler that named a branch that does not exist.
 *
 * @category errors
 */
export class ImplementationError extends Data.TaggedError("ImplementationError")<{
  readonly protocol: string
  readonly role: string
  readonly site: string
  readonly message: string
}> {}

/**
 * The transport could not carry a frame.
 *
 * @category errors
 */
export class TransportError extends Data.TaggedError("TransportError")<{
  readonly role: string
  readonly peer: string
  readonly message: string
}> {}

/**
 * Something did not happen in time.
 *
 * @category errors
 */
export class Timeout extends Data.TaggedError("Timeout")<{
  readonly role: string
  readonly peer: string
  readonly label: string
  readonly site: string
  readonly message: string
}> {}

/**
 * A peer is known to be down.
 *
 * @category errors
 */
export class PeerUnavailable extends Data.TaggedError("PeerUnavailable")<{
  readonly role: string
  readonly peer: string
  readonly message: string
}> {}

/**
 * A peer this role still had steps with failed (or was interrupted), and said so with a
 * failure notice. `cause` is the peer's own account, in bounded words; `retryable` whether
 * the peer's failure was of a retryable kind (then so is this error).
 *
 * @category errors
 */
export class PeerFailed extends Data.TaggedError("PeerFailed")<{
  readonly role: string
  /** The peer that failed. */
  readonly peer: string
  /** Where this role was when it learned it: the sites it waited on, or "" when it was not waiting. */
  readonly site: string
  /** The tag of the peer's error ("interrupted" when it was interrupted, "defect" when it died). */
  readonly reason: string
  /** The peer's account of its failure, clipped. */
  readonly cause: string
  readonly retryable: boolean
  readonly message: string
}> {}

/**
 * The session (or the role) was stopped by its `stop` option (`Session.run`, `Role.run`): the
 * way a server, a protocol with a `forever` loop, ends. Not a defect, not retryable. `roles`
 * are those still running when it was stopped; a peer elsewhere of a role stopped by
 * `Role.run` learns of it by a failure notice (`PeerFailed` with reason `Stopped`).
 *
 * @category errors
 */
export class Stopped extends Data.TaggedError("Stopped")<{
  readonly protocol: string
  readonly session: string
  /** The roles still running when it was stopped. */
  readonly roles: ReadonlyArray<string>
  readonly message: string
}> {}

/**
 * A retried session or role failed on every attempt its schedule allowed. `last` is the error
 * of the last attempt.
 *
 * @category errors
 */
export class MaxRetriesExceeded extends Data.TaggedError("MaxRetriesExceeded")<{
  /** How many attempts were made. */
  readonly attempts: number
  readonly last: unknown
  readonly message: string
}> {}

/**
 * A resumed role did not do again what its journal says it did: a hand-written program that
 * is not deterministic given its inputs (it sent another label, payload or peer, or received
 * where it had sent), or a protocol changed under a checkpoint.
 *
 * @category errors
 */
export class ReplayDivergence extends Data.TaggedError("ReplayDivergence")<{
  readonly protocol: string
  readonly role: string
  /** The lane ("" for the role's main line). */
  readonly lane: string
  /** What the journal says the role did there. */
  readonly expected: string
  /** What it did on replay. */
  readonly actual: string
  readonly message: string
}> {}

/**
 * A checkpoint could not be used: it does not decode, or it is of another protocol, role,
 * session or version of the protocol.
 *
 * @category errors
 */
export class CheckpointError extends Data.TaggedError("CheckpointError")<{
  readonly key: string
  readonly protocol: string
  readonly role: string
  readonly message: string
}> {}

/**
 * Every error a running role can fail with, apart from its handlers' own errors.
 *
 * @category errors
 */
export type RoleError =
  | ProtocolViolation
  | DecodeError
  | LinearityViolation
  | ImplementationError
  | TransportError
  | Timeout
  | PeerUnavailable
  | PeerFailed

/**
 * True for the errors that a retry may cure: `Timeout`, `TransportError`, `PeerUnavailable`,
 * and a `PeerFailed` whose peer failed with one of those.
 *
 * @category errors
 */
export const isRetryable = (error: unknown): boolean => {
  if (typeof error !== "object" || error === null || !("_tag" in error)) return false
  const tag = (error as { readonly _tag: unknown })._tag
  if (tag === "PeerFailed") return (error as PeerFailed).retryable === true
  return tag === "Timeout" || tag === "TransportError" || tag === "PeerUnavailable"
}
