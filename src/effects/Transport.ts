/**
 * The `Transport` service: how frames travel between roles. Layers in `src/handlers`
 * implement it (in memory by default; deterministic, chaos, TCP and Redis later).
 *
 * @since 0.1.0
 */
import { Context, type Effect, Either, ParseResult, Schema } from "effect"
import { clip } from "../internal/bounded.js"
import { formatIssue } from "../internal/issue.js"
import type { PeerUnavailable, TransportError } from "./errors.js"
import type { DurableEngine } from "../runtime/durable.js"

/**
 * One message on the wire. Receivers match every field exactly against what their local
 * type expects at that point.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { type Envelope, Memory } from "quadrille"
 *
 * // A frame forged by a test, as a peer would send it.
 * const frame: Envelope = { session: "s1", from: "Client", to: "Server", label: "Ping", site: "0", loops: {}, seq: 0, payload: 1 }
 * const memory = Memory.unsafeMake()
 * const program = Effect.zipRight(memory.open!("s1", "Server", ["Client", "Server"]), Effect.sync(() => memory.inject(frame)))
 * ```
 *
 * @category models
 * @since 0.1.0
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
  /**
   * Acknowledgements that travel with the frame (the reliable layer's, piggy-backed on the
   * frames going back): each names a frame its receiver (`to`) sent `from`, by lane and seq.
   * At most `maxAcksPerFrame`.
   */
  readonly acks?: ReadonlyArray<Ack> | undefined
}

/**
 * An acknowledgement carried by a frame (`Envelope.acks`): of the frame on `lane` (absent: the
 * main line) with `seq`, that the frame's receiver sent its sender.
 *
 * @example
 * ```ts
 * import { decodeEnvelope, type Envelope } from "quadrille"
 * import { Either } from "effect"
 *
 * // A Pong that also acknowledges the Ping (seq 0) it answers.
 * const pong: Envelope = { session: "s1", from: "Server", to: "Client", label: "Pong", site: "1", loops: {}, seq: 0, payload: 2, acks: [{ seq: 0 }] }
 * assert.ok(Either.isRight(decodeEnvelope(pong)))
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface Ack {
  readonly seq: number
  readonly lane?: string | undefined
}

/**
 * The most acknowledgements one frame may carry; a frame with more is rejected when decoded.
 *
 * @example
 * ```ts
 * import { decodeEnvelope, type Envelope } from "quadrille"
 * import { Either } from "effect"
 *
 * const acks = Array.from({ length: 257 }, (_, seq) => ({ seq }))
 * const frame: Envelope = { session: "s1", from: "Server", to: "Client", label: "Pong", site: "1", loops: {}, seq: 0, payload: 2, acks }
 * assert.ok(Either.isLeft(decodeEnvelope(frame)))
 * ```
 *
 * @since 0.1.0
 */
export const maxAcksPerFrame = 256

/**
 * The longest session id, role, label, site, lane or mailbox name a frame may carry.
 *
 * @example
 * ```ts
 * import { decodeEnvelope, type Envelope, maxNameLength } from "quadrille"
 *
 * const frame: Envelope = { session: "s1", from: "Client", to: "Server", label: "Ping", site: "0", loops: {}, seq: 0, payload: 1 }
 *
 * decodeEnvelope({ ...frame, label: "L".repeat(maxNameLength + 1) }) // Left: the label is too long
 * ```
 *
 * @since 0.1.0
 */
export const maxNameLength = 1024

const Name = Schema.String.pipe(Schema.maxLength(maxNameLength)).annotations({ title: `a string of at most ${maxNameLength} characters` })

const Seq = Schema.Number.pipe(Schema.int(), Schema.between(0, Number.MAX_SAFE_INTEGER)).annotations({ title: "a whole number from 0" })

const isLoops = (u: unknown): u is Readonly<Record<string, number>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Loop counters: an object of own, enumerable string keys, each a whole number from 0. The
 * decoded value is a fresh object whose keys are own data properties, a loop named
 * `__proto__` included (Effect's `Schema.Record` drops that key, which would switch the
 * loop's counter check off).
 */
const Loops: Schema.Schema<Readonly<Record<string, number>>, unknown> = Schema.transformOrFail(
  Schema.Unknown,
  Schema.declare(isLoops, { identifier: "Loops" }),
  {
    strict: true,
    decode: (u, _, ast) => {
      if (!isLoops(u)) return ParseResult.fail(new ParseResult.Type(ast, u, "loops must be an object of loop counters"))
      const out: Record<string, number> = {}
      const keys = Object.keys(u)
      if (keys.length > 256) return ParseResult.fail(new ParseResult.Type(ast, u, `${keys.length} loop counters are too many`))
      for (const k of keys) {
        const n = (u as Record<string, unknown>)[k]
        if (k.length > maxNameLength || typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
          return ParseResult.fail(new ParseResult.Type(ast, u, `loop counter ${JSON.stringify(clip(k, 60))} must be a whole number from 0`))
        }
        Object.defineProperty(out, k, { value: n, enumerable: true, writable: true, configurable: true })
      }
      return ParseResult.succeed(out)
    },
    encode: (u) => ParseResult.succeed(u)
  }
)

/**
 * The shape of an `Envelope`, as a Schema: what every frame that comes from outside the
 * process (a socket, a stream, a forged test frame) is decoded with before any role sees it.
 * Names are bounded strings, `seq` a whole number from 0, `loops` an object of counters; the
 * payload is left to the catalogue's Schema of its label.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { EnvelopeSchema } from "quadrille"
 *
 * // Frames of a transport of your own, decoded at its edge before any role sees them.
 * const decodeFrame = Schema.decodeUnknownEither(Schema.parseJson(EnvelopeSchema))
 * decodeFrame('{"session":"s1","from":"Client","to":"Server","label":"Ping","site":"0","loops":{},"seq":0,"payload":1}')
 * ```
 *
 * @category schemas
 * @since 0.1.0
 */
export const EnvelopeSchema: Schema.Schema<Envelope, {
  readonly session: string
  readonly from: string
  readonly to: string
  readonly label: string
  readonly site: string
  readonly loops: unknown
  readonly seq: number
  readonly payload: unknown
  readonly lane?: string | undefined
  readonly mailbox?: string | undefined
  readonly acks?: ReadonlyArray<{ readonly seq: number; readonly lane?: string | undefined }> | undefined
}> = Schema.Struct({
  session: Name,
  from: Name,
  to: Name,
  label: Name,
  site: Schema.String.pipe(Schema.maxLength(8 * maxNameLength)).annotations({ title: `a string of at most ${8 * maxNameLength} characters` }),
  loops: Loops,
  seq: Seq,
  payload: Schema.Unknown,
  lane: Schema.optional(Name),
  mailbox: Schema.optional(Name),
  acks: Schema.optional(
    Schema.Array(Schema.Struct({ seq: Seq, lane: Schema.optional(Name) }).annotations({ title: "an acknowledgement object" })).pipe(
      Schema.maxItems(maxAcksPerFrame)
    ).annotations({ title: `an array of at most ${maxAcksPerFrame} acknowledgements` })
  )
}).annotations({ title: "an envelope object" })

const decodeEither = Schema.decodeUnknownEither(EnvelopeSchema)

const isName = (u: unknown): u is string => typeof u === "string" && u.length <= maxNameLength

/**
 * `EnvelopeSchema`'s decoding, by hand, for the frames that pass it: the same checks and the
 * same output (a fresh object of the known fields, loop counters copied as own data
 * properties, `__proto__` too), some 30 times cheaper (bench/tcp/micro.ts). `undefined` for
 * any frame it would refuse, which the Schema then decodes, for its message.
 */
const decodeValid = (u: unknown): Envelope | undefined => {
  if (typeof u !== "object" || u === null || Array.isArray(u)) return undefined
  const o = u as Record<string, unknown>
  const session = o.session
  const from = o.from
  const to = o.to
  const label = o.label
  const site = o.site
  const loops = o.loops
  const seq = o.seq
  if (!isName(session) || !isName(from) || !isName(to) || !isName(label)) return undefined
  if (typeof site !== "string" || site.length > 8 * maxNameLength) return undefined
  if (!isLoops(loops) || typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) return undefined
  const keys = Object.keys(loops)
  if (keys.length > 256) return undefined
  const counters: Record<string, number> = {}
  for (const k of keys) {
    const n = (loops as Record<string, unknown>)[k]
    if (k.length > maxNameLength || typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) return undefined
    if (k === "__proto__") Object.defineProperty(counters, k, { value: n, enumerable: true, writable: true, configurable: true })
    else counters[k] = n
  }
  const e: { -readonly [K in keyof Envelope]: Envelope[K] } = { session, from, to, label, site, loops: counters, seq, payload: o.payload }
  if (Object.prototype.hasOwnProperty.call(o, "lane")) {
    const lane = o.lane
    if (lane !== undefined && !isName(lane)) return undefined
    e.lane = lane
  }
  if (Object.prototype.hasOwnProperty.call(o, "mailbox")) {
    const mailbox = o.mailbox
    if (mailbox !== undefined && !isName(mailbox)) return undefined
    e.mailbox = mailbox
  }
  if (Object.prototype.hasOwnProperty.call(o, "acks")) {
    const acks = o.acks
    if (acks === undefined) e.acks = undefined
    else {
      if (!Array.isArray(acks) || acks.length > maxAcksPerFrame) return undefined
      const out: Array<Ack> = []
      for (let i = 0; i < acks.length; i++) {
        const a: unknown = acks[i]
        if (typeof a !== "object" || a === null || Array.isArray(a)) return undefined
        const seq = (a as Record<string, unknown>).seq
        if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) return undefined
        if (Object.prototype.hasOwnProperty.call(a, "lane")) {
          const lane = (a as Record<string, unknown>).lane
          if (lane !== undefined && !isName(lane)) return undefined
          out.push({ seq, lane })
        } else out.push({ seq })
      }
      e.acks = out
    }
  }
  return e
}

/**
 * Decodes a frame from outside: the `Envelope`, or why it is none, in a sentence of bounded
 * length. Never throws, whatever the value (getters that throw, proxies, cycles).
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import { decodeEnvelope } from "quadrille"
 *
 * const decoded = decodeEnvelope({ session: "s1", from: "Client", to: "Server", label: "Ping", site: "0", loops: {}, seq: -1 })
 * if (Either.isLeft(decoded)) console.log(decoded.left) // not an envelope: ... seq ...
 * ```
 *
 * @category schemas
 * @since 0.1.0
 */
export const decodeEnvelope = (frame: unknown): Either.Either<Envelope, string> => {
  try {
    const valid = decodeValid(frame)
    if (valid !== undefined) return Either.right(valid)
  } catch {
    // A getter that throws: the Schema gives the account of it.
  }
  return decodeEnvelopeWithSchema(frame)
}

/**
 * `decodeEnvelope` by the Schema alone (no fast path): what the fast path is tested against.
 *
 * @internal
 */
export const decodeEnvelopeWithSchema = (frame: unknown): Either.Either<Envelope, string> => {
  try {
    const decoded = decodeEither(frame, { onExcessProperty: "ignore" })
    return Either.isRight(decoded) ? Either.right(decoded.right) : Either.left(`not an envelope: ${formatIssue(decoded.left.issue)}`)
  } catch {
    return Either.left("not an envelope: it could not be read")
  }
}

/**
 * A transport carries envelopes to the role they are addressed to.
 *
 * `receive` hands a role only decoded envelopes: a transport whose frames come from outside
 * the process (a socket, a stream, a test that forges frames) decodes each with
 * `decodeEnvelope` at its edge, and drops and records one that does not decode (a `Reject`
 * event in the `TraceSink`) instead of failing or handing it on.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Memory, Protocol, Role, Session, Transport, type TransportService } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const roles = {
 *   Client: Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0),
 *   Server: Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0)
 * }
 *
 * // A transport around the one in context that logs every frame sent.
 * const logging = Layer.effect(Transport, Effect.map(Transport, (inner): TransportService => ({
 *   ...inner,
 *   send: (e) => Effect.zipRight(Effect.logDebug(`${e.from} -> ${e.to}: ${e.label}`), inner.send(e))
 * })))
 * const program = Session.run(PingPong, roles).pipe(Effect.provide(Layer.provide(logging, Memory.layer)))
 * ```
 *
 * @category models
 * @since 0.1.0
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
   * Called before `role` starts in `session` (optional), with the protocol's roles: the
   * transport may get ready for it, drop frames addressed to no role of the session, or
   * refuse (a session id used again too soon, say).
   */
  readonly open?: ((session: string, role: string, roles?: ReadonlyArray<string>) => Effect.Effect<void, TransportError>) | undefined
  /**
   * Called when `role` reaches the end of the protocol in `session` (optional): waits until
   * the frames it has sent are delivered, as far as the transport can tell (the reliable
   * layer: acknowledged), or fails when they cannot be (`PeerUnavailable` when a peer that
   * has not had them stays unreachable). A role succeeds only after it. `except`: peers
   * the role went on without (it took a timeout's fallback as they were unavailable), whose
   * frames it need not wait for.
   */
  readonly flush?: ((session: string, role: string, except?: ReadonlySet<string>) => Effect.Effect<void, TransportError | PeerUnavailable>) | undefined
  /** Called once `role` has ended in `session`, however it ended (optional): the transport may free what it holds for it. */
  readonly close?: ((session: string, role: string) => Effect.Effect<void>) | undefined
  /**
   * A transport that keeps frames itself (the Redis transport) commits a durable role's
   * steps (`Role.resume`) in one transaction: its checkpoint, the acknowledgement of the
   * frames it took, the frames it sent. Without one, `Role.resume` keeps checkpoints in
   * `Storage` and sends through `send` after each is written.
   */
  readonly durable?: DurableEngine | undefined
  /**
   * Called when a durable role (`Role.resume`) was stopped (interrupted) in `session`, with the
   * frames it took and did not commit (optional). The transport lets go of the role as a crash
   * would, keeping what it must for the role's return: the in-memory transport and the
   * simulator put those frames back at the head of its mailboxes; the Redis transport stops
   * the role's reader (the frames stay pending in Redis, for whichever process resumes it).
   */
  readonly detach?: ((session: string, role: string, uncommitted: ReadonlyArray<Envelope>) => Effect.Effect<void>) | undefined
}

/**
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Memory, Protocol, Role, Transport } from "quadrille"
 *
 * const PingPong = Protocol.make("PingPong", {
 *   roles: ["Client", "Server"],
 *   messages: { Ping: Schema.Number, Pong: Schema.Number }
 * }, (g) => g.msg("Client", "Server", "Ping").msg("Server", "Client", "Pong"))
 * const client = Role.implement(PingPong, "Client", { send: { Ping: () => 1 }, recv: { Pong: (_, n) => n } }, 0)
 * const server = Role.implement(PingPong, "Server", { send: { Pong: (n) => n + 1 }, recv: { Ping: (_, n) => n } }, 0)
 *
 * // Roles run apart share the Transport in context.
 * const program = Effect.all([
 *   Role.run(PingPong, "Client", client, { sessionId: "s1" }),
 *   Role.run(PingPong, "Server", server, { sessionId: "s1" })
 * ], { concurrency: "unbounded" }).pipe(Effect.provideService(Transport, Memory.unsafeMake()))
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export class Transport extends Context.Tag("quadrille/Transport")<Transport, TransportService>() {}

/**
 * Transports whose `send(envelope)` is exactly `Effect.suspend(() => deliver(envelope) ?? Effect.void)`,
 * with their `deliver`: it sends at once and returns nothing, or the Effect that remains (a
 * failure, or a wait). A channel over one of them calls `deliver` instead of building and
 * running that Effect. Keyed by the service object itself, so a wrapper around such a
 * transport (a spread copy with another `send`) is not mistaken for it.
 *
 * @internal
 */
export type SynchronousSend = (envelope: Envelope) => Effect.Effect<void, TransportError> | void

const synchronousSend = new WeakMap<TransportService, SynchronousSend>()

/**
 * Declares that `transport.send(envelope)` is `deliver(envelope)` run at once: what it returns
 * (nothing when the frame is sent, else the Effect that remains) is what `send` would have
 * done after, so that channels may call `deliver` directly.
 *
 * @internal
 */
export const registerSynchronousSend = (transport: TransportService, deliver: SynchronousSend): void => {
  synchronousSend.set(transport, deliver)
}

/** @internal the `deliver` of a transport registered with `registerSynchronousSend`. */
export const synchronousSendOf = (transport: TransportService): SynchronousSend | undefined =>
  synchronousSend.get(transport)

const synchronousClose = new WeakMap<TransportService, (session: string, role: string) => void>()

/**
 * Declares that `transport.close(session, role)` is `close(session, role)` run at once and
 * never failing, so that a session may close a role that ended where it sees the end, without
 * an Effect.
 *
 * @internal
 */
export const registerSynchronousClose = (transport: TransportService, close: (session: string, role: string) => void): void => {
  synchronousClose.set(transport, close)
}

/** @internal the `close` of a transport registered with `registerSynchronousClose`. */
export const synchronousCloseOf = (transport: TransportService): ((session: string, role: string) => void) | undefined =>
  synchronousClose.get(transport)

/**
 * A mailbox a channel may take frames from directly: what `receive(session, role, lane)` of a
 * transport registered with `registerInbox` takes from (its `take`), without the Effect of a
 * take when a frame is there, and with a failure the channel names itself.
 *
 * @internal
 */
export interface Inbox {
  /** What `receive` is for this mailbox. */
  readonly take: Effect.Effect<Envelope, TransportError>
  /** The next frame now, if there is one. */
  poll(): Envelope | undefined
  /** Once set, a receive that finds no frame fails with this (frames there are taken first). */
  readonly failed: TransportError | undefined
  /** How many frames are there now. */
  readonly size: number
  /**
   * Waits until a frame is there (or the mailbox has failed), then runs `next`: at once when
   * one is there when the Effect runs, else at the next frame. One Effect for the wait and
   * what follows it, where `Effect.flatMap(wait, () => next)` is two steps more.
   */
  waitThen<A, E, R>(next: Effect.Effect<A, E, R>): Effect.Effect<A, E, R>
}

const inboxes = new WeakMap<TransportService, (session: string, role: string, mailbox?: string) => Inbox>()

/**
 * Declares that `transport.receive(session, role, mailbox)` is exactly `inbox(session, role, mailbox).take`
 * (looked up once per receiver, with the same effects): channels may take from the inbox
 * directly. Keyed by the service object, as `registerSynchronousSend`.
 *
 * @internal
 */
export const registerInbox = (transport: TransportService, inbox: (session: string, role: string, mailbox?: string) => Inbox): void => {
  inboxes.set(transport, inbox)
}

/** @internal the inboxes of a transport registered with `registerInbox`. */
export const inboxOf = (transport: TransportService): ((session: string, role: string, mailbox?: string) => Inbox) | undefined =>
  inboxes.get(transport)

/**
 * A transport's mailboxes as a layer above it may tap them: `listen` hands every frame that
 * comes to one mailbox (those there now first) to `frame`, synchronously, in the call that
 * delivers it, and a failure of the mailbox to `fail`, until the function it returns is
 * called; `listen(session, role, mailbox)` counts as the role's receive from that mailbox.
 * `send` sends a frame at once, always (it is the transport's `send`, run synchronously).
 * The reliable layer takes in a role's frames and acks this way, without a fiber.
 *
 * @internal
 */
export interface Tap {
  readonly listen: (
    session: string,
    role: string,
    mailbox: string,
    listener: { readonly frame: (envelope: Envelope) => void; readonly fail: (error: TransportError) => void }
  ) => () => void
  readonly send: (envelope: Envelope) => void
}

const taps = new WeakMap<TransportService, Tap>()

/**
 * Declares that `transport`'s mailboxes may be tapped (see `Tap`). Keyed by the service
 * object, as `registerSynchronousSend`.
 *
 * @internal
 */
export const registerTap = (transport: TransportService, tap: Tap): void => {
  taps.set(transport, tap)
}

/** @internal the tap of a transport registered with `registerTap`. */
export const tapOf = (transport: TransportService): Tap | undefined => taps.get(transport)
