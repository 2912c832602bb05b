/**
 * Per-frame costs of the pieces of the TCP transport's path, in one process, no sockets:
 * `npx tsx bench/tcp/micro.ts`. Each figure is the median of 5 timings of N iterations.
 * With QUADRILLE_SRC=<dir> (a patched copy of src/, see patched-copy.sh), its `decodeEnvelope` too.
 */
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import { Effect, Either, Schema } from "effect"
import { decodeEnvelope, type Envelope } from "../../src/effects/Transport.js"
import { dataFrame, FrameReader, seqBytes } from "../../src/handlers/frames.js"

const N = Number(process.env.N ?? 200_000)
const session = crypto.randomUUID()
const envelope = (i: number): Envelope => ({ session, from: "A", to: "B", label: "Ping", site: "0.0", loops: { rounds: i }, seq: i, payload: i })

const median = (xs: Array<number>) => xs.sort((a, b) => a - b)[xs.length >> 1]
let sink: unknown
const time = (name: string, f: (i: number) => unknown) => {
  for (let i = 0; i < N; i++) sink = f(i)
  const ts: Array<number> = []
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now()
    for (let i = 0; i < N; i++) sink = f(i)
    ts.push(((performance.now() - t0) * 1000) / N)
  }
  console.log(`${median(ts).toFixed(3).padStart(7)} µs  ${name}`)
}

const text = JSON.stringify(envelope(12345))
console.log(`envelope JSON: ${text.length} bytes: ${text}`)
const frame = dataFrame(1, text)
const body = frame.subarray(5 + seqBytes)

time("JSON.stringify(envelope)", (i) => JSON.stringify(envelope(i)))
time("JSON.stringify + dataFrame (Buffer.allocUnsafe + write)", (i) => dataFrame(i, JSON.stringify(envelope(i))))
time("JSON.parse(buf.toString)", () => JSON.parse(body.toString("utf8")))
const parsed = JSON.parse(text)
time("decodeEnvelope (Schema) of a parsed frame", () => decodeEnvelope(parsed))
time("JSON.parse + decodeEnvelope", () => decodeEnvelope(JSON.parse(body.toString("utf8"))))
if (process.env.QUADRILLE_SRC !== undefined) {
  const patched = (await import(pathToFileURL(path.resolve(process.env.QUADRILLE_SRC, "effects/Transport.ts")).href)) as { decodeEnvelope: typeof decodeEnvelope }
  time(`decodeEnvelope of ${process.env.QUADRILLE_SRC}`, () => patched.decodeEnvelope(parsed))
}
const decodeNumber = Schema.decodeUnknownEither(Schema.Number)
const encodeNumber = Schema.encodeUnknownEither(Schema.Number)
time("Schema.Number decode + encode of a payload", (i) => Either.isRight(decodeNumber(i)) && encodeNumber(i))
const reader = new FrameReader(1 << 20, () => {}, () => true)
time("FrameReader.push of one whole frame", () => reader.push(frame))
time("Date.now()", () => Date.now())

// One fiber wake-up: a fiber waiting in Effect.async, resumed from outside, per iteration.
const wakes = async (n: number) => {
  let wake: ((e: Effect.Effect<void>) => void) | undefined
  const waiter = Effect.async<void>((resume) => {
    wake = resume
  })
  const fiber = Effect.runPromise(Effect.gen(function*() {
    for (let i = 0; i < n; i++) yield* waiter
  }))
  for (let i = 0; i < n; i++) {
    await new Promise<void>((r) => setImmediate(r))
    wake!(Effect.void)
  }
  await fiber
}
const immediates = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r))
}
const main = async () => {
  const n = 50_000
  await wakes(n)
  const t0 = performance.now()
  await immediates(n)
  const t1 = performance.now()
  await wakes(n)
  const t2 = performance.now()
  console.log(`${(((t2 - t1) - (t1 - t0)) * 1000 / n).toFixed(3).padStart(7)} µs  waking a fiber suspended in Effect.async from an event-loop callback (over a bare setImmediate)`)
  void sink
}
main()
