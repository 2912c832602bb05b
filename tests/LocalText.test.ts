/** Local types as indented text (src/viz/LocalText.ts), the demo's form of `Protocol.formatLocal`. */
import { describe, expect, it } from "vitest"
import { Protocol } from "../src/index.js"
import { formatLocalLines, formatLocalText } from "../src/viz/LocalText.js"
import * as Examples from "./fixtures/examples.js"

const text = (p: Protocol.Any, role: string) => formatLocalText(Protocol.project(p, role))

describe("formatLocalText", () => {
  it("writes a step a line; a choice's branches one level deeper, inline when they all fit", () => {
    expect(text(Examples.TwoPhaseCommit, "Participant")).toBe([
      "Recv(Coordinator, PrepareRequest)",
      "Send(Coordinator, PrepareResponse)",
      "Offer(Coordinator)",
      "  CommitRequest: Send(Coordinator, CommitAck).End",
      "  AbortRequest: Send(Coordinator, AbortAck).End"
    ].join("\n"))
    expect(text(Examples.TwoPhaseCommit, "Coordinator")).toBe([
      "Send(Participant, PrepareRequest)",
      "Recv(Participant, PrepareResponse)",
      "Select",
      "  commit:",
      "    Send(Participant, CommitRequest)",
      "    Recv(Participant, CommitAck)",
      "    End",
      "  abort:",
      "    Send(Participant, AbortRequest)",
      "    Recv(Participant, AbortAck)",
      "    End"
    ].join("\n"))
  })

  it("writes a loop's body one level deeper and going round it as the loop's name", () => {
    expect(text(Examples.DataStreaming, "Producer")).toBe([
      "Send(Consumer, StreamInit)",
      "Recv(Consumer, StreamAck)",
      "Rec chunks",
      "  Send(Consumer, DataChunk)",
      "  Recv(Consumer, ChunkAck)",
      "  Select",
      "    next: chunks",
      "    last: Send(Consumer, StreamEnd).Recv(Consumer, StreamComplete).End"
    ].join("\n"))
  })

  it("writes repeat, parallel, timeout and saga with their parts, then what follows", () => {
    expect(text(Examples.DistributedAuction, "Bidder1")).toBe([
      "Recv(Auctioneer, AuctionAnnouncement)",
      "Rec maxRounds",
      "  Rounds(maxRounds)",
      "    again:",
      "      Par",
      "        branch 1: Send(Auctioneer, Bid).End",
      "      Recv(Auctioneer, RoundResult)",
      "      maxRounds",
      "    done:",
      "      Recv(Auctioneer, AuctionResult)",
      "      End"
    ].join("\n"))
    expect(text(Examples.RobustRequest, "Client")).toBe([
      "Send(Server, Request)",
      "Timeout(response at Client)",
      "  body: Recv(Server, Response).End",
      "  fallback: End",
      "End"
    ].join("\n"))
    expect(text(Examples.CompensatingTransaction, "ServiceA")).toBe([
      "Saga(transaction by Coordinator)",
      "  forward:",
      "    Recv(Coordinator, ReserveResource)",
      "    Send(Coordinator, ReservationConfirmed)",
      "    Recv(Coordinator, CommitReservation)",
      "    End",
      "  compensate:",
      "    Recv(Coordinator, ReleaseReservation)",
      "    End",
      "End"
    ].join("\n"))
  })

  it("takes the indentation and the inline width", () => {
    const t = Protocol.project(Examples.TwoPhaseCommit, "Participant")
    expect(formatLocalLines(t, { indent: "\t" })[3]).toBe("\tCommitRequest: Send(Coordinator, CommitAck).End")
    expect(formatLocalLines(t, { inlineWidth: 10 }).slice(2, 6)).toEqual([
      "Offer(Coordinator)",
      "  CommitRequest:",
      "    Send(Coordinator, CommitAck)",
      "    End"
    ])
  })

  const protocols = Object.entries(Examples as Record<string, Protocol.Any>).sort(([a], [b]) => a.localeCompare(b))
  for (const [name, p] of protocols) {
    it(`${name}: every step of the one-line form, in its order`, () => {
      for (const role of p.roles) {
        const t = Protocol.project(p, role)
        const steps = (s: string) => s.match(/(Send|Recv|Offer)\([^)]*\)|Select|Rounds\([^)]*\)|Par|Timeout\([^)]*\)|Saga\([^)]*\)|Rec \w+|End/g)
        expect(steps(formatLocalText(t))).toEqual(steps(Protocol.formatLocal(t)))
        expect(formatLocalText(t)).toBe(formatLocalText(t))
      }
    })
  }
})
