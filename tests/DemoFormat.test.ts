/**
 * What `npm run demo` prints for a run (examples/demo-format.ts): each role's local type
 * indented, what it did in the order IT did it (its own trace events, not the frames in wire
 * order), and its result with key material replaced by fingerprints.
 */
import { it } from "@effect/vitest"
import { Effect } from "effect"
import { describe, expect } from "vitest"
import { TraceSink } from "../src/index.js"
import { describeRun, fingerprint, redact, roleActions, wrap } from "../examples/demo-format.js"
import { runs } from "../examples/runs.js"

const run = (name: string) => {
  const r = runs.find((x) => x.name === name)
  if (r === undefined) throw new Error(`no run ${name}`)
  return r
}

/** Runs one example with a recorder: its lines as the demo prints them, its results and trace. */
const demo = (name: string) =>
  Effect.map(TraceSink.recording(run(name).run), ([result, events]) => {
    const results = result as Readonly<Record<string, unknown>>
    const r = run(name)
    return { lines: describeRun(r.protocol, results, events, { secrets: r.secrets }), results, events }
  })

/** The "did" items of `role` in the printed lines, in order. */
const did = (lines: ReadonlyArray<string>, role: string) => {
  const start = lines.indexOf(`  ${role}`)
  const from = lines.findIndex((l, i) => i > start && l.startsWith("    did:"))
  const to = lines.findIndex((l, i) => i > from && l.startsWith("    result:"))
  return lines.slice(from, to).map((l) => l.slice(16)).join(" ").split(", ")
}

describe("the demo's formatting", () => {
  it.effect("TwoPhaseCommit: each role's actions in its own order, its local type one step a line", () =>
    Effect.gen(function*() {
      const { lines } = yield* demo("TwoPhaseCommit (commit)")
      expect(did(lines, "Coordinator")).toEqual([
        "sent PrepareRequest to Participant",
        "received PrepareResponse from Participant",
        "chose commit of outcome",
        "sent CommitRequest to Participant",
        "received CommitAck from Participant"
      ])
      expect(did(lines, "Participant")).toEqual([
        "received PrepareRequest from Coordinator",
        "sent PrepareResponse to Coordinator",
        "received CommitRequest from Coordinator",
        "sent CommitAck to Coordinator"
      ])
      const participant = lines.slice(lines.indexOf("  Participant"))
      expect(participant.slice(0, 6)).toEqual([
        "  Participant",
        "    local type: Recv(Coordinator, PrepareRequest)",
        "                Send(Coordinator, PrepareResponse)",
        "                Offer(Coordinator)",
        "                  CommitRequest: Send(Coordinator, CommitAck).End",
        "                  AbortRequest: Send(Coordinator, AbortAck).End"
      ])
      expect(participant.at(-1)).toBe("    result:     {\"transactionId\":12345,\"applied\":\"committed\"}")
      // Nothing in a TwoPhaseCommit result is key material: printed as it is.
      expect(lines.join("\n")).not.toContain("<key")
    }))

  it.effect("Deal: the Buyer took DeliveryDate before Receipt, as its local type asks (whatever order they were sent in)", () =>
    Effect.gen(function*() {
      const { lines, events } = yield* demo("Deal (sale)")
      const buyer = did(lines, "Buyer")
      expect(buyer).toEqual([
        "sent RequestQuote to Seller",
        "received Quote from Seller",
        "chose accept of deal",
        "sent Accept to Seller",
        "received DeliveryDate from Shipper",
        "received Receipt from Seller"
      ])
      expect(roleActions(events, "Buyer")).toEqual(buyer)
      expect(did(lines, "Shipper")).toEqual(["received ShipOrder from Seller", "sent DeliveryDate to Buyer"])
    }))

  it.effect("SecureDataTransfer: no key's bytes are printed, only fingerprints (the same at both ends)", () =>
    Effect.gen(function*() {
      const { lines, results } = yield* demo("SecureDataTransfer (accepted)")
      const alice = results.Alice as { readonly privateKey: string; readonly publicKey: string; readonly key: string }
      const bob = results.Bob as { readonly key: string }
      const text = lines.join("\n")
      for (const secret of [alice.privateKey, alice.publicKey, alice.key, bob.key]) {
        expect(secret.length).toBeGreaterThan(16)
        // Not the key, nor any 12 characters of it (base64 or hex), nor its bytes in another encoding.
        for (let i = 0; i + 12 <= secret.length; i++) expect(text).not.toContain(secret.slice(i, i + 12))
        const bytes = Buffer.from(secret, /^[0-9a-f]+$/.test(secret) ? "hex" : "base64")
        for (const encoding of ["hex", "base64"] as const) expect(text).not.toContain(bytes.toString(encoding).slice(0, 12))
      }
      expect(alice.key).toBe(bob.key)
      expect(text).toContain(`"privateKey":"${fingerprint(alice.privateKey)}"`)
      expect(text.split(`"key":"${fingerprint(alice.key)}"`)).toHaveLength(3)
      expect(fingerprint(alice.key)).toMatch(/^<key [0-9a-f]{8}>$/)
    }))

  it.effect("SecureDataTransfer rejected: the empty key fields stay empty", () =>
    Effect.gen(function*() {
      const { lines } = yield* demo("SecureDataTransfer (rejected)")
      expect(lines.join("\n")).toContain("\"privateKey\":\"\",\"publicKey\":\"\",\"key\":\"\"")
      expect(did(lines, "Alice")).toEqual(["sent AuthRequest to Bob", "received Challenge from Bob", "sent Proof to Bob", "received AuthReject from Bob"])
    }))

  it("redact replaces the named string fields at any depth, and nothing else", () => {
    const value = { key: "secret", log: [{ key: "secret", n: 1 }], other: "secret", nested: { key: 3 } }
    expect(redact(value, ["key"])).toEqual({
      key: fingerprint("secret"),
      log: [{ key: fingerprint("secret"), n: 1 }],
      other: "secret",
      nested: { key: 3 }
    })
    expect(redact(value, [])).toBe(value)
  })

  it("describes every role event and none of the network's; wraps at the width", () => {
    const base = { session: "s", site: "0", time: 0 } as const
    expect(roleActions([
      { ...base, _tag: "Send", role: "A", peer: "B", label: "Ping", time: 1 },
      { ...base, _tag: "Drop", role: "A", peer: "B", label: "Ping", reason: "chaos", time: 2 },
      { ...base, _tag: "Round", role: "A", label: "rounds", branch: "done", time: 4 },
      { ...base, _tag: "Choice", role: "A", label: "c", branch: "l", time: 3 },
      { ...base, _tag: "Failed", role: "A", peer: "B", reason: "Boom", time: 5 },
      { ...base, _tag: "PeerFailed", role: "A", peer: "C", time: 6 },
      { ...base, _tag: "Receive", role: "B", peer: "A", label: "Ping", time: 7 }
    ], "A")).toEqual([
      "sent Ping to B",
      "chose l of c",
      "repeat rounds: done",
      "failed (Boom), told B",
      "learned that C failed"
    ])
    expect(wrap(["aaaa", "bbbb", "cccc"], 11)).toEqual(["aaaa, bbbb,", "cccc"])
    expect(wrap([], 10)).toEqual([])
  })
})
