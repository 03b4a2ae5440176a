// The benchmark's workloads (see ../shared/bench/WORKLOADS.md), written against the library
// passed in as `lib` (the built dist/ from scripts/bench.mjs, or src/ from the unit test), so
// that what is timed is the library's own planner, BPTT trainer and fitting loop.
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
  },
  quick: {
    "mpc-cem": { runs: 2, warmup: 1, hidden: 8, members: 3, samples: 20, horizon: 3, iterations: 2, elites: 5 },
    bptt: { runs: 2, warmup: 1, batch: 8, horizon: 3, modelHidden: 8, policyHidden: 8 },
    "fit-dynamics": { runs: 2, warmup: 1, n: 100, batch: 32, hidden: 8 },
  },
};

/** Durations between successive calls of the returned `tick`, counted from `start()`. */
function lapTimer() {
  const laps = [];
  let last = 0;
  return {
    start: () => { last = performance.now(); },
    tick: () => { const now = performance.now(); laps.push(now - last); last = now; },
    laps,
  };
}

/** CEM action selection through a learned ensemble on hw4's half-cheetah settings. */
async function mpcCem(lib, c) {
  const { tf } = lib;
  const [S, A] = [17, 6];
  const rng = new lib.Rng(1);
  const model = new lib.DynamicsModel(S, A, rng.split(), { hiddenSizes: [c.hidden, c.hidden], members: c.members });
  model.setNormalization(lib.Normalizer.identity(S + A), new lib.Normalizer(new Array(S).fill(0), new Array(S).fill(0.1)));
  // r(s, a, s') = s'[8] − 0.1‖a‖²: the reward of the state reached, as in the PyTorch reference.
  const reward = (_s, a, next) => tf.tidy(() => tf.sub(next.slice([0, 8], [-1, 1]).reshape([-1]), tf.sum(tf.square(a), 1).mul(0.1)));
  const task = { dynamics: model, reward, bounds: { low: new Array(A).fill(-1), high: new Array(A).fill(1) } };
  const start = tf.tensor2d(rng.normalArray(S), [1, S]);
  const options = { method: "cem", samples: c.samples, horizon: c.horizon, iterations: c.iterations, elites: c.elites, alpha: 1 };
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
  const net = new lib.MLP([3, c.policyHidden, c.policyHidden, 1], rng.split());
  const policy = (s) => tf.tidy(() => tf.mul(tf.tanh(net.forward(s)), 2));
  // r = −‖s'‖² − 0.001·a², on the state reached, as in the PyTorch reference.
  const reward = (_s, a, next) => tf.tidy(() => tf.neg(tf.add(tf.sum(tf.square(next), 1), tf.sum(tf.square(a), 1).mul(0.001))));
  const timer = lapTimer();
  try {
    timer.start();
    const starts = (r, n) => tf.tensor2d(r.normalArray(n * 3), [n, 3]);
    lib.trainBptt({ dynamics: model, reward }, { policy, variables: net.variables() }, starts, new lib.Rng(0), {
      horizon: c.horizon, batchSize: c.batch, learningRate: 1e-3, optimizer: "adam", iterations: c.warmup + c.runs,
      onProgress: timer.tick,
    });
  } finally {
    net.dispose();
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
    const options = { epochs: c.warmup + c.runs, batchSize: c.batch, learningRate: 1e-3, validationFraction: 0, bootstrap: false };
    timer.start();
    await lib.fitDynamics(model, data, new lib.Rng(0), { ...options, onProgress: timer.tick });
  } finally {
    tf.dispose(Object.values(data));
    model.dispose();
  }
  return timer.laps.slice(c.warmup);
}

export const WORKLOADS = { "mpc-cem": mpcCem, bptt, "fit-dynamics": fitDynamics };

/** The median of a non-empty list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
