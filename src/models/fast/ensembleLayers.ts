/**
 * An ensemble of M tanh MLPs evaluated together, on tfjs's tape as custom-gradient nodes;
 * the per-member arithmetic is in mlpPasses. `MLP.forward` and `DynamicsModel.step` run
 * through it.
 *
 * Ensembles. Member m owns rows [m·N, (m+1)·N) of the batch and slice m of each stacked
 * (M, in, out) weight. Each member runs as its own batch-1 products: wasm's kernel is ~10x
 * slower for one batched product over M members.
 *
 * Kept weights. Each member's A, c and backward weights are kept between calls and made again
 * only when a parameter (or the scaling) changes, i.e. when its data changes: cutting a slice
 * copies the whole stacked weight on wasm, and the product kernel prepares each new weight
 * matrix once (it caches that per weight tensor).
 *
 * Two nodes. `tf.customGrad` computes every input's gradient, needed or not, so the weights
 * reach the network through a node of their own, whose value is a dummy 0 and whose backward
 * pass computes the weight gradients from what the network's backward pass hands over. When
 * the weights are not being differentiated (a frozen model in BPTT) the tape never calls that
 * node, which skips half of the backward products. All the calls recorded on one tape with
 * the same weights (a policy at every step of a rollout) share one weights node, so their
 * weight gradients come from one product per layer over all of their rows, not one per call.
 * The gradient is first-order only: the saved activations carry no tape history of their own.
 */
import * as tf from "@tensorflow/tfjs";
import { joinColumns } from "../../columns";
import { forgetRows, forwardRows } from "./rowWorker";
import {
  backwardMember,
  forwardMember,
  memberWeights,
  weightGradients,
  type MemberWeights,
  type Scaling,
} from "./mlpPasses";

/** Split (M, …) along its first axis into M blocks (1, …). */
function splitMembers<T extends tf.Tensor>(t: T, members: number): T[] {
  return members === 1 ? [t] : tf.split(t, members, 0);
}

/** Join M blocks (1, …) into (M, …). */
function joinMembers<T extends tf.Tensor>(blocks: T[]): T {
  return blocks.length === 1 ? blocks[0] : tf.concat(blocks, 0);
}

/** What one member's backward pass in one call hands over to the weights node. */
interface Handover {
  member: number;
  /** [x, u_1, …, u_{L−1}] and the upstream gradients g_l, each (1, N, ·). */
  u: tf.Tensor3D[];
  g: tf.Tensor3D[];
}

/** The data the tensors were created with, to tell when kept weights are out of date. */
function sourcesOf(params: tf.Tensor[], scaling?: Scaling): tf.DataId[] {
  const all = scaling ? [...params, scaling.inShift, scaling.inScale, scaling.outScale, scaling.outShift] : params;
  return all.map((t) => t.dataId);
}

const sameSources = (a: tf.DataId[], b: tf.DataId[]) => a.length === b.length && a.every((id, i) => id === b[i]);

/**
 * The tape of the gradient being recorded, or null. tfjs leaves `activeTape` set after a gradient
 * whose function threw, so it counts only while `gradientDepth` says a gradient is recorded.
 */
const recordingTape = (): unknown => (tf.engine().state.gradientDepth > 0 ? tf.engine().state.activeTape : null);

/** Join (1, N_i, d) blocks along their rows. */
const joinRows = (blocks: tf.Tensor3D[]): tf.Tensor3D => (blocks.length === 1 ? blocks[0] : tf.concat(blocks, 1));

/** Options of `EnsembleLayers.apply`. */
export interface ApplyOptions {
  /** Normalisation around the network, y = net((x − μ)/σ)·σ' + μ'. */
  scaling?: Scaling;
  /** Add the first input block to the output (a residual step, s' = s + …). */
  residual?: boolean;
  /**
   * Squash the network's output into (−b, b) as b·tanh(·), inside this node: on autodiff's tape
   * the tanh and the product would be two more nodes, each with saved copies and gradient
   * kernels, at every step of a BPTT rollout. Same kernels, same numbers.
   */
  outputBound?: number;
}

export class EnsembleLayers {
  /** The widths of the column blocks the input comes in. */
  private readonly inputWidths: number[];
  /**
   * The data the kept weights were made from (parameters, then scaling), the weights, and the
   * tape they were last used on.
   */
  private made: { sources: tf.DataId[]; weights: MemberWeights[]; tape: unknown } | undefined;
  /** Replaced weights that a gradient still being computed may need (see `keptWeights`). */
  private retired: { weights: MemberWeights[]; tape: unknown }[] = [];
  /** The latest weights node: the tape it was recorded on (if any), its weights, its output. */
  private link: { tape: unknown; sources: tf.DataId[]; token: tf.Tensor; handover: Handover[] } | undefined;

  /**
   * @param params the parameters W_1 … W_L, b_1 … b_L that will be passed to `apply`; the
   *   weights are made now, so that the number of live tensors stays constant from here on
   * @param inputWidths the widths of the input blocks `apply` will get (default: one block)
   */
  constructor(
    private readonly members: number,
    params: tf.Tensor[],
    inputWidths?: number[],
    scaling?: Scaling,
  ) {
    this.inputWidths = inputWidths ?? [params[0].shape[1] as number];
    this.keptWeights(params, scaling);
    this.weightsLink(params, scaling);
  }

  /**
   * y = net(x) with x the input blocks side by side, or net((x − μ)/σ)·σ' + μ' with a scaling,
   * plus the first block if residual; differentiable to first order with respect to the
   * inputs and the parameters (not the scaling).
   * @param inputs (M·N, width_i) each, member-major
   * @param params W_l (M, in_l, out_l) for every layer, then b_l (M, 1, out_l)
   * @returns (M·N, out)
   */
  apply(inputs: tf.Tensor2D[], params: tf.Tensor[], options: ApplyOptions = {}): tf.Tensor2D {
    const { scaling, residual = false, outputBound } = options;
    const { members, inputWidths } = this;
    const [B, L, rows] = [inputs.length, params.length / 2, inputs[0].shape[0]];
    const outCols = params[L - 1].shape[2] as number;
    const n = rows / members;
    // A big batch with no gradient recorded: simdDense's kernel, each member's last rows on a second thread.
    if (outputBound === undefined) {
      const fast = forwardRows(this, inputs, this.keptWeights(params, scaling), { shift: scaling?.inShift, residual });
      if (fast) return fast;
    }
    const { token, handover } = this.weightsLink(params, scaling);
    const networkNode = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const save = args[B + 1] as tf.GradSaveFunc; // args: the inputs, the weights node's dummy, save
      const weights = this.keptWeights(params, scaling);
      const x = B === 1 ? inputs[0] : joinColumns(inputs);
      const shifted = scaling ? tf.sub(x, scaling.inShift) : x;
      const xs = splitMembers(shifted.reshape([members, n, -1]) as tf.Tensor3D, members);
      const runs = xs.map((xm, m) => forwardMember(xm, weights[m]));
      const net = joinMembers(runs.map((r) => r.out)).reshape([rows, outCols]) as tf.Tensor2D;
      const squashed = outputBound === undefined ? undefined : tf.tanh(net);
      // per member: x and the L − 1 u's; then tanh of the output, if squashed
      save([...runs.flatMap((r) => r.inputs), ...(squashed ? [squashed] : [])]);
      const out = squashed ? tf.mul(squashed, outputBound as number) : net;
      const gradFunc = (dOut: tf.Tensor, saved: tf.Tensor[]) => {
        // Through b·tanh: ∂L/∂net = (1 − tanh²) ⊙ (∂L/∂out · b), in the order autodiff would take.
        const dy = squashed
          ? tf.mul(tf.sub(1, tf.square(saved[L * members])), tf.mul(dOut, outputBound as number))
          : dOut;
        const dx = splitMembers(dy.reshape([members, n, outCols]) as tf.Tensor3D, members).map((dym, member) => {
          const u = saved.slice(L * member, L * (member + 1)) as tf.Tensor3D[];
          const grads = backwardMember(dym, u, weights[member].back);
          handover.push({ member, u, g: grads.g });
          return grads.dx;
        });
        const dInputs = inputWidths.map((width, b) => joinMembers(dx.map((d) => d[b])).reshape([rows, width]));
        if (residual) dInputs[0] = tf.add(dInputs[0], dOut);
        return [...dInputs, tf.zeros([])];
      };
      return { value: residual ? tf.add(inputs[0], out) : out, gradFunc };
    });
    return networkNode(...inputs, token) as tf.Tensor2D;
  }

  /**
   * The weights node for this call: the one already on the tape being recorded (tfjs makes a
   * new tape for each gradient) if it is for the same weights, else a new one. Its dummy
   * output is kept across the callers' tidy scopes, and freed when it is replaced.
   */
  private weightsLink(params: tf.Tensor[], scaling?: Scaling): { token: tf.Tensor; handover: Handover[] } {
    const tape = recordingTape();
    const sources = sourcesOf(params, scaling);
    const link = this.link;
    if (link && link.tape === tape && sameSources(link.sources, sources)) return link;
    link?.token.dispose();
    const L = params.length / 2;
    const handover: Handover[] = [];
    const weightsNode = tf.customGrad(() => {
      const gradFunc = () => {
        const entries = handover.splice(0); // this backward pass's, all handed over before this node's turn
        const grads = Array.from({ length: this.members }, (_, m) => {
          const mine = entries.filter((h) => h.member === m);
          const rowsOf = (pick: (h: Handover) => tf.Tensor3D[]) =>
            Array.from({ length: L }, (_, l) => joinRows(mine.map((h) => pick(h)[l])));
          return weightGradients(
            rowsOf((h) => h.u),
            rowsOf((h) => h.g),
            scaling,
          );
        });
        const perLayer = (pick: (g: (typeof grads)[number]) => tf.Tensor3D[]) =>
          Array.from({ length: L }, (_, l) => joinMembers(grads.map((g) => pick(g)[l])));
        return [...perLayer((g) => g.dw), ...perLayer((g) => g.db)];
      };
      return { value: tf.zeros([]), gradFunc };
    });
    this.link = { tape, sources, token: tf.keep(weightsNode(...params)), handover };
    return this.link;
  }

  /**
   * Each member's kept weights for these parameters (made again if they changed): those `apply`
   * computes with, for the adjoint recursion of BPTT (control/adjoint.ts).
   */
  weightsFor(params: tf.Tensor[], scaling?: Scaling): MemberWeights[] {
    return this.keptWeights(params, scaling);
  }

  /** Free the kept weights and the weights node's output. */
  dispose(): void {
    this.disposeWeights([...this.retired.flatMap((r) => r.weights), ...(this.made?.weights ?? [])]);
    this.retired = [];
    this.made = undefined;
    this.link?.token.dispose();
    this.link = undefined;
    forgetRows(this);
  }

  private disposeWeights(weights: MemberWeights[]): void {
    tf.dispose(weights.flatMap((p) => [...p.a, ...p.c, ...p.back.flat()]));
  }

  /**
   * Each member's kept weights, made again if the parameters' or the scaling's data changed.
   * The backward pass uses the weights of its forward pass; if they are replaced while that
   * gradient is still being recorded (the parameters changed inside the function being
   * differentiated), the old ones are kept until a later replacement outside it.
   */
  private keptWeights(params: tf.Tensor[], scaling?: Scaling): MemberWeights[] {
    const sources = sourcesOf(params, scaling);
    const tape = recordingTape();
    if (this.made && sameSources(this.made.sources, sources)) {
      this.made.tape = tape;
      return this.made.weights;
    }
    const stillNeeded = (r: { tape: unknown }) => tape != null && r.tape === tape;
    this.disposeWeights(this.retired.filter((r) => !stillNeeded(r)).flatMap((r) => r.weights));
    this.retired = this.retired.filter(stillNeeded);
    if (this.made && stillNeeded(this.made)) this.retired.push(this.made);
    else if (this.made) this.disposeWeights(this.made.weights);
    const L = params.length / 2;
    const weights = tf.tidy(() => {
      const slices = params.map((p) => splitMembers(p as tf.Tensor3D, this.members));
      return Array.from({ length: this.members }, (_, m) =>
        memberWeights(
          slices.slice(0, L).map((s) => s[m]),
          slices.slice(L).map((s) => s[m]),
          this.inputWidths,
          scaling,
        ),
      ) as unknown as tf.TensorContainer;
    }) as unknown as MemberWeights[];
    weights.forEach((p) => [...p.a, ...p.c, ...p.back.flat()].forEach((t) => tf.keep(t)));
    this.made = { sources, weights, tape };
    return weights;
  }
}
