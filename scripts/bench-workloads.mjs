// The benchmark's workloads (see ../shared/bench/WORKLOADS.md), written against the library
// passed in as `lib` (the built dist/ from scripts/bench.mjs, or src/ from the unit test: the
// public API and models/normalizer's Normalizer), so that what is timed is the library's own
// planner, BPTT trainer and fitting loop.
//
// Each workload runs `warmup + runs` timed units and returns the last `runs` durations in ms.
// BPTT steps and fitting epochs happen inside one library call; they are timed between
// consecutive `onProgress` calls, which the library makes once per step or epoch.

/** Full sizes (WORKLOADS.md) and a tiny configuration for smoke tests. */
export const SIZES = {
  full: {
    "mpc-cem": { runs: 5, warmup: 1, hidden: 250, members: 3, samples: 1000, horizon: 15, iterations: 4, elites: 5 },
    bptt: { runs: 10, warmup: 2, batch: 256, horizon: 50, modelHidden: 64, policyHidden: 32 },
    "fit-dynamics": { runs: 5, warmup: 1, n: 10000, batch: 256, hidden: 64 },
    "lr-gradient": { runs: 10, warmup: 2, trajectories: 1024, batch: 64, horizon: 50, modelHidden: 64 },
    "truncated-bptt": {
      runs: 10,
      warmup: 2,
      batch: 256,
      window: 16,
      modelHidden: 64,
      policyHidden: 32,
      criticHidden: 32,
    },
  },
  quick: {
    "mpc-cem": { runs: 2, warmup: 1, hidden: 8, members: 3, samples: 20, horizon: 3, iterations: 2, elites: 5 },
    bptt: { runs: 2, warmup: 1, batch: 8, horizon: 3, modelHidden: 8, policyHidden: 8 },
    "fit-dynamics": { runs: 2, warmup: 1, n: 100, batch: 32, hidden: 8 },
    "lr-gradient": { runs: 2, warmup: 1, trajectories: 16, batch: 8, horizon: 3, modelHidden: 8 },
    "truncated-bptt": { runs: 2, warmup: 1, batch: 8, window: 3, modelHidden: 8, policyHidden: 8, criticHidden: 8 },
  },
};

/** Durations between successive calls of the returned `tick`, counted from `start()`. */
function lapTimer() {
  const laps = [];
  let last = 0;
  return {
    start: () => {
      last = performance.now();
    },
    tick: () => {
      const now = performance.now();
      laps.push(now - last);
      last = now;
    },
    laps,
  };
}

/** CEM action selection through a learned ensemble on hw4's half-cheetah settings. */
async function mpcCem(lib, c) {
  const { tf } = lib;
  const [S, A] = [17, 6];
  const rng = new lib.Rng(1);
  const model = new lib.DynamicsModel(S, A, rng.split(), { hiddenSizes: [c.hidden, c.hidden], members: c.members });
  model.setNormalization(
    lib.Normalizer.identity(S + A),
    new lib.Normalizer(new Array(S).fill(0), new Array(S).fill(0.1)),
  );
  // r(s, a, s') = s'[8] − 0.1‖a‖²: the reward of the state reached, as in the PyTorch reference.
  const reward = (_s, a, next) =>
    tf.tidy(() => tf.sub(next.slice([0, 8], [-1, 1]).reshape([-1]), tf.sum(tf.square(a), 1).mul(0.1)));
  const task = { dynamics: model, reward, bounds: { low: new Array(A).fill(-1), high: new Array(A).fill(1) } };
  const start = tf.tensor2d(rng.normalArray(S), [1, S]);
  const options = {
    method: "cem",
    samples: c.samples,
    horizon: c.horizon,
    iterations: c.iterations,
    elites: c.elites,
    alpha: 1,
  };
  const timer = lapTimer();
  try {
    for (let i = 0; i < c.warmup + c.runs; i++) {
      timer.start();
      lib.openLoopPlan(task, start, rng, options);
      timer.tick();
    }
  } finally {
    start.dispose();
    model.dispose();
  }
  return timer.laps.slice(c.warmup);
}

/** Policy-gradient steps by backpropagation through a frozen learned model. */
async function bptt(lib, c) {
  const { tf } = lib;
  const rng = new lib.Rng(2);
  const model = new lib.DynamicsModel(3, 1, rng.split(), { hiddenSizes: [c.modelHidden, c.modelHidden] });
  // a = 2·tanh(net(s)), net [3 → 32 → 32 → 1]: the library's BPTT policy.
  const trainable = lib.mlpPolicy(rng.split(), { hiddenSizes: [c.policyHidden, c.policyHidden], maxAction: 2 });
  // r = −‖s'‖² − 0.001·a², on the state reached, as in the PyTorch reference.
  const reward = (_s, a, next) =>
    tf.tidy(() => tf.neg(tf.add(tf.sum(tf.square(next), 1), tf.sum(tf.square(a), 1).mul(0.001))));
  const timer = lapTimer();
  try {
    timer.start();
    const starts = (r, n) => tf.tensor2d(r.normalArray(n * 3), [n, 3]);
    lib.trainBptt({ dynamics: model, reward }, trainable, starts, new lib.Rng(0), {
      horizon: c.horizon,
      batchSize: c.batch,
      learningRate: 1e-3,
      optimizer: "adam",
      iterations: c.warmup + c.runs,
      onProgress: timer.tick,
    });
  } finally {
    trainable.net.dispose();
    model.dispose();
  }
  return timer.laps.slice(c.warmup);
}

/** Epochs of minibatch Adam on the MSE of a dynamics MLP over random pairs. */
async function fitDynamics(lib, c) {
  const { tf } = lib;
  const rng = new lib.Rng(3);
  const model = new lib.DynamicsModel(3, 1, rng.split(), { hiddenSizes: [c.hidden, c.hidden] });
  const data = {
    states: tf.tensor2d(rng.normalArray(c.n * 3), [c.n, 3]),
    actions: tf.tensor2d(rng.normalArray(c.n), [c.n, 1]),
    nextStates: tf.tensor2d(rng.normalArray(c.n * 3), [c.n, 3]),
  };
  const timer = lapTimer();
  try {
    const options = {
      epochs: c.warmup + c.runs,
      batchSize: c.batch,
      learningRate: 1e-3,
      validationFraction: 0,
      bootstrap: false,
    };
    timer.start();
    await lib.fitDynamics(model, data, new lib.Rng(0), { ...options, onProgress: timer.tick });
  } finally {
    tf.dispose(Object.values(data));
    model.dispose();
  }
  return timer.laps.slice(c.warmup);
}

/**
 * Deterministic inputs that any framework can rebuild: entry i of a block is
 * scale·sin(offset + 0.7·i). Used where a workload reports a number to compare.
 */
export function sineArray(n, offset, scale) {
  return Float32Array.from({ length: n }, (_, i) => scale * Math.sin(offset + 0.7 * i));
}

/**
 * A dynamics model [4 → H → H → 3], s' = s + net(s, a), with small sine weights (docs/BENCHMARK.md):
 * tame over 50 steps.
 */
function sineModel(lib, hidden) {
  const model = new lib.DynamicsModel(3, 1, new lib.Rng(0), { hiddenSizes: [hidden, hidden] });
  model.net.setFlat(sineArray(model.net.parameterCount(), 1, 0.05));
  return model;
}

/** Mean and standard error of a list of numbers. */
function meanSE(xs) {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
  return { mean: m, se: Math.sqrt(v / xs.length) };
}

/** The likelihood-ratio gradient over a batch of model rollouts (branch + score-function estimate). */
async function lrGradient(lib, c) {
  const { tf } = lib;
  const model = sineModel(lib, c.modelHidden);
  const policy = new lib.GaussianPolicy(3, 1, { std: 0.3 });
  policy.setWeights(sineArray(4, 2, 0.5));
  const starts = tf.tensor2d(sineArray(c.trajectories * 3, 3, 1), [c.trajectories, 3]);
  // r = −‖s‖² − 0.001·a², as in bptt (on the state the step starts from).
  const reward = (s, a) => tf.tidy(() => tf.neg(tf.add(tf.sum(tf.square(s), 1), tf.sum(tf.square(a), 1).mul(0.001))));
  const rng = new lib.Rng(4);
  const timer = lapTimer();
  let last;
  try {
    for (let i = 0; i < c.warmup + c.runs; i++) {
      timer.start();
      const buffer = lib.branchedRollouts({ dynamics: model, reward }, policy, starts, rng, { horizon: c.horizon });
      last = lib.likelihoodRatioGradients(policy, buffer, { batchSize: c.batch });
      lib.disposeBuffer(buffer);
      timer.tick();
    }
  } finally {
    tf.dispose(starts);
    policy.dispose();
    model.dispose();
  }
  const J = meanSE(last.returns);
  const g = [0, 1, 2, 3].map((i) => meanSE(last.estimates.map((e) => e[i])));
  const check = `J = ${J.mean.toFixed(3)} ± ${J.se.toFixed(3)} (SE); ∇_W J = [${g.map((x) => `${x.mean.toFixed(3)} ± ${x.se.toFixed(3)}`).join(", ")}]`;
  return { times: timer.laps.slice(c.warmup), check };
}

/** Truncated BPTT with a critic bootstrap: one policy update through an h-step window plus V(s_h). */
async function truncatedBptt(lib, c) {
  const { tf } = lib;
  const model = sineModel(lib, c.modelHidden);
  const net = new lib.MLP([3, c.policyHidden, c.policyHidden, 1], new lib.Rng(0));
  net.setFlat(sineArray(net.parameterCount(), 4, 0.2));
  const policy = (s) => tf.tidy(() => tf.mul(tf.tanh(net.forward(s)), 2));
  const critic = new lib.ValueFunction(3, new lib.Rng(0), { hiddenSizes: [c.criticHidden, c.criticHidden] });
  critic.net.setFlat(sineArray(critic.net.parameterCount(), 5, 0.2));
  critic.adoptScales([1, 1, 1, -1, -1, -1], [1, -1]); // identity scales: V(s) = net(s)
  const starts = tf.tensor2d(sineArray(c.batch * 3, 3, 1), [c.batch, 3]);
  const reward = (s, a) => tf.tidy(() => tf.neg(tf.add(tf.sum(tf.square(s), 1), tf.sum(tf.square(a), 1).mul(0.001))));
  const timer = lapTimer();
  let history;
  try {
    timer.start();
    history = lib.trainTruncatedBptt(
      { dynamics: model, reward },
      { policy, variables: net.variables() },
      critic,
      starts,
      new lib.Rng(0),
      {
        window: c.window,
        batchSize: c.batch,
        iterations: c.warmup + c.runs,
        learningRate: 1e-3,
        discount: 0.99,
        criticEvery: 0,
        onProgress: timer.tick,
      },
    );
  } finally {
    tf.dispose(starts);
    critic.dispose();
    net.dispose();
    model.dispose();
  }
  const check = `first update: J_h = ${history[0].objective.toFixed(4)}, ‖∇θ J_h‖ = ${history[0].gradNorm.toFixed(4)}`;
  return { times: timer.laps.slice(c.warmup), check };
}

export const WORKLOADS = {
  "mpc-cem": mpcCem,
  bptt,
  "fit-dynamics": fitDynamics,
  "lr-gradient": lrGradient,
  "truncated-bptt": truncatedBptt,
};

/** The median of a non-empty list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
