/**
 * RobustRequest, from the seed guide's "Error Handling and Resilience".
 *
 *   Client -> Server : Request { data }
 *   timeout 'response' at Client (30 s) {
 *     Server -> Client : Response { result }
 *   } or {
 *     Client: HandleTimeout            (the Client's onTimeout handler; nobody else acts)
 *   }
 *
 * The Client races its part of the body (waiting for the Response) against Effect's Clock.
 * In time, both go on. Out of time, the Client tells the Server (a control frame): a Server
 * still in the body leaves it, a Response sent late is dropped and recorded, never delivered.
 */
import { Duration, Effect, Exit, Schema } from "effect"
import { Protocol, Role, Session } from "../src/index.js"
import { simulate } from "../src/testing/index.js"

export const RobustRequest = Protocol.make("RobustRequest", {
  roles: ["Client", "Server"],
  messages: {
    Request: Schema.Struct({ data: Schema.String }),
    Response: Schema.Struct({ result: Schema.String })
  }
}, (g) =>
  g
    .msg("Client", "Server", "Request")
    .timeout("Client", "response", "30 seconds", (b) => b.msg("Server", "Client", "Response"), (f) => f))

/** What the Client ends with: the result, or that it handled the timeout. */
export interface ClientState {
  readonly data: string
  readonly result: string | undefined
  readonly timedOut: boolean
}

/** `string | undefined` in the state, `string | null` in its JSON (which has no `undefined`). */
const StringOrUndefined = Schema.transform(Schema.NullOr(Schema.String), Schema.UndefinedOr(Schema.String), {
  strict: true,
  decode: (s) => s ?? undefined,
  encode: (s) => s ?? null
})

/** The roles' states as Schemas: with them the roles can run durably (`Role.resume`). */
const ClientStateSchema = Schema.Struct({ data: Schema.String, result: StringOrUndefined, timedOut: Schema.Boolean })

export const client = (data: string) =>
  Role.implement(RobustRequest, "Client", {
    send: { Request: (s) => ({ data: s.data }) },
    recv: { Response: (s, r) => ({ ...s, result: r.result }) },
    onTimeout: { response: (s) => ({ ...s, timedOut: true }) }
  }, { data, result: undefined, timedOut: false } as ClientState, { state: ClientStateSchema })

/** A Server that takes `work` to answer (an Effect, so that the clock decides: `Effect.never` never answers). */
export const server = (work: Effect.Effect<void>) =>
  Role.implement(RobustRequest, "Server", {
    recv: { Request: (_, r) => r.data },
    send: { Response: (s) => Effect.as(work, { result: s.toUpperCase() }) }
  }, "", { state: Schema.String })

/** One request; `work` is how long the Server takes. */
export const main = (work: Effect.Effect<void> = Effect.void) =>
  Session.run(RobustRequest, { Client: client("hello"), Server: server(work) })

/**
 * The three cases on the simulator (virtual time, so 30 s pass at once): the Server answers in
 * 10 s, in 29 s with every frame taking 2 s on the way (its Response comes after the Client's
 * 30 s), and never. Returns what the Client ended with, when, and what the trace dropped.
 */
export const cases = Effect.gen(function*() {
  const run = (work: Effect.Effect<void>, delay: number) =>
    Effect.map(
      simulate(RobustRequest, { Client: client("hello"), Server: server(work) }, {
        seed: 1,
        chaos: delay === 0 ? undefined : { delay: { min: Duration.millis(delay), max: Duration.millis(delay) } }
      }),
      (sim) => ({
        client: Exit.isSuccess(sim.exit) ? sim.exit.value.Client : undefined,
        time: sim.time,
        dropped: sim.trace.filter((e) => e._tag === "Drop").map((e) => `${e.role} -> ${e.peer}: ${e.label} (${e.reason})`)
      })
    )
  return {
    inTime: yield* run(Effect.sleep("10 seconds"), 0),
    late: yield* run(Effect.sleep("29 seconds"), 2000),
    never: yield* run(Effect.never, 0)
  }
})

if (import.meta.url === `file://${process.argv[1]}`) {
  Effect.runPromise(cases).then((r) => console.log(JSON.stringify(r, null, 2)))
}
