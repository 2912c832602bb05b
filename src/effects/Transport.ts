/**
 * The `Transport` service: how frames travel between roles. Layers in `src/handlers`
 * implement it (in memory by default; deterministic, chaos, TCP and Redis later).
 *
 * @since 0.1.0
 */
import { Context, type Effect } from "effect"
import type { TransportError } from "./errors.js"

/**
 * One message on the wire. Receivers match every field exactly against what their local
 * type expects at that point.
 *
 * @category models
 */
export interface Envelope {
  readonly session: string
  readonly from: string
  readonly to: string
  readonly label: string
  /**
   * The site id of the interaction in the global protocol. When the sender itself does not
   * know which of several identical interactions it is at (it behaves the same in several
   * branches of a choice it did not make), the candidate sites joined by `|`.
   */
  readonly site: string
  /** Iteration counters of the loops enclosing the site, as far as the sender knows them. */
  readonly loops: Readonly<Record<string, number>>
  /** Sequence number of this message among those from `from` to `to` in this session, from 0. */
  readonly seq: number
  /** The payload: the value itself in memory, its encoded form when the transport serialises. */
  readonly payload: unknown
  /**
   * The lane: absent for the role's main line, else one branch of one run of a `parallel`
   * (each has its own mailbox and sequence numbers, so that branches never mix).
   */
  readonly lane?: string | undefined
  /**
   * The mailbox of the receiving role the frame goes to, when not its lane's: a layer that
   * takes all of a role's frames in one place (the reliable layer) names one here.
   */
  readonly mailbox?: string | undefined
}

/**
 * A transport carries envelopes to the role they are addressed to.
 *
 * @category models
 */
export interface TransportService {
  /** Whether frames leave the process; when true, payloads are encoded and decoded with their Schemas. */
  readonly serialises: boolean
  readonly send: (envelope: Envelope) => Effect.Effect<void, TransportError>
  /**
   * The next envelope addressed to `role` in `session`, from any sender, from the mailbox
   * named `mailbox`: by default an envelope goes to the mailbox of its lane (none or "": the
   * role's main line), or to the one its `mailbox` field names.
   */
  readonly receive: (session: string, role: string, mailbox?: string) => Effect.Effect<Envelope, TransportError>
  /**
   * Called before `role` starts in `session` (optional): the transport may get ready for it,
   * or refuse (a session id used again too soon, say).
   */
  readonly open?: ((session: string, role: string) => Effect.Effect<void, TransportError>) | undefined
  /** Called once `role` has ended in `session`, however it ended (optional): the transport may free what it holds for it. */
  readonly close?: ((session: string, role: string) => Effect.Effect<void>) | undefined
}

/**
 * @category services
 */
export class Transport extends Context.Tag("quadrille/Transport")<Transport, TransportService>() {}

/**
 * Transports whose `send(envelope)` is exactly `Effect.sync(() => deliver(envelope))`, with
 * their `deliver`. A channel over one of them delivers a frame at once instead of building
 * and running that Effect. Keyed by the service object itself, so a wrapper around such a
 * transport (a spread copy with another `send`) is not mistaken for it.
 */
const synchronousSend = new WeakMap<TransportService, (envelope: Envelope) => void>()

/**
 * Declares that `transport.send(envelope)` does nothing but `deliver(envelope)`, synchronously
 * and without failing, so that channels may call `deliver` directly.
 *
 * @internal
 */
export const registerSynchronousSend = (transport: TransportService, deliver: (envelope: Envelope) => void): void => {
  synchronousSend.set(transport, deliver)
}

/** @internal the `deliver` of a transport registered with `registerSynchronousSend`. */
export const synchronousSendOf = (transport: TransportService): ((envelope: Envelope) => void) | undefined =>
  synchronousSend.get(transport)
