/**
 * Declared local types (`Role.local`, `Role.program(P, role, { local }, body)`): the value's
 * type is the local type its constructors say, with payloads from the catalogue; the
 * endpoints follow the declared order, and a misuse of it is a compile error.
 */
import { Effect } from "effect"
import { expectTypeOf } from "vitest"
import { type End, type Recv, Role, type Send } from "../src/index.js"
import { sourceAheadType, Streaming } from "../examples/optimised.js"
import { Ring } from "../tests/check/optimised.js"

const { send, recv, rec, rounds, var: v, end } = Role.local(Ring)

// The type of a value is the local type it builds; payloads come from the catalogue by label.
const sendThenRecv = send("C", "Value", recv("A", "Value"))
expectTypeOf(sendThenRecv).toEqualTypeOf<Send<"C", "Value", number, Recv<"A", "Value", number, End>>>()

// Roles and labels are the protocol's.
// expect-error: Argument of type '"D"' is not assignable to parameter of type '"A" | "B" | "C"'
send("D", "Value")
// expect-error: Argument of type '"Ping"' is not assignable to parameter of type '"Value"'
recv("A", "Ping")

const sendFirst = rec("laps", rounds("laps", send("C", "Value", recv("A", "Value", v("laps"))), end))

// Following the declared order (B sends before it receives) compiles.
Role.program(Ring, "B", { local: sendFirst }, (ch) =>
  Effect.gen(function*() {
    let ep = ch
    let carry = 0
    for (;;) {
      const r = yield* ep.round()
      if (r.label === "done") return yield* r.next.close(carry)
      const c1 = yield* r.next.send("C", "Value", carry)
      const [x, c2] = yield* c1.recv("A", "Value")
      expectTypeOf(x).toEqualTypeOf<number>()
      carry = x
      ep = c2
    }
  }))

// The projection's order (receive first) is a misuse of the declared type.
Role.program(Ring, "B", { local: sendFirst }, (ch) =>
  Effect.gen(function*() {
    const r = yield* ch.round()
    if (r.label === "done") return yield* r.next.close()
    // expect-only-error: the protocol expects send Value to C here
    yield* r.next.recv("A", "Value")
    return yield* Effect.die("unreachable")
  }))

// And the declared order is a misuse of the projection, as before.
Role.program(Ring, "B", (ch) =>
  Effect.gen(function*() {
    const r = yield* ch.round()
    if (r.label === "done") return yield* r.next.close()
    // expect-only-error: the protocol expects recv Value from A here
    yield* r.next.send("C", "Value", 1)
    return yield* Effect.die("unreachable")
  }))

// The streaming Source of examples/optimised.ts: 5 values before the first Ready.
Role.program(Streaming, "Source", { local: sourceAheadType, bound: 5 }, (ch) =>
  Effect.gen(function*() {
    const c1 = yield* (yield* ch.select("more")).send("Sink", "Value", 0)
    // expect-only-error: the protocol expects select one of more here
    yield* c1.recv("Sink", "Ready")
    // expect-error: Argument of type '"stop"' is not assignable to parameter of type '"more"'
    yield* c1.select("stop")
    return yield* Effect.die("unreachable")
  }))
