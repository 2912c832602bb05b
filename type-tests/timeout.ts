/**
 * `timeout` at compile time: the exact local types of every role (in a loop, after a choice,
 * in a composition, for a role only in the fallback and one not in the timeout at all), the
 * typed endpoint `timeout(body, fallback)` and its union result, its misuse, and the
 * `onTimeout` handlers of `Role.implement`. Expected-error texts avoid the members of unions,
 * whose order differs between TypeScript 5.9 and 7.0.
 */
import { Effect, Schema } from "effect"
import { expectTypeOf } from "vitest"
import type { Branch, End, Endpoint, Local, LocalTimeout, Offer, Rec, Recv, Select, Send, Var } from "../src/index.js"
import { Protocol, Role } from "../src/index.js"
import type { Shape } from "./shape.js"

// ---------------------------------------------------------------------------------------------
// RobustRequest (the seed's): the Client waits 30 s for the Response; nothing to do on expiry

const RobustRequest = Protocol.make("RobustRequest", {
  roles: ["Client", "Server"],
  messages: { Request: Schema.Struct({ data: Schema.String }), Response: Schema.Struct({ result: Schema.String }) }
}, (g) =>
  g
    .msg("Client", "Server", "Request")
    .timeout("Client", "response", "30 seconds", (b) => b.msg("Server", "Client", "Response"), (f) => f))

type Request = { readonly data: string }
type Response = { readonly result: string }

expectTypeOf<Local<typeof RobustRequest, "Client">>().toEqualTypeOf<
  Send<"Server", "Request", Request, LocalTimeout<"response", "Client", Recv<"Server", "Response", Response, End>, End, End>>
>()
expectTypeOf<Local<typeof RobustRequest, "Server">>().toEqualTypeOf<
  Recv<"Client", "Request", Request, LocalTimeout<"response", "Client", Send<"Client", "Response", Response, End>, End, End>>
>()
// The shape the agreement test compares with the run-time projection.
expectTypeOf<Shape<Local<typeof RobustRequest, "Client">>>().toEqualTypeOf<
  ["Send", "Server", "Request", ["Timeout", "response", "Client", ["Recv", "Server", "Response", "End"], "End", "End"]]
>()

// ---------------------------------------------------------------------------------------------
// Polling: a timeout in a loop, with a fallback that has messages; Log is only in the fallback

const Polling = Protocol.make("Polling", {
  roles: ["Client", "Server", "Log"],
  messages: {
    Poll: Schema.Struct({ n: Schema.Number }),
    Status: Schema.Struct({ ready: Schema.Boolean }),
    Cancel: Schema.Struct({}),
    Note: Schema.String,
    More: Schema.Struct({}),
    Stop: Schema.Struct({})
  }
}, (g) =>
  g.loop("poll", (l) =>
    l
      .msg("Client", "Server", "Poll")
      .timeout(
        "Client",
        "status",
        "5 seconds",
        (b) => b.msg("Server", "Client", "Status"),
        (f) => f.msg("Client", "Server", "Cancel").msg("Client", "Log", "Note")
      )
      .choice("Client", "again", {
        more: (b) => b.msg("Client", "Server", "More").msg("Client", "Log", "More").recur("poll"),
        stop: (b) => b.msg("Client", "Server", "Stop").msg("Client", "Log", "Stop")
      })))

type Poll = { readonly n: number }
type Status = { readonly ready: boolean }

expectTypeOf<Local<typeof Polling, "Client">>().toEqualTypeOf<
  Rec<"poll",
    Send<"Server", "Poll", Poll,
      LocalTimeout<"status", "Client",
        Recv<"Server", "Status", Status, End>,
        Send<"Server", "Cancel", {}, Send<"Log", "Note", string, End>>,
        Select<{
          readonly more: Send<"Server", "More", {}, Send<"Log", "More", {}, Var<"poll">>>
          readonly stop: Send<"Server", "Stop", {}, Send<"Log", "Stop", {}, End>>
        }>>>>
>()

expectTypeOf<Local<typeof Polling, "Server">>().toEqualTypeOf<
  Rec<"poll",
    Recv<"Client", "Poll", Poll,
      LocalTimeout<"status", "Client",
        Send<"Client", "Status", Status, End>,
        Recv<"Client", "Cancel", {}, End>,
        Offer<"Client", { readonly More: Branch<{}, Var<"poll">>; readonly Stop: Branch<{}, End> }>>>>
>()

// Log has no part in the body: its body is End; it is in the timeout all the same (its fallback).
expectTypeOf<Local<typeof Polling, "Log">>().toEqualTypeOf<
  Rec<"poll",
    LocalTimeout<"status", "Client",
      End,
      Recv<"Client", "Note", string, End>,
      Offer<"Client", { readonly More: Branch<{}, Var<"poll">>; readonly Stop: Branch<{}, End> }>>>
>()

// ---------------------------------------------------------------------------------------------
// Escalation: a timeout in one branch of a choice, and C, who is not in it, skips it

const Escalation = Protocol.make("Escalation", {
  roles: ["A", "B", "C"],
  messages: { Ask: Schema.String, Answer: Schema.Number, Withdraw: Schema.Struct({}), Report: Schema.Number, Skip: Schema.Struct({}) }
}, (g) =>
  g.choice("A", "ask", {
    yes: (b) =>
      b
        .msg("A", "B", "Ask")
        .timeout("A", "answer", 1000, (t) => t.msg("B", "A", "Answer"), (f) => f.msg("A", "B", "Withdraw"))
        .msg("A", "C", "Report"),
    no: (b) => b.msg("A", "B", "Skip").msg("A", "C", "Skip")
  }))

expectTypeOf<Local<typeof Escalation, "A">>().toEqualTypeOf<
  Select<{
    readonly yes: Send<"B", "Ask", string,
      LocalTimeout<"answer", "A", Recv<"B", "Answer", number, End>, Send<"B", "Withdraw", {}, End>, Send<"C", "Report", number, End>>>
    readonly no: Send<"B", "Skip", {}, Send<"C", "Skip", {}, End>>
  }>
>()
expectTypeOf<Local<typeof Escalation, "B">>().toEqualTypeOf<
  Offer<"A", {
    readonly Ask: Branch<string, LocalTimeout<"answer", "A", Send<"A", "Answer", number, End>, Recv<"A", "Withdraw", {}, End>, End>>
    readonly Skip: Branch<{}, End>
  }>
>()
expectTypeOf<Local<typeof Escalation, "C">>().toEqualTypeOf<
  Offer<"A", { readonly Report: Branch<number, End>; readonly Skip: Branch<{}, End> }>
>()

// ---------------------------------------------------------------------------------------------
// A composed timeout: its deciding role and its sequences are renamed

const Outer = Protocol.make("Outer", { roles: ["P", "Q"], messages: {} }, (g) =>
  g.compose(RobustRequest, { Client: "P", Server: "Q" }))

expectTypeOf<Local<typeof Outer, "P">>().toEqualTypeOf<
  Send<"Q", "Request", Request, LocalTimeout<"response", "P", Recv<"Q", "Response", Response, End>, End, End>>
>()
expectTypeOf<Local<typeof Outer, "Q">>().toEqualTypeOf<
  Recv<"P", "Request", Request, LocalTimeout<"response", "P", Send<"P", "Response", Response, End>, End, End>>
>()

// ---------------------------------------------------------------------------------------------
// Ill-formed timeouts rejected at the builder call

const messages = { M: Schema.Number }

// The deciding role must take part in the body: it races its part of it against the clock.
Protocol.make("NotRaced", { roles: ["A", "B", "C"], messages }, (g) =>
  g
    .timeout("A", "t", "1 second", (b) => b.msg("B", "C", "M"), (f) => f.msg("A", "B", "M"))
    // expect-error: Property 'msg' does not exist on type 'BuilderError<"A decides timeout 't' but takes no part in its body
    .msg("A", "B", "M"))
Protocol.make("NotRaced", { roles: ["A", "B", "C"], messages }, (g) =>
  // expect-error: A decides timeout 't' but takes no part in its body, so there is nothing for it to race against the clock
  g.timeout("A", "t", "1 second", (b) => b.msg("B", "C", "M"), (f) => f))

// The body and the fallback cannot go round an enclosing loop: one error, at the recur (not a
// second one at the name from the projection of what the rejected call left behind).
Protocol.make("RecurOut", { roles: ["A", "B"], messages }, (g) =>
  g.loop("l", (l) =>
    l.msg("A", "B", "M").timeout(
      "A",
      "t",
      "1 second",
      // expect-error: Argument of type '"l"' is not assignable to parameter of type '"recur('l') is not inside loop 'l'
      (b) => b.msg("B", "A", "M").recur("l"),
      (f) => f
    )))

// Only declared roles decide a timeout.
// expect-error: Argument of type '"Z"' is not assignable to parameter of type '"A" | "B"'
Protocol.make("Undeclared", { roles: ["A", "B"], messages }, (g) => g.timeout("Z", "t", "1 second", (b) => b, (f) => f))

// ---------------------------------------------------------------------------------------------
// Endpoints used as intended

// The Client by hand: timeout(body, fallback) gives which one ran to the end, with what its
// function closed with, and the endpoint of what follows.
const client = Role.program(RobustRequest, "Client", (ch) =>
  Effect.gen(function*() {
    const c1 = yield* ch.send("Server", "Request", { data: "x" })
    const outcome = yield* c1.timeout(
      (b) => Effect.flatMap(b.recv("Server", "Response"), ([r, end]) => end.close(r.result)),
      (f) => f.close(404)
    )
    expectTypeOf(outcome.label).toEqualTypeOf<"intime" | "timeout">()
    if (outcome.label === "intime") {
      expectTypeOf(outcome.result).toEqualTypeOf<string>()
      return yield* outcome.next.close(outcome.result)
    }
    expectTypeOf(outcome.result).toEqualTypeOf<404>()
    return yield* outcome.next.close("timed out")
  }))
expectTypeOf<Role.Success<typeof client>>().toEqualTypeOf<string>()

// The Server's body function, written apart against the endpoint type of its part.
const answer = (b: Endpoint<Send<"Client", "Response", Response, End>>) =>
  Effect.flatMap(b.send("Client", "Response", { result: "ok" }), (end) => end.close(true))
Role.program(RobustRequest, "Server", (ch) =>
  Effect.gen(function*() {
    const [, c1] = yield* ch.recv("Client", "Request")
    const { next, result } = yield* c1.timeout(answer, (f) => f.close(false))
    expectTypeOf(result).toEqualTypeOf<boolean>()
    return yield* next.close()
  }))

// In a loop: the fallback sends, and the loop goes on after the timeout either way.
Role.program(Polling, "Client", (ch) =>
  Effect.gen(function*() {
    let at = ch
    for (let n = 0;; n++) {
      const c1 = yield* at.send("Server", "Poll", { n })
      const { label, next } = yield* c1.timeout(
        (b) => Effect.flatMap(b.recv("Server", "Status"), ([s, end]) => end.close(s.ready)),
        (f) =>
          Effect.gen(function*() {
            const f1 = yield* f.send("Server", "Cancel", {})
            const end = yield* f1.send("Log", "Note", "cancelled")
            return yield* end.close()
          })
      )
      if (label === "intime" || n > 3) {
        const s1 = yield* (yield* next.select("stop")).send("Server", "Stop", {})
        return yield* (yield* s1.send("Log", "Stop", {})).close(n)
      }
      const m1 = yield* (yield* next.select("more")).send("Server", "More", {})
      at = yield* m1.send("Log", "More", {})
    }
  }))

// A role with no part in the body closes it at once; its fallback receives.
Role.program(Polling, "Log", (ch) =>
  Effect.gen(function*() {
    let at = ch
    let notes = 0
    for (;;) {
      const { result, next } = yield* at.timeout(
        (b) => b.close(),
        (f) => Effect.flatMap(f.recv("Client", "Note"), ([note, end]) => end.close(note))
      )
      expectTypeOf(result).toEqualTypeOf<void | string>()
      if (result !== undefined) notes++
      const o = yield* next.offer()
      if (o.label === "Stop") return yield* o.next.close(notes)
      at = o.next
    }
  }))

// ---------------------------------------------------------------------------------------------
// Misuse of timeout endpoints

Role.program(RobustRequest, "Client", (ch) =>
  Effect.gen(function*() {
    // A timeout before the request has gone out.
    // expect-error: the protocol expects send Request to Server here
    yield* ch.timeout((b) => b.close(), (f) => f.close())
    const c1 = yield* ch.send("Server", "Request", { data: "x" })
    // Receiving the response on the endpoint of the timeout, instead of in its body.
    // expect-error: the protocol expects timeout() 'response' here
    yield* c1.recv("Server", "Response")
    // A second request where the timeout comes.
    // expect-error: the protocol expects timeout() 'response' here
    yield* c1.send("Server", "Request", { data: "y" })
    // Closing before the timeout.
    // expect-error: the protocol expects timeout() 'response' here
    yield* c1.close()
    yield* c1.timeout(
      // A body function that returns without close(): the sentence says what to do.
      // expect-error: the program must end with close() on its last endpoint: return yield* end.close(result), not the result itself
      (b) => Effect.map(b.recv("Server", "Response"), ([r]) => r.result),
      (f) => f.close()
    )
    yield* c1.timeout(
      (b) =>
        Effect.gen(function*() {
          const [, end] = yield* b.recv("Server", "Response")
          // The body ends with the response: what follows the timeout is not in it.
          // expect-error: the protocol expects close() here
          yield* end.recv("Server", "Response")
          return yield* end.close()
        }),
      (f) => f.close()
    )
    yield* c1.timeout(
      (b) => Effect.flatMap(b.recv("Server", "Response"), ([, end]) => end.close()),
      // Nothing to do in this fallback: sending in it does not compile.
      // expect-error: the protocol expects close() here
      (f) => f.send("Server", "Request", { data: "z" })
    )
    // One function where the timeout takes two.
    // expect-error: Expected 2 arguments, but got 1
    yield* c1.timeout((b) => Effect.flatMap(b.recv("Server", "Response"), ([, end]) => end.close()))
    yield* c1.timeout(
      // The body's peer is the Server.
      // expect-error: Argument of type '"Client"' is not assignable to parameter of type '"Server"'
      (b) => Effect.flatMap(b.recv("Client", "Response"), ([, end]) => end.close()),
      (f) => f.close()
    )
    return yield* Effect.die("unreachable")
  }))

Role.program(Polling, "Client", (ch) =>
  Effect.gen(function*() {
    const c1 = yield* ch.send("Server", "Poll", { n: 0 })
    const { next } = yield* c1.timeout(
      (b) => Effect.flatMap(b.recv("Server", "Status"), ([, end]) => end.close()),
      // The fallback's Cancel comes before the Note.
      // expect-error: Argument of type '"Log"' is not assignable to parameter of type '"Server"'
      (f) => Effect.flatMap(f.send("Log", "Note", "x"), (end) => end.close())
    )
    // Another timeout right after: the choice comes next.
    // expect-error: the protocol expects select one of
    yield* next.timeout((b) => b.close(), (f) => f.close())
    return yield* Effect.die("unreachable")
  }))

// ---------------------------------------------------------------------------------------------
// Handlers of generated roles

// The Client decides the timeout: its onTimeout handler gives the state to go on with.
const generated = Role.implement(RobustRequest, "Client", {
  send: { Request: (s) => ({ data: s.data }) },
  recv: { Response: (s, r) => ({ ...s, result: r.result }) },
  onTimeout: { response: (s) => Effect.succeed({ ...s, result: "none" }) }
}, { data: "x", result: "" })
expectTypeOf<Role.Success<typeof generated>>().toEqualTypeOf<{ data: string; result: string }>()

// The Server is in the timeout but does not decide it: onTimeout is optional, and allowed.
Role.implement(RobustRequest, "Server", { send: { Response: () => ({ result: "ok" }) } }, null)
Role.implement(RobustRequest, "Server", {
  send: { Response: () => ({ result: "ok" }) },
  onTimeout: { response: (s: null) => s }
}, null)

// A deciding role without onTimeout.
// expect-error: Property 'onTimeout' is missing
Role.implement(RobustRequest, "Client", { send: { Request: () => ({ data: "x" }) } }, null)

// An onTimeout without the deciding role's timeout.
Role.implement(RobustRequest, "Client", {
  send: { Request: () => ({ data: "x" }) },
  // expect-error: Property 'response' is missing
  onTimeout: {}
}, null)

// An onTimeout handler whose state does not match.
Role.implement(RobustRequest, "Client", {
  send: { Request: () => ({ data: "x" }) },
  // expect-error: Type 'string' is not assignable to type 'Answer<number>'
  onTimeout: { response: () => "late" }
}, 0)

// C of Escalation is in no timeout: an onTimeout entry for one is an error.
Role.implement(Escalation, "C", {
  // expect-error: answer is not a timeout C takes part in
  onTimeout: { answer: (s: null) => s }
}, null)

// An onTimeout entry for a timeout that does not exist, next to the right one.
Role.implement(Escalation, "A", {
  send: { Ask: () => "?", Withdraw: () => ({}), Report: () => 1, Skip: () => ({}) },
  choose: { ask: () => "yes" },
  onTimeout: {
    answer: (s: null) => s,
    // expect-error: question is not a timeout A takes part in
    question: (s: null) => s
  }
}, null)

// The fallback's sends need handlers like any other: the Client of Polling must say how it
// sends Cancel and Note.
Role.implement(Polling, "Client", {
  // expect-error: Property 'Cancel' is missing
  send: { Poll: () => ({ n: 0 }), More: () => ({}), Stop: () => ({}), Note: () => "n" },
  choose: { again: () => "stop" },
  onTimeout: { status: (s: null) => s }
}, null)

// A complete Client of Polling; Log's receive in the fallback may have a handler.
Role.implement(Polling, "Client", {
  send: { Poll: () => ({ n: 0 }), Cancel: () => ({}), Note: () => "n", More: () => ({}), Stop: () => ({}) },
  recv: { Status: (s, st) => (st.ready ? s + 1 : s) },
  choose: { again: (s) => (s > 0 ? "stop" : "more") },
  onTimeout: { status: (s) => s - 1 }
}, 0)
Role.implement(Polling, "Log", {
  recv: { Note: (s, note) => [...s, note] },
  onTimeout: { status: (s) => s }
}, [] as ReadonlyArray<string>)
