/**
 * The nodes of the global graph (graph.ts compiles a protocol to them; the local automata of
 * automaton.ts are built from them): their own module, so that the two import it and only
 * graph.ts imports automaton.ts.
 *
 * @internal
 */
export interface NodeBase {
  readonly id: number
  readonly site: string
  /** Names of the loops enclosing this node, outermost first. */
  readonly loops: ReadonlyArray<string>
}

export interface MsgNode extends NodeBase {
  readonly kind: "msg"
  readonly from: string
  readonly to: string
  readonly label: string
  next: GNode
}

export interface ChoiceNode extends NodeBase {
  readonly kind: "choice"
  readonly at: string
  readonly name: string
  readonly branches: Array<{ readonly label: string; node: GNode }>
}

export interface LoopNode extends NodeBase {
  readonly kind: "loop"
  readonly name: string
  /** Declared infinite (`forever`): it needs no way out. */
  readonly forever: boolean
  body: GNode
  /** Where the loop is left when its body ends without `recur`. */
  exit: GNode
}

export interface RecurNode extends NodeBase {
  readonly kind: "recur"
  readonly name: string
  readonly loop: LoopNode
}

export interface EndNode extends NodeBase {
  readonly kind: "end"
}

/** The round check of a `repeat`: another round of `again`, or on to `exit`. */
export interface RoundsNode extends NodeBase {
  readonly kind: "rounds"
  readonly param: string
  again: GNode
  readonly exit: GNode
  /** The roles that act in a round: only they go round; the others go straight to `exit`. */
  readonly roles: ReadonlySet<string>
}

/** A `parallel`: each branch a sequence of its own, ending at its own end; then `next`. */
export interface ParNode extends NodeBase {
  readonly kind: "par"
  readonly branches: ReadonlyArray<{ readonly start: GNode; readonly roles: ReadonlySet<string> }>
  readonly next: GNode
}

/** One part of a timeout (its body, or its fallback): a sequence ending at its own end. */
export interface TimeoutPart {
  readonly start: GNode
  readonly roles: ReadonlySet<string>
}

/**
 * A `timeout`: `at` races its part of `body` against `duration` ms; every role in `roles`
 * goes on with `next` after the body, or after the fallback when `at`'s time ran out.
 */
export interface TimeoutNode extends NodeBase {
  readonly kind: "timeout"
  /**
   * What makes `at` take the fallback: the clock (a `timeout`), or a failure inside the body
   * (a `saga`: `at` is its owner, the body its forward part, the fallback its compensation).
   */
  readonly trigger: "clock" | "failure"
  readonly at: string
  readonly name: string
  readonly duration: number
  readonly body: TimeoutPart
  readonly fallback: TimeoutPart
  /** `at` and every role of the body or the fallback. */
  readonly roles: ReadonlySet<string>
  readonly next: GNode
}

export type GNode = MsgNode | ChoiceNode | LoopNode | RecurNode | EndNode | RoundsNode | ParNode | TimeoutNode

