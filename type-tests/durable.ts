// Durable roles: only implementations whose state can be kept are resumable, and a state
// Schema must encode the state to JSON.
import { Effect, Schema } from "effect"
import { expectTypeOf } from "vitest"
import { Protocol, Role } from "../src/index.js"

const P = Protocol.make("Durable", { roles: ["A", "B"], messages: { Ping: Schema.Number } }, (g) => g.msg("A", "B", "Ping"))

const handlersA = { send: { Ping: (n: number) => n } }

// With a state Schema: resumable; its result is the state.
const a = Role.implement(P, "A", handlersA, 1, { state: Schema.Number })
expectTypeOf(Role.resume(P, "A", a, { sessionId: "s" })).toMatchTypeOf<Effect.Effect<number, unknown, unknown>>()

// A program is resumable (replayed from its journal).
const b = Role.program(P, "B", (ch) => Effect.flatMap(ch.recv("A", "Ping"), ([n, end]) => end.close(n)))
expectTypeOf(Role.resume(P, "B", b, { sessionId: "s" })).toMatchTypeOf<Effect.Effect<number, unknown, unknown>>()

// Without one: not resumable.
const plain = Role.implement(P, "A", handlersA, 1)
// expect-error: Types of property 'durable' are incompatible
Role.resume(P, "A", plain, { sessionId: "s" })

// A Schema whose encoded side is no JSON (a Date kept as a Date) is refused.
const dated = { send: { Ping: (s: { readonly at: Date }) => s.at.getTime() } }
// expect-error: is not assignable to type 'Json'
Role.implement(P, "A", dated, { at: new Date(0) }, { state: Schema.Struct({ at: Schema.DateFromSelf }) })

// A Schema of another state is refused.
// expect-error: is not assignable to type 'number'
Role.implement(P, "A", handlersA, 1, { state: Schema.String })

// One that encodes a Date to a string is fine.
Role.implement(P, "A", dated, { at: new Date(0) }, { state: Schema.Struct({ at: Schema.Date }) })
