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
import { backwardMember, forwardMember, memberWeights, weightGradients, type MemberWeights, type Scaling } from "./mlpPasses";

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

/** Join (1, N_i, d) blocks along their rows. */
const joinRows = (blocks: tf.Tensor3D[]): tf.Tensor3D => (blocks.length === 1 ? blocks[0] : tf.concat(blocks, 1));

export class EnsembleLayers {
  /** The data the kept weights were made from (parameters, then scaling), and those weights. */
  private made: { sources: tf.DataId[]; weights: MemberWeights[] } | undefined;
  /** The latest weights node: the tape it was recorded on (if any), its weights, its output. */
  private link: { tape: unknown; sources: tf.DataId[]; token: tf.Tensor; handover: Handover[] } | undefined;

  /**
   * @param params the parameters W_1 … W_L, b_1 … b_L that will be passed to `apply`; the
   *   weights are made now, so that the number of live tensors stays constant from here on
   */
  constructor(private readonly members: number, params: tf.Tensor[], scaling?: Scaling) {
    this.keptWeights(params, scaling);
    this.weightsLink(params, scaling);
  }

  /**
   * y = net(x), or net((x − μ)/σ)·σ' + μ' with a scaling; differentiable to first order with
   * respect to x and the parameters (not the scaling).
   * @param x (M·N, in), member-major
   * @param params W_l (M, in_l, out_l) for every layer, then b_l (M, 1, out_l)
   * @returns (M·N, out)
   */
  apply(x: tf.Tensor2D, params: tf.Tensor[], scaling?: Scaling): tf.Tensor2D {
    const { members } = this;
    const [L, [rows, cols]] = [params.length / 2, x.shape];
    const { token, handover } = this.weightsLink(params, scaling);
    const networkNode = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const save = args[2] as tf.GradSaveFunc; // args: x, the weights node's dummy, save
      const weights = this.keptWeights(params, scaling);
      const shifted = scaling ? tf.sub(x, scaling.inShift) : x;
      const blocks = splitMembers(shifted.reshape([members, rows / members, cols]) as tf.Tensor3D, members);
      const runs = blocks.map((xm, m) => forwardMember(xm, weights[m]));
      // Per member: x and the L − 1 u's, then the L backward weights (saved, not just referred
      // to: the kept weights are replaced when the parameters change).
      save(runs.flatMap((r, m) => [...r.inputs, ...weights[m].back]));
      const out = joinMembers(runs.map((r) => r.out));
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dx = splitMembers(dy.reshape(out.shape) as tf.Tensor3D, members).map((dym, member) => {
          const mine = saved.slice(2 * L * member, 2 * L * (member + 1)) as tf.Tensor3D[];
          const [u, back] = [mine.slice(0, L), mine.slice(L)];
          const { dx, g } = backwardMember(dym, u, back);
          handover.push({ member, u, g });
          return dx;
        });
        return [joinMembers(dx).reshape([rows, cols]), tf.zeros([])];
      };
      return { value: out.reshape([rows, out.shape[2]]) as tf.Tensor2D, gradFunc };
    });
    return networkNode(x, token) as tf.Tensor2D;
  }

  /**
   * The weights node for this call: the one already on the tape being recorded (tfjs makes a
   * new tape for each gradient) if it is for the same weights, else a new one. Its dummy
   * output is kept across the callers' tidy scopes, and freed when it is replaced.
   */
  private weightsLink(params: tf.Tensor[], scaling?: Scaling): { token: tf.Tensor; handover: Handover[] } {
    const tape = tf.engine().state.activeTape;
    const sources = sourcesOf(params, scaling);
    const link = this.link;
    if (link && link.tape === tape && sameSources(link.sources, sources)) return link;
    link?.token.dispose();
    const L = params.length / 2;
    const handover: Handover[] = [];
    const weightsNode = tf.customGrad(() => {
      const gradFunc = () => {
        const grads = Array.from({ length: this.members }, (_, m) => {
          const mine = handover.filter((h) => h.member === m);
          const rowsOf = (pick: (h: Handover) => tf.Tensor3D[]) => Array.from({ length: L }, (_, l) => joinRows(mine.map((h) => pick(h)[l])));
          return weightGradients(rowsOf((h) => h.u), rowsOf((h) => h.g), scaling);
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

  /** Free the kept weights and the weights node's output. */
  dispose(): void {
    this.disposeWeights();
    this.link?.token.dispose();
    this.link = undefined;
  }

  private disposeWeights(): void {
    if (this.made) tf.dispose(this.made.weights.flatMap((p) => [...p.a, ...p.c, ...p.back]));
    this.made = undefined;
  }

  /** Each member's kept weights, made again if the parameters' or the scaling's data changed. */
  private keptWeights(params: tf.Tensor[], scaling?: Scaling): MemberWeights[] {
    const sources = sourcesOf(params, scaling);
    if (this.made && sameSources(this.made.sources, sources)) return this.made.weights;
    this.disposeWeights();
    const L = params.length / 2;
    const weights = tf.tidy(() => {
      const slices = params.map((p) => splitMembers(p as tf.Tensor3D, this.members));
      return Array.from({ length: this.members }, (_, m) =>
        memberWeights(slices.slice(0, L).map((s) => s[m]), slices.slice(L).map((s) => s[m]), scaling)) as unknown as tf.TensorContainer;
    }) as unknown as MemberWeights[];
    weights.forEach((p) => [...p.a, ...p.c, ...p.back].forEach((t) => tf.keep(t)));
    this.made = { sources, weights };
    return weights;
  }
}
