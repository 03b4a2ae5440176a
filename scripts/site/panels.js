/* The "try it" panels of the course site: sliders next to a notebook's own figure that recompute
 * it in the reader's browser with the course library (assets/mbrl.js, the same functions the
 * notebook calls; this file only lays out controls, tables and plots).
 * Each panel goes after the code cell that calls its marker, a library call, so it follows the
 * cell wherever the notebook's text moves it. At the notebook's parameters a panel shows the
 * notebook's numbers (same seeds). If the library cannot load, the static page stays as it is
 * and each panel's place holds a one-line notice.
 * A classic script (no modules, no fetch): pages are opened from file:// too. */
(function () {
  "use strict";
  var page = decodeURIComponent(location.pathname.split("/").pop() || "").replace(/\.html$/, "");
  var PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"];

  /* ---------- Formatting (as the notebook's tables: 4 significant digits) ---------- */
  function format(v) {
    if (typeof v !== "number") return String(v);
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
    var a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
  }
  function range(n, f) {
    return Array.from({ length: n }, function (_, i) {
      return f(i);
    });
  }

  /* ---------- 01: the exam MDP ---------- */
  var EXAM_EPISODES = 4000;
  var examPanel = {
    marker: "mbrl.simulateExam(",
    title: "Try it: the exam MDP at other probabilities and rewards",
    controls: [
      { id: "p", label: "p, probability that the question is A", min: 0, max: 1, step: 0.01, value: 0.5 },
      { id: "reward", label: "R, reward for a right answer", min: 0, max: 40, step: 1, value: 10 },
      { id: "penalty", label: "C, reward for a wrong answer", min: -40, max: 0, step: 1, value: -20 },
    ],
    update: function (m, v) {
      var exam = { p: v.p, reward: v.reward, penalty: v.penalty };
      var strategies = [
        { name: "best open-loop plan", strategy: m.examOpenLoopStrategy(m.examBestOpenLoopPlan(exam).plan) },
        { name: "open-loop plan: answer A blind", strategy: m.examOpenLoopStrategy(m.EXAM_PLANS[1]) },
        { name: "closed-loop policy", strategy: m.examClosedLoopStrategy(exam) },
        { name: "MPC with open-loop evaluation", strategy: m.examMpcStrategy(exam) },
      ];
      var rows = strategies.map(function (s) {
        var ci = m.meanCI(m.simulateExam(s.strategy, m.rng(202), Object.assign({}, exam, { episodes: EXAM_EPISODES })));
        return {
          strategy: s.name,
          "exact value": m.examStrategyValue(s.strategy, exam),
          "Monte Carlo mean": ci.mean,
          "95% CI low": ci.low,
          "95% CI high": ci.high,
          ci: ci,
        };
      });
      var ps = range(101, function (i) {
        return i / 100;
      });
      var values = ps.map(function (p) {
        return m.examValues({ p: p, reward: v.reward, penalty: v.penalty });
      });
      var curve = function (name, key, i) {
        return {
          name: name + ", exact",
          x: ps,
          y: values.map(function (e) {
            return e[key];
          }),
          mode: "lines",
          line: { color: PALETTE[i] },
        };
      };
      return {
        table: {
          caption:
            "R = " +
            v.reward +
            ", C = " +
            v.penalty +
            ", p = " +
            v.p +
            ": exact values and " +
            EXAM_EPISODES +
            " seeded episodes each",
          columns: ["strategy", "exact value", "Monte Carlo mean", "95% CI low", "95% CI high"],
          rows: rows,
        },
        figure: {
          data: [
            curve("best open loop", "openLoop", 1),
            curve("closed loop", "closedLoop", 0),
            curve("MPC", "mpc", 2),
            {
              name: "Monte Carlo mean ± 95% CI at p",
              x: rows.map(function () {
                return v.p;
              }),
              y: rows.map(function (r) {
                return r.ci.mean;
              }),
              error_y: {
                type: "data",
                array: rows.map(function (r) {
                  return r.ci.halfWidth;
                }),
              },
              mode: "markers",
              marker: { color: "#000", size: 7 },
              text: rows.map(function (r) {
                return r.strategy;
              }),
            },
          ],
          layout: {
            title: { text: "Exam MDP values against p (R = " + v.reward + ", C = " + v.penalty + ")" },
            xaxis: { title: { text: "probability p that the question is A" } },
            yaxis: { title: { text: "expected reward (points)" } },
          },
        },
      };
    },
  };

  /* ---------- 01: the linear-Gaussian system ---------- */
  var LG_EPISODES = 4000;
  var lgPlans = {}; // CEM's open-loop plan per T, planned at σ = 1 as in the notebook, then run at every σ
  function lgPlan(m, T) {
    if (!lgPlans[T]) {
      var x0 = m.tf.zeros([1, 1]);
      var plan = m.openLoopPlan(m.linearGaussianTask({ sigma: 1, steps: T }), x0, m.rng(301), {
        horizon: T,
        samples: 500,
        elites: 50,
        iterations: 10,
      });
      x0.dispose();
      lgPlans[T] = plan.actions[0].map(function (a) {
        return a[0];
      });
    }
    return lgPlans[T];
  }
  var lgPanel = {
    marker: "mbrl.linearGaussianFeedbackCost({ sigma: s",
    title: "Try it: open loop against feedback at other noise levels and horizons",
    controls: [
      { id: "sigma", label: "σ, noise standard deviation", min: 0.05, max: 3, step: 0.05, value: 1 },
      { id: "T", label: "T, steps", min: 1, max: 30, step: 1, value: 10 },
    ],
    update: function (m, v) {
      var sim = { sigma: v.sigma, steps: v.T, episodes: LG_EPISODES };
      var feedback = m.meanCI(m.linearGaussianRunPolicy(m.linearGaussianFeedbackPolicy(1), m.rng(322), sim));
      var exact = {
        open: m.linearGaussianOpenLoopCost({ sigma: v.sigma, steps: v.T }),
        feedback: m.linearGaussianFeedbackCost({ sigma: v.sigma, steps: v.T }),
      };
      var row = function (name, e, ci) {
        return {
          strategy: name,
          "exact expected cost": e,
          "Monte Carlo mean": ci.mean,
          "95% CI low": ci.low,
          "95% CI high": ci.high,
          episodes: ci.n,
          ci: ci,
        };
      };
      var grid = range(41, function (i) {
        return 0.05 * Math.pow(60, i / 40);
      });
      var exactLine = function (name, f, color) {
        return {
          name: name,
          x: grid,
          y: grid.map(function (s) {
            return f({ sigma: s, steps: v.T });
          }),
          mode: "lines",
          line: { dash: "dash", color: color },
        };
      };
      var mc = function (name, ci, color) {
        return {
          name: name,
          x: [v.sigma],
          y: [ci.mean],
          error_y: { type: "data", array: [ci.halfWidth] },
          mode: "markers",
          marker: { color: color, size: 8 },
        };
      };
      /** Table and figure, with the open-loop plan's Monte Carlo estimate once the plan exists. */
      var shown = function (plan) {
        var open = plan && m.meanCI(m.linearGaussianRunPlan(plan, m.rng(312), sim));
        var data = [
          exactLine("open loop, exact σ²T(T+1)/2", m.linearGaussianOpenLoopCost, PALETTE[1]),
          exactLine("feedback, exact Tσ²", m.linearGaussianFeedbackCost, PALETTE[0]),
          mc("feedback a = −x, Monte Carlo ± 95% CI", feedback, PALETTE[0]),
        ];
        if (open) data.push(mc("open-loop plan, Monte Carlo ± 95% CI", open, PALETTE[1]));
        return {
          table: {
            caption:
              "T = " +
              v.T +
              ", σ = " +
              v.sigma +
              ": expected cost Σ x_t² (CEM's plan for this T, seeds as in the notebook at σ = 1)",
            columns: ["strategy", "exact expected cost", "Monte Carlo mean", "95% CI low", "95% CI high", "episodes"],
            rows: [
              open
                ? row("best open-loop plan", exact.open, open)
                : {
                    strategy: "best open-loop plan",
                    "exact expected cost": exact.open,
                    "Monte Carlo mean": "planning…",
                  },
              row("feedback a = −x", exact.feedback, feedback),
            ],
          },
          figure: {
            data: data,
            layout: {
              title: { text: "Linear-Gaussian system, T = " + v.T + ": expected cost against noise" },
              xaxis: { title: { text: "noise standard deviation σ (state units)" }, type: "log" },
              yaxis: { title: { text: "expected cost Σ x_t² (state units²)" }, type: "log" },
            },
          },
        };
      };
      if (lgPlans[v.T]) return shown(lgPlans[v.T]);
      // A new T needs CEM's plan (500 samples × 10 iterations): drawn after the rest, dropped if a slider moves.
      var withPlan;
      var complete = function (done) {
        return (withPlan = withPlan || shown(done[0]));
      };
      var first = shown(null);
      first.later = {
        label: "CEM plan for T = " + v.T,
        total: 1,
        step: function () {
          return lgPlan(m, v.T);
        },
        figure: function (done) {
          return complete(done).figure;
        },
        table: function (done) {
          return complete(done).table;
        },
      };
      return first;
    },
  };

  /* ---------- 02: shooting's gradient ratio and Hessian conditioning ---------- */
  var KAPPA_HORIZONS = range(60, function (i) {
    return i + 1;
  });
  var shootingPanel = {
    marker: "mbrl.shootingConditionNumber(",
    title: "Try it: shooting at other λ and T",
    controls: [
      { id: "lambda", label: "λ, the system's multiplier (x′ = λx + a)", min: 0.5, max: 1.5, step: 0.01, value: 1.2 },
      { id: "T", label: "T, steps", min: 2, max: 60, step: 1, value: 30 },
    ],
    update: function (m, v) {
      var tf = m.tf;
      var lq = function (T) {
        return { A: [[v.lambda]], B: [[1]], Q: [[1]], R: [[0.1]], Qf: [[1]], horizon: T };
      };
      // |∂J/∂a_t| of J(a) = −x_T² from x_0 = 1, at the notebook's plan (rng 3, N(0, 0.1²)).
      var task = m.lqTask({ A: [[v.lambda]], B: [[1]], Q: [[0]], R: [[0]], Qf: [[1]], horizon: v.T });
      var size = tf.tidy(function () {
        var plan = m.rng(3).normalTensor([v.T, 1], 0, 0.1);
        var x0 = tf.tensor1d([1]);
        var g = tf.grad(function (actions) {
          return m.openLoopObjective(task, actions, x0, undefined, { terminalReward: task.terminalReward });
        })(plan);
        return Array.from(g.dataSync()).map(Math.abs);
      });
      var kappaAtT = m.shootingConditionNumber(lq(v.T));
      var last = v.T - 1;
      var rows = [
        { quantity: "|∂J/∂a_0|", value: size[0] },
        { quantity: "|∂J/∂a_" + last + "|", value: size[last] },
        { quantity: "first / last", value: size[0] / size[last] },
        { quantity: "λ^(T−1)", value: Math.pow(v.lambda, last) },
        { quantity: "κ of the shooting Hessian at T = " + v.T, value: kappaAtT },
      ];
      var steps = range(v.T, function (t) {
        return t;
      });
      var figure = function (kappa) {
        var done = kappa.filter(function (k) {
          return k !== undefined;
        });
        return {
          data: [
            { name: "|∂J/∂a_t|, autodiff", x: steps, y: size, mode: "lines+markers", line: { color: PALETTE[0] } },
            {
              name: "κ against horizon",
              x: KAPPA_HORIZONS.slice(0, done.length),
              y: done,
              mode: "lines",
              line: { color: PALETTE[1] },
              xaxis: "x2",
              yaxis: "y2",
            },
            {
              name: "κ at T",
              x: [v.T],
              y: [kappaAtT],
              mode: "markers",
              marker: { color: PALETTE[1], size: 9 },
              xaxis: "x2",
              yaxis: "y2",
            },
          ],
          layout: {
            title: { text: "λ = " + v.lambda + ": |∂J/∂a_t| at T = " + v.T + " (left), κ against T (right)" },
            grid: { rows: 1, columns: 2, pattern: "independent" },
            xaxis: { title: { text: "time step t of the action" } },
            yaxis: { title: { text: "|∂J/∂a_t|" }, type: "log", exponentformat: "power" },
            xaxis2: { title: { text: "horizon T (steps)" }, range: [0, 61] },
            yaxis2: { title: { text: "condition number κ" }, type: "log", exponentformat: "power" },
          },
        };
      };
      return {
        table: {
          caption:
            "λ = " +
            v.lambda +
            ", T = " +
            v.T +
            ": the gradient through the rollout and the Hessian's condition number (Q = 1, R = 0.1, Q_f = 1)",
          columns: ["quantity", "value"],
          rows: rows,
        },
        figure: figure([]),
        // κ for every horizon costs O(T³) each: drawn progressively, abandoned when a slider moves.
        later: {
          label: "κ against T",
          total: KAPPA_HORIZONS.length,
          step: function (i) {
            return m.shootingConditionNumber(lq(KAPPA_HORIZONS[i]));
          },
          figure: figure,
        },
      };
    },
  };

  /* ---------- 03: the BPTT gradient against the horizon ---------- */
  var GRADIENT_HORIZONS = [1, 5, 10, 20, 30, 50, 100];
  var learnedPendulum; // notebook 03's model, loaded once from assets/pendulum-model.js
  /** The notebook's policy: an MLP 3 → 32 → 32 → 1 from `rng`, last layer scaled by `outputScale`, torque 2·tanh. */
  function mlpPolicy(m, rng, outputScale) {
    var net = new m.MLP([3, 32, 32, 1], rng);
    var last = net.weights[net.weights.length - 1];
    m.tf.tidy(function () {
      last.assign(last.mul(outputScale));
    });
    return {
      policy: function (s) {
        return m.tf.tidy(function () {
          return m.tf.mul(m.tf.tanh(net.forward(s)), 2);
        });
      },
      variables: net.variables(),
    };
  }
  var gradientPanel = {
    marker: "mbrl.gradientNormByHorizon(",
    title: "Try it: ‖∇J‖ against H for another seed or damping",
    needs: function () {
      return !!window.MBRL_PENDULUM_MODEL;
    },
    controls: [
      { id: "seed", label: "seed (policy and start states)", min: 0, max: 9, step: 1, value: 0 },
      { id: "damping", label: "damping of the hanging pendulum (1/s)", min: 0.5, max: 4, step: 0.5, value: 2 },
    ],
    update: function (m, v) {
      learnedPendulum = learnedPendulum || m.loadDynamicsModel(window.MBRL_PENDULUM_MODEL);
      var reward = new m.Pendulum().reward;
      var near = function (angleCenter) {
        return function (rng, n) {
          return m.sampleStartStates(rng, n, {
            angleCenter: angleCenter,
            angleHalfWidth: 0.001,
            speedHalfWidth: 0.001,
          });
        };
      };
      var regimes = [
        {
          name: "near upright, learned model",
          system: { dynamics: learnedPendulum, reward: reward },
          starts: near(0),
          color: PALETTE[1],
        },
        {
          name: "hanging, damped true pendulum",
          system: { dynamics: new m.Pendulum({ damping: v.damping }), reward: reward },
          starts: near(Math.PI),
          color: PALETTE[0],
        },
      ];
      var jobs = [];
      regimes.forEach(function (r, i) {
        GRADIENT_HORIZONS.forEach(function (H) {
          jobs.push({ regime: i, H: H });
        });
      });
      var pointsOf = function (done, i) {
        return done.filter(function (p, k) {
          return jobs[k].regime === i && p.finite;
        });
      };
      var figure = function (done) {
        return {
          data: regimes.map(function (r, i) {
            var pts = pointsOf(done, i);
            return {
              name: r.name + ", seed " + v.seed,
              x: pts.map(function (p) {
                return p.horizon;
              }),
              y: pts.map(function (p) {
                return Math.log(p.gradNorm);
              }),
              mode: "lines+markers",
              line: { color: r.color },
            };
          }),
          layout: {
            title: { text: "ln‖∇θ J‖ against the horizon (seed " + v.seed + ", damping " + v.damping + ")" },
            xaxis: { title: { text: "horizon H (steps of 0.05 s)" }, range: [0, 102] },
            yaxis: { title: { text: "ln ‖∇θ J‖" } },
          },
        };
      };
      var columns = ["regime", "seed", "‖∇J‖ at H = 10", "‖∇J‖ at H = 30", "‖∇J‖ at H = 100", "‖∇J‖(100) / ‖∇J‖(50)"];
      var table = function (done) {
        return {
          caption: "BPTT gradient norms, batch of 16 starts (seed " + v.seed + ")",
          columns: columns,
          rows: regimes.map(function (r, i) {
            var at = function (H) {
              var p = done.filter(function (q, k) {
                return jobs[k].regime === i && q.horizon === H;
              })[0];
              return p ? p.gradNorm : "…";
            };
            var ratio = typeof at(100) === "number" && typeof at(50) === "number" ? at(100) / at(50) : "…";
            return {
              regime: r.name,
              seed: v.seed,
              "‖∇J‖ at H = 10": at(10),
              "‖∇J‖ at H = 30": at(30),
              "‖∇J‖ at H = 100": at(100),
              "‖∇J‖(100) / ‖∇J‖(50)": ratio,
            };
          }),
        };
      };
      return {
        table: table([]),
        figure: figure([]),
        // One horizon per step, each with a fresh rng(seed): the same policy and starts as one call for all horizons.
        later: {
          label: "gradients",
          total: jobs.length,
          figure: figure,
          table: table,
          step: function (k) {
            var job = jobs[k],
              r = regimes[job.regime];
            return m.gradientNormByHorizon(
              r.system,
              function (rng) {
                return mlpPolicy(m, rng, 0.01);
              },
              r.starts,
              m.rng(v.seed),
              { horizons: [job.H], batchSize: 16 },
            )[0];
          },
        },
      };
    },
  };

  var PANELS = {
    "01_open_loop_vs_closed_loop": [examPanel, lgPanel],
    "02_recursive_objective": [shootingPanel],
    "03_bptt": [gradientPanel],
  };

  /* ---------- Layout ---------- */
  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  /** The code cell whose source contains `marker`: the panel goes after it (and its outputs). */
  function cellWith(marker) {
    var cells = document.querySelectorAll(".jp-Cell.jp-CodeCell");
    for (var i = 0; i < cells.length; i++) {
      var input = cells[i].querySelector(".jp-InputArea");
      if (input && input.textContent.indexOf(marker) >= 0) return cells[i];
    }
    return null;
  }
  function renderTable(box, t) {
    var table = el("table", "mbrl-panel-table");
    table.appendChild(el("caption", "", t.caption));
    var head = el("tr");
    t.columns.forEach(function (c) {
      head.appendChild(el("th", "", c));
    });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    t.rows.forEach(function (r) {
      var tr = body.appendChild(el("tr"));
      t.columns.forEach(function (c) {
        var td = tr.appendChild(el("td", "", format(r[c])));
        td.dataset.column = c;
        if (typeof r[c] === "number") td.dataset.value = String(r[c]);
      });
    });
    box.replaceChildren(table);
  }

  function buildPanel(spec, index, lib) {
    var cell = cellWith(spec.marker);
    if (!cell) return; // the notebook no longer has this computation: no panel
    var section = el("section", "mbrl-panel");
    section.id = "try-it-" + (index + 1);
    section.setAttribute("aria-label", spec.title);
    section.appendChild(el("p", "mbrl-panel-title", spec.title)); // not a heading: the page's outline stays the notebook's
    cell.after(section);
    if (lib && spec.needs && !spec.needs()) lib = null;
    if (!lib) {
      section.appendChild(
        el(
          "p",
          "mbrl-panel-notice",
          "The live version of this figure needs JavaScript and the course library (assets/mbrl.js), which did not load; the notebook's own figure above is unchanged.",
        ),
      );
      return;
    }
    var form = section.appendChild(el("form", "mbrl-panel-controls"));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
    });
    var inputs = spec.controls.map(function (c) {
      var label = form.appendChild(el("label", "mbrl-panel-control"));
      label.appendChild(el("span", "", c.label));
      var input = label.appendChild(el("input"));
      Object.assign(input, { type: "range", min: c.min, max: c.max, step: c.step, value: c.value, name: c.id });
      var out = label.appendChild(el("output", "", String(c.value)));
      input.addEventListener("input", function () {
        out.textContent = input.value;
        schedule();
      });
      return input;
    });
    var status = section.appendChild(el("p", "mbrl-panel-status"));
    status.setAttribute("aria-live", "polite");
    var tableBox = section.appendChild(el("div", "mbrl-panel-numbers"));
    var plot = section.appendChild(el("div", "mbrl-panel-figure"));

    // One update at a time, always for the sliders' latest values: moves made while an update
    // runs coalesce into one more update, never a queue. Slow extra work (`later`) goes in
    // slices of about 50 ms and stops as soon as a slider moves.
    var waiting = false;
    var generation = 0;
    function schedule() {
      generation++;
      if (waiting) return;
      waiting = true;
      section.dataset.state = "updating";
      status.textContent = "recomputing…";
      setTimeout(run, 0);
    }
    function draw(figure) {
      if (!window.Plotly) return;
      window.Plotly.react(
        plot,
        figure.data,
        Object.assign({ margin: { t: 50 }, height: 380, legend: { orientation: "h", y: -0.25 } }, figure.layout),
        { responsive: true, displaylogo: false },
      );
    }
    function fail(e) {
      section.dataset.state = "failed";
      status.textContent = "Could not recompute: " + (e && e.message ? e.message : e);
    }
    function run() {
      waiting = false;
      var mine = generation;
      var values = {};
      inputs.forEach(function (i) {
        values[i.name] = Number(i.value);
      });
      var started = performance.now();
      try {
        var result = spec.update(lib, values);
        renderTable(tableBox, result.table);
        draw(result.figure);
        section.dataset.updateMs = (performance.now() - started).toFixed(1);
        section.dataset.updates = String(Number(section.dataset.updates || 0) + 1);
        section.dataset.values = JSON.stringify(values);
        if (result.later) continueLater(result.later, [], mine);
        else finished(mine);
      } catch (e) {
        fail(e);
      }
    }
    function finished(mine) {
      if (mine !== generation) return;
      section.dataset.state = "ready";
      status.textContent = "";
    }
    function continueLater(later, done, mine) {
      if (mine !== generation) return; // a newer move took over
      status.textContent = later.label + ": " + done.length + " of " + later.total + "…";
      setTimeout(function () {
        if (mine !== generation) return;
        try {
          var sliceStart = performance.now();
          while (done.length < later.total && performance.now() - sliceStart < 50) done.push(later.step(done.length));
          draw(later.figure(done));
          if (later.table) renderTable(tableBox, later.table(done));
          if (done.length < later.total) continueLater(later, done, mine);
          else finished(mine);
        } catch (e) {
          fail(e);
        }
      }, 0);
    }
    schedule();
  }

  function start() {
    var specs = PANELS[page];
    if (!specs) return;
    var m = window.mbrl;
    if (!m || !m.initBrowserBackend) {
      specs.forEach(function (s, i) {
        buildPanel(s, i, null);
      });
      return;
    }
    m.initBrowserBackend(window.MBRL_WASM_SIMD_URL).then(
      function (info) {
        document.documentElement.dataset.mbrlBackend = info.name;
        specs.forEach(function (s, i) {
          buildPanel(s, i, m);
        });
      },
      function () {
        specs.forEach(function (s, i) {
          buildPanel(s, i, null);
        });
      },
    );
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
