/**
 * One role's connection to a session: sends and receives envelopes for the states of its
 * local automaton, numbers them per peer, keeps loop counters, matches every incoming frame
 * exactly and decodes its payload. Both generated implementations (`Role.implement`) and
 * hand-written programs (`Role.program`) drive a role through this.
 *
 * @internal
 */
import { Effect, Either, ParseResult, Schema } from "effect"
import { DecodeError, ImplementationError, ProtocolViolation, type TransportError } from "../effects/errors.js"
import type { Envelope, TransportService } from "../effects/Transport.js"
import type { Any } from "../protocol/Protocol.js"
import type { EndState, LState, RecvOption, RecvState, SelectState, SendState, Transition } from "./automaton.js"

const noLoops: Readonly<Record<string, number>> = Object.freeze({})

export interface Received {
  readonly label: string
  readonly payload: unknown
  readonly next: LState
}

export class Channel {
  private readonly sendSeq = new Map<string, number>()
  private readonly recvSeq = new Map<string, number>()
  private readonly pending = new Map<string, Array<Envelope>>()
  private readonly counters = new Map<string, number | undefined>()
  private readonly roles: ReadonlySet<string>
  private readonly receiveAny: Effect.Effect<Envelope, TransportError>

  constructor(
    readonly protocol: Any,
    readonly role: string,
    readonly session: string,
    private readonly transport: TransportService,
    /** Decode (and encode) payloads with their Schemas. */
    private readonly validate: boolean
  ) {
    this.roles = new Set(protocol.roles)
    this.receiveAny = transport.receive(session, role)
  }

  /** Enters the role's local automaton; returns its first state. */
  start(): LState {
    return this.follow(this.protocol["~graph"].locals.get(this.role)!.initial)
  }

  private follow(t: Transition): LState {
    for (const e of t.effect) {
      const c = this.counters.get(e.loop)
      this.counters.set(e.loop, e.op === "set" ? e.n : e.op === "add" && c !== undefined ? c + e.n : undefined)
    }
    return t.target
  }

  private loopsAt(loops: ReadonlyArray<string>): Readonly<Record<string, number>> {
    if (loops.length === 0) return noLoops
    const out: Record<string, number> = {}
    for (const l of loops) {
      const c = this.counters.get(l)
      if (c !== undefined) out[l] = c
    }
    return out
  }

  send(state: SendState, payload: unknown): Effect.Effect<LState, TransportError | ImplementationError> {
    let wire = payload
    if (this.validate) {
      const encoded = Schema.encodeUnknownEither(this.protocol.messages[state.label])(payload)
      if (Either.isLeft(encoded)) {
        return Effect.fail(
          new ImplementationError({
            protocol: this.protocol.name,
            role: this.role,
            site: state.site,
            message: `${this.role} tried to send ${state.label} to ${state.peer} at site ${state.site} with a payload that does not match its schema: ${ParseResult.TreeFormatter.formatErrorSync(encoded.left)}`
          })
        )
      }
      wire = encoded.right
    }
    const seq = this.sendSeq.get(state.peer) ?? 0
    this.sendSeq.set(state.peer, seq + 1)
    const envelope: Envelope = {
      session: this.session,
      from: this.role,
      to: state.peer,
      label: state.label,
      site: state.site,
      loops: this.loopsAt(state.siteLoops),
      seq,
      payload: wire
    }
    const next = this.follow(state.next)
    return Effect.as(this.transport.send(envelope), next)
  }

  select(state: SelectState, branch: string): Either.Either<LState, ImplementationError> {
    const t = state.branches.get(branch)
    if (t === undefined) {
      return Either.left(
        new ImplementationError({
          protocol: this.protocol.name,
          role: this.role,
          site: state.site,
          message: `${this.role} chose branch '${branch}' of choice '${state.choice}' at site ${state.site}, which has only ${[...state.branches.keys()].map((b) => `'${b}'`).join(", ")}`
        })
      )
    }
    return Either.right(this.follow(t))
  }

  receive(state: RecvState): Effect.Effect<Received, ProtocolViolation | DecodeError | TransportError> {
    const buffered = this.pending.get(state.peer)
    if (buffered !== undefined && buffered.length > 0) return this.accept(state, buffered.shift()!)
    return Effect.flatMap(this.receiveAny, (envelope) => {
      if (envelope.from === state.peer) return this.accept(state, envelope)
      if (!this.roles.has(envelope.from) || envelope.from === this.role) {
        return Effect.fail(this.violation(state, envelope, `a message from one of ${[...this.roles].filter((r) => r !== this.role).join(", ")}`, `unknown sender ${envelope.from}`))
      }
      // A message from another peer that arrived early: keep it for when the role gets there.
      const list = this.pending.get(envelope.from) ?? []
      list.push(envelope)
      this.pending.set(envelope.from, list)
      return this.receive(state)
    })
  }

  /** Ends the role: nothing may be left unread. */
  close(_state: EndState): Effect.Effect<void, ProtocolViolation> {
    for (const [peer, list] of this.pending) {
      if (list.length > 0) {
        const e = list[0]
        return Effect.fail(
          new ProtocolViolation({
            protocol: this.protocol.name,
            role: this.role,
            peer,
            label: e.label,
            site: e.site,
            expected: "nothing more: the role has ended",
            message: `${this.role} ended with message ${e.label} from ${peer} (site ${e.site}) left unread`
          })
        )
      }
    }
    return Effect.void
  }

  private violation(state: RecvState, e: Envelope, expected: string, problem: string): ProtocolViolation {
    return new ProtocolViolation({
      protocol: this.protocol.name,
      role: this.role,
      peer: e.from,
      label: e.label,
      site: e.site,
      expected,
      message: `${this.role} expected ${expected} but received ${e.label} from ${e.from} (site ${e.site}, seq ${e.seq}): ${problem}; waiting on ${[...state.options.keys()].join(" | ")} from ${state.peer}`
    })
  }

  private accept(state: RecvState, e: Envelope): Effect.Effect<Received, ProtocolViolation | DecodeError> {
    const fail = (expected: string, problem: string) => Effect.fail(this.violation(state, e, expected, problem))
    if (e.session !== this.session) return fail(`a message of session ${this.session}`, `wrong session ${e.session}`)
    if (e.to !== this.role) return fail(`a message addressed to ${this.role}`, `addressed to ${e.to}`)
    const seq = this.recvSeq.get(state.peer) ?? 0
    if (e.seq !== seq) return fail(`message number ${seq} from ${state.peer}`, `wrong sequence number ${e.seq}`)
    const option: RecvOption | undefined = state.options.get(e.label)
    if (option === undefined) {
      return fail(`${[...state.options.keys()].join(" or ")} from ${state.peer}`, `unexpected label ${e.label}`)
    }
    if (!option.sites.has(e.site) && !e.site.split("|").some((s) => option.sites.has(s))) {
      return fail(`${e.label} at site ${[...option.sites].join(" or ")}`, `wrong site ${e.site}`)
    }
    for (const loop in e.loops) {
      const mine = this.counters.get(loop)
      if (mine !== undefined && mine !== e.loops[loop]) {
        return fail(`iteration ${mine} of loop '${loop}'`, `iteration ${e.loops[loop]}`)
      }
    }
    let payload = e.payload
    if (this.validate) {
      const decoded = Schema.decodeUnknownEither(this.protocol.messages[e.label])(payload)
      if (Either.isLeft(decoded)) {
        const issue = ParseResult.TreeFormatter.formatErrorSync(decoded.left)
        return Effect.fail(
          new DecodeError({
            protocol: this.protocol.name,
            role: this.role,
            peer: e.from,
            label: e.label,
            site: e.site,
            issue,
            message: `${this.role} could not decode ${e.label} from ${e.from} (site ${e.site}): ${issue}`
          })
        )
      }
      payload = decoded.right
    }
    this.recvSeq.set(state.peer, seq + 1)
    return Effect.succeed({ label: e.label, payload, next: this.follow(option.next) })
  }
}
