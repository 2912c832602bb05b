/**
 * quadrille/promise: sessions and single roles run as promises; a failed run rejects with the
 * tagged error itself (not a FiberFailure), a thrown handler with what it threw, an abort with
 * the signal's reason.
 */
import { describe, expect, it } from "vitest"
import { Memory, Role, Session, Timeout } from "../src/promise/index.js"
import { main } from "../examples/promise.js"
import { buyer, Quote, seller } from "./fixtures/quote.js"

describe("quadrille/promise", () => {
  it("Session.runPromise resolves with every role's result", async () => {
    const results = await Session.runPromise(Quote, { Buyer: buyer(10), Seller: seller(8) })
    expect(results).toEqual({ Buyer: { price: 8 }, Seller: "sold" })
    const again = await Session.runPromise(Quote, { Buyer: buyer(5), Seller: seller(8) })
    expect(again.Seller).toBe("not sold")
  })

  it("Role.runPromise runs each role on its own, over one shared transport", async () => {
    const transport = Memory.unsafeMake()
    const [b, s] = await Promise.all([
      Role.runPromise(Quote, "Buyer", buyer(10), { sessionId: "q-1", transport }),
      Role.runPromise(Quote, "Seller", seller(8), { sessionId: "q-1", transport })
    ])
    expect(b).toEqual({ price: 8 })
    expect(s).toBe("sold")
  })

  it("a role whose peer never comes rejects with the tagged Timeout itself (over a Layer)", async () => {
    const error = await Role.runPromise(Quote, "Seller", seller(8), {
      sessionId: "q-2",
      transport: Memory.layer,
      receiveTimeout: "50 millis"
    }).then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(Timeout)
    expect((error as Timeout)._tag).toBe("Timeout")
  })

  it("a handler that throws rejects the session's promise with what it threw", async () => {
    const error = await Session.runPromise(Quote, { Buyer: buyer(10), Seller: seller(8, true) }).then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toContain("the price list is unreadable")
  })

  it("an implementation missing from the session rejects with ImplementationError", async () => {
    const error = await Session.runPromise(Quote, { Buyer: buyer(10) } as never).then(() => undefined, (e: unknown) => e)
    expect((error as { _tag: string })._tag).toBe("ImplementationError")
  })

  it("aborting the signal interrupts the run and rejects with the signal's reason", async () => {
    const controller = new AbortController()
    const run = Role.runPromise(Quote, "Seller", seller(8), {
      sessionId: "q-3",
      transport: Memory.unsafeMake(),
      signal: controller.signal
    })
    setTimeout(() => controller.abort(new Error("the buyer left")), 20)
    await expect(run).rejects.toThrow("the buyer left")
  })

  it("examples/promise.ts runs", async () => {
    await main()
  })
})
