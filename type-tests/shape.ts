/**
 * The shape of a local type without payloads, as plain tuples: what the agreement test
 * compares with the run-time projection (the payloads are checked by type-tests/local.ts).
 */
import type { Branch, End, LocalTimeout, Offer, Par, Rec, Recv, Rounds, Saga, Select, Send, Var } from "../src/index.js"

export type Shape<L> = L extends Send<infer T, infer Label, unknown, infer K> ? ["Send", T, Label, Shape<K>]
  : L extends Recv<infer F, infer Label, unknown, infer K> ? ["Recv", F, Label, Shape<K>]
  : L extends Select<infer B> ? ["Select", { -readonly [X in keyof B]: Shape<B[X]> }]
  : L extends Offer<infer F, infer B> ? ["Offer", F, { -readonly [X in keyof B]: B[X] extends Branch<unknown, infer K> ? Shape<K> : never }]
  : L extends Rounds<infer N, infer Again, infer Done> ? ["Rounds", N, Shape<Again>, Shape<Done>]
  : L extends Par<infer Bs, infer K> ? ["Par", { -readonly [I in keyof Bs]: Shape<Bs[I]> }, Shape<K>]
  : L extends LocalTimeout<infer N, infer At, infer B, infer F, infer K> ? ["Timeout", N, At, Shape<B>, Shape<F>, Shape<K>]
  : L extends Saga<infer N, infer O, infer F, infer C, infer K> ? ["Saga", N, O, Shape<F>, Shape<C>, Shape<K>]
  : L extends Rec<infer N, infer Body> ? ["Rec", N, Shape<Body>]
  : L extends Var<infer N> ? ["Var", N]
  : L extends End ? "End"
  : L
