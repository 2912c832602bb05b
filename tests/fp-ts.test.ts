/**
 * quadrille/fp-ts: sessions and single roles as TaskEithers (Right of the results, Left of the
 * tagged error), Protocol.makeEither as an fp-ts Either.
 */
import { Schema } from "effect"
import * as E from "fp-ts/lib/Either.js"
import { pipe } from "fp-ts/lib/function.js"
import * as TE from "fp-ts/lib/TaskEither.js"
import { describe, expect, it } from "vitest"
import { Memory, Protocol, Role, Session } from "../src/fp-ts/index.js"
import { main } from "../examples/fp-ts.js"
import { buyer, Quote, seller } from "./fixtures/quote.js"

describe("quadrille/fp-ts", () => {
  it("Session.runTask is Right of every role's result; each call is a new session", async () => {
    const task = Session.runTask(Quote, { Buyer: buyer(10), Seller: seller(8) })
    expect(await task()).toEqual(E.right({ Buyer: { price: 8 }, Seller: "sold" }))
    expect(await task()).toEqual(E.right({ Buyer: { price: 8 }, Seller: "sold" }))
    const sold = await pipe(task, TE.map((r) => r.Seller))()
    expect(sold).toEqual(E.right("sold"))
  })

  it("Role.runTask runs each role on its own, over one shared transport", async () => {
    const transport = Memory.unsafeMake()
    const [b, s] = await Promise.all([
      Role.runTask(Quote, "Buyer", buyer(10), { sessionId: "q-1", transport })(),
      Role.runTask(Quote, "Seller", seller(8), { sessionId: "q-1", transport })()
    ])
    expect(b).toEqual(E.right({ price: 8 }))
    expect(s).toEqual(E.right("sold"))
  })

  it("a failed role is Left of its tagged error", async () => {
    const answer = await Role.runTask(Quote, "Seller", seller(8), {
      sessionId: "q-2",
      transport: Memory.layer,
      receiveTimeout: "50 millis"
    })()
    expect(E.isLeft(answer) && answer.left._tag).toBe("Timeout")
  })

  it("a handler that throws is no Left of the session's error type: the task's promise rejects with it", async () => {
    await expect(Session.runTask(Quote, { Buyer: buyer(10), Seller: seller(8, true) })()).rejects.toThrow(
      "the price list is unreadable"
    )
  })

  it("Protocol.makeEither is Right of a well-formed protocol, Left of the ProjectionError of an ill-formed one", () => {
    const messages = { Go: Schema.Struct({}), Stop: Schema.Struct({}), Note: Schema.Struct({}) }
    const good = Protocol.makeEither("Good", { roles: ["A", "B"], messages }, (g) =>
      g.choice("A", "c", { go: (b) => b.msg("A", "B", "Go"), stop: (b) => b.msg("A", "B", "Stop") }))
    expect(E.isRight(good) && good.right.name).toBe("Good")
    // C is told nothing, yet acts differently in the two branches.
    const bad = Protocol.makeEither("Bad", { roles: ["A", "B", "C"], messages }, (g) =>
      g.choice("A", "c", {
        go: (b) => b.msg("A", "B", "Go").msg("C", "B", "Note"),
        stop: (b) => b.msg("A", "B", "Stop")
      }))
    expect(E.isLeft(bad) && bad.left._tag).toBe("ProjectionError")
  })

  it("examples/fp-ts.ts runs", async () => {
    await main()
  })
})
