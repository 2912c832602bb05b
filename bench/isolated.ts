/**
 * bench/ping-pong.ts with every case in a process of its own, the processes taken in turn,
 * round after round. In one process the cases share Effect's runtime and V8's feedback: the
 * more kinds of Effect programs run there, the more of its calls are polymorphic, and every
 * case slows down, the headline baseline too (`fastest` measured about 1M rt/s beside
 * `quadrille` alone and 0.54–0.68M beside five other cases). Alone, each case runs at its
 * best; the ratios are taken between the processes of one round (so a case is compared with
 * the others run minutes around it), and their median over the rounds is reported, with the
 * range.
 *
 * Usage: `npm run bench:isolated` (through tsx), or compiled:
 *   `npm run bench:compiled -- isolated`
 * Env: CASES (fastest,fastest+checks,fastest-steps,generator-steps,quadrille,program),
 *      ROUNDS_OF (5 rounds), and those of bench/ping-pong.ts (RUNS 5, WARMUP 2, ROUNDS, …),
 *      passed on to each process.
 */
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"

const cases = (process.env.CASES ?? "fastest,fastest+checks,fastest-steps,generator-steps,quadrille,program").split(",")
const rounds = Number(process.env.ROUNDS_OF ?? 5)
const self = fileURLToPath(import.meta.url)
const script = self.replace(/isolated\.(ts|js)$/, "ping-pong.$1")

type Rates = { readonly wall: number; readonly cpu: number }

/** One case alone in a fresh process with this one's flags (tsx's loader, or none when compiled): its medians. */
const runAlone = (name: string): Rates => {
  const out = spawnSync(process.execPath, [...process.execArgv, script], {
    env: { ...process.env, ONLY: name, JSON: "1", RUNS: process.env.RUNS ?? "5", WARMUP: process.env.WARMUP ?? "2" },
    encoding: "utf8"
  })
  const line = out.stdout.split("\n").find((l) => l.startsWith("json "))
  if (out.status !== 0 || line === undefined) throw new Error(`case ${name} failed (${out.status}): ${out.stderr.slice(0, 2000)}`)
  return (JSON.parse(line.slice(5)) as Record<string, Rates>)[name]
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}
const k = (x: number) => `${(x / 1000).toFixed(1)}k`

console.log(`ping-pong, each case in its own process: ${rounds} rounds over ${cases.join(", ")}; node ${process.version}`)
const byRound: Array<Map<string, Rates>> = []
for (let r = 0; r < rounds; r++) {
  // Alternate the order, so that no case always runs right after the same other one.
  const order = r % 2 === 0 ? cases : [...cases].reverse()
  const got = new Map<string, Rates>()
  for (const c of order) got.set(c, runAlone(c))
  byRound.push(got)
}
const width = Math.max(...cases.map((c) => c.length))
console.log(`${"case".padEnd(width)}  median rt/s (wall)  median rt/s (CPU)   rounds, wall`)
for (const c of cases) {
  const walls = byRound.map((m) => m.get(c)!.wall)
  console.log(`${c.padEnd(width)}  ${k(median(walls)).padStart(18)}  ${k(median(byRound.map((m) => m.get(c)!.cpu))).padStart(17)}   ${walls.map((w) => k(w).padStart(7)).join(" ")}`)
}
const ratio = (a: string, b: string) => {
  if (!cases.includes(a) || !cases.includes(b)) return
  const of = (kind: "wall" | "cpu") => byRound.map((m) => m.get(a)![kind] / m.get(b)![kind])
  const show = (xs: ReadonlyArray<number>) => `${median(xs).toFixed(3)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`
  console.log(`ratio ${a}/${b} = ${show(of("wall"))} wall, ${show(of("cpu"))} CPU`)
}
ratio("quadrille", "fastest")
ratio("program", "quadrille")
ratio("fastest+checks", "fastest")
ratio("quadrille", "fastest+checks")
ratio("fastest-steps", "fastest")
ratio("generator-steps", "fastest")
ratio("program", "generator-steps")
ratio("endpoint-steps", "fastest")
ratio("program", "endpoint-steps")
ratio("quadrille", "endpoint-steps")
ratio("program", "fastest")
ratio("quadrille+reliable", "quadrille")
ratio("fastest+relays", "fastest")
