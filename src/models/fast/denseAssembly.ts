/**
 * The bytes of simdDense's WebAssembly module, made by a minimal encoder for its one function,
 * `dense` (what it computes: simdDense.ts and `KernelFunction`), and the σ it applies, which is
 * XNNPACK's, also given in JavaScript for the kernel's plain stand-in.
 */

/** The kernel's `mode`: the product as it is, σ of it, or it times u(1 − u) for u read from `slope`. */
export const [LINEAR, SIGMA, TIMES_SLOPE] = [0, 1, 2];

/** A float32 constant written as C's hex floats are: 1.m (m: six hex digits) × 2^e, with a sign. */
const hex = (sign: number, m: string, e: number) => Math.fround(sign * (1 + parseInt(m, 16) / 2 ** 24) * 2 ** e);

/**
 * σ as tfjs-backend-wasm computes it: XNNPACK's wasmsimd kernel `f32-vsigmoid rr2_p5_div` (its
 * constants below). With z = |x|: e^−z = 2^n · (1 + t·p(t)) for n = round(−z / ln 2), t the
 * remainder (ln 2 in two parts) and p a degree-5 polynomial; f = e^−z / (e^−z + 1) = σ(−z), zero
 * where z is past the last normal result; σ(x) = f for x < 0, else 1 − f. Every step is one
 * float32 operation, in XNNPACK's order, so the results are the same bits (checked over 400,000
 * inputs against tfjs's own σ: test/unit/simdDense.test.ts).
 */
const SIGMOID = {
  magicBias: hex(1, "8000FE", 23),
  minusLog2e: hex(-1, "715476", 0),
  ln2Hi: hex(1, "62E400", -1),
  ln2Lo: hex(1, "7F7D1C", -20),
  c5: hex(-1, "0F9F9C", -7),
  c4: hex(1, "573A1A", -5),
  c3: hex(-1, "555A80", -3),
  c2: hex(1, "FFFDC6", -2),
  c1: hex(-1, "FFFFF6", -1),
  cutoff: hex(1, "5D589E", 6),
};

/** The same σ in JavaScript, each operation rounded to float32 (for `plainKernel`). */
export function xnnSigmoid(x: number): number {
  const [f, c] = [Math.fround, SIGMOID];
  const z = Math.abs(x);
  let n = f(c.magicBias + f(z * c.minusLog2e));
  const s = scaleBits(n);
  n = f(n - c.magicBias);
  let t = f(f(z + f(n * c.ln2Hi)) + f(n * c.ln2Lo));
  let p = f(c.c4 + f(t * c.c5));
  for (const k of [c.c3, c.c2, c.c1]) p = f(k + f(t * p));
  t = f(t * s);
  const e = f(s + f(t * p));
  const fz = z > c.cutoff ? 0 : f(e / f(e + 1));
  return x < 0 || Object.is(x, -0) ? fz : f(1 - fz);
}

/** The float32 whose bits are those of n shifted left by 23 (2^k, for n holding k in its low bits). */
function scaleBits(n: number): number {
  const bits = new Float32Array([n]);
  const int = new Int32Array(bits.buffer);
  int[0] <<= 23;
  return bits[0];
}

// ---------------------------------------------------------------------------------------------
// The module's bytes: a minimal WebAssembly encoder for the one function.

const SIMD = 0xfd;
/** The SIMD instructions used, by their opcodes (WebAssembly SIMD128). */
const V = {
  load: 0x00,
  load32Splat: 0x09,
  store: 0x0b,
  f32x4Splat: 0x13,
  f32x4Gt: 0x44,
  v128Andnot: 0x4f,
  v128Bitselect: 0x52,
  i32x4Shl: 0xab,
  i32x4ShrS: 0xac,
  f32x4Abs: 0xe0,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4RelaxedMadd: 0x105, // relaxed SIMD: a·b + c
};
/** The scalar instructions used. */
const I = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  if: 0x04,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  f32Const: 0x43,
  i32Eq: 0x46,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32Shl: 0x74,
};
const EMPTY = 0x40;
const [I32, V128] = [0x7f, 0x7b];

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const name = (s: string) => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];

/**
 * The whole module: memory "memory" and function "dense" (see the file's comment).
 * @param fused each step of the products one `f32x4.relaxed_madd`, else a multiply and an add
 */
export function assemble(fused: boolean): Uint8Array {
  const params = ["x", "xs", "xk", "packed", "bp", "bk", "y", "rows", "K", "panels", "bias", "mode", "slope"];
  const i32Locals = ["i", "p", "k", "xp", "ap", "yp", "sp", "ys"];
  const v128Locals = ["b0", "b1", "s", "t", "n", "z", "poly", ...[0, 1, 2, 3].flatMap((r) => [`c${r}0`, `c${r}1`])];
  const index = new Map([...params, ...i32Locals, ...v128Locals].map((n, i) => [n, i]));
  // Each helper gives an instruction's bytes; `emit` appends instructions in order.
  const code: number[] = [];
  const emit = (...instructions: number[][]) => instructions.forEach((b) => code.push(...b));
  const local = (op: number) => (n: string) => [op, ...uleb(index.get(n) as number)];
  const [get, set, tee] = [local(I.localGet), local(I.localSet), local(I.localTee)];
  const i32 = (v: number) => [I.i32Const, ...sleb(v)];
  const op = (...bytes: number[]) => bytes;
  const simd = (opcode: number, ...immediates: number[]) => [SIMD, ...uleb(opcode), ...immediates];
  const mem = (offset: number) => [4, ...uleb(offset)]; // align 16 as a hint, then the offset
  const f32x4 = (v: number) => [I.f32Const, ...new Uint8Array(new Float32Array([v]).buffer), ...simd(V.f32x4Splat)];
  const [add, sub, mul, madd] = [V.f32x4Add, V.f32x4Sub, V.f32x4Mul, V.f32x4RelaxedMadd].map((o) => simd(o));
  // σ of the vector in local `v`, into `v`: XNNPACK's σ, operation for operation (`SIGMOID`).
  const sigmoid = (v: string) => {
    const c = SIGMOID;
    // n = −z / ln 2 rounded, by the magic bias, whose low bits then hold n: s = 2^n from them.
    emit(get(v), simd(V.f32x4Abs), set("z"));
    emit(f32x4(c.magicBias), get("z"), f32x4(c.minusLog2e), mul, add, set("n"));
    emit(get("n"), i32(23), simd(V.i32x4Shl), set("s"), get("n"), f32x4(c.magicBias), sub, set("n"));
    // t = z + n·ln 2 (ln 2 in two parts); p = c1 + t(c2 + t(c3 + t(c4 + t·c5))).
    emit(
      get("z"),
      get("n"),
      f32x4(c.ln2Hi),
      mul,
      add,
      set("t"),
      get("t"),
      get("n"),
      f32x4(c.ln2Lo),
      mul,
      add,
      set("t"),
    );
    emit(f32x4(c.c4), get("t"), f32x4(c.c5), mul, add, set("poly"));
    for (const k of [c.c3, c.c2, c.c1]) emit(f32x4(k), get("t"), get("poly"), mul, add, set("poly"));
    // e = s + (t·s)·p = e^−z, into poly; f = e / (e + 1) = σ(−z), zero past the cutoff, into t.
    emit(get("t"), get("s"), mul, set("t"), get("s"), get("t"), get("poly"), mul, add, set("poly"));
    emit(get("poly"), get("poly"), f32x4(1), add, simd(V.f32x4Div));
    emit(get("z"), f32x4(c.cutoff), simd(V.f32x4Gt), simd(V.v128Andnot), set("t"));
    // σ(v) = f where v < 0 (its sign bit, spread over the lane, selects), else 1 − f.
    emit(get("t"), f32x4(1), get("t"), sub, get(v), i32(31), simd(V.i32x4ShrS), simd(V.v128Bitselect), set(v));
  };
  // The address of row r of a block of four, from the block's first row and the row stride.
  const row = (first: string, stride: string, r: number) =>
    r === 0 ? get(first) : [...get(first), ...get(stride), ...i32(r), I.i32Mul, I.i32Add];

  // ys: the row stride of y in bytes (a padded row).
  emit(get("panels"), i32(5), op(I.i32Shl), set("ys"));
  emit(i32(0), set("i"), op(I.block, EMPTY, I.loop, EMPTY)); // rows, four at a time
  emit(get("i"), get("rows"), op(I.i32GeU, I.brIf, 1));
  emit(i32(0), set("p"), op(I.block, EMPTY, I.loop, EMPTY)); // panels of eight columns
  emit(get("p"), get("panels"), op(I.i32GeU, I.brIf, 1));
  for (let r = 0; r < 4; r++) {
    for (const h of [0, 1])
      emit(get("bias"), get("p"), i32(5), op(I.i32Shl, I.i32Add), simd(V.load, ...mem(16 * h)), set(`c${r}${h}`));
  }
  emit(get("x"), get("i"), get("xs"), op(I.i32Mul, I.i32Add), set("xp"));
  emit(get("packed"), get("p"), get("bp"), op(I.i32Mul, I.i32Add), set("ap"));
  emit(get("K"), set("k"), op(I.loop, EMPTY)); // k
  emit(get("ap"), simd(V.load, ...mem(0)), set("b0"), get("ap"), simd(V.load, ...mem(16)), set("b1"));
  for (let r = 0; r < 4; r++) {
    emit(row("xp", "xs", r), simd(V.load32Splat, 2, 0), set("s"));
    for (const h of [0, 1]) {
      const [c, b] = [`c${r}${h}`, `b${h}`];
      emit(...(fused ? [get("s"), get(b), get(c), madd] : [get(c), get("s"), get(b), mul, add]), set(c));
    }
  }
  emit(get("xp"), get("xk"), op(I.i32Add), set("xp"), get("ap"), get("bk"), op(I.i32Add), set("ap"));
  emit(get("k"), i32(1), op(I.i32Sub), tee("k"), op(I.brIf, 0, I.end));
  // The same place in y, and in the array `slope` laid out as y: row i, column 8p.
  const at = (base: string) => [
    ...get(base),
    ...get("i"),
    ...get("ys"),
    I.i32Mul,
    I.i32Add,
    ...get("p"),
    ...i32(5),
    I.i32Shl,
    I.i32Add,
  ];
  emit(get("mode"), i32(SIGMA), op(I.i32Eq, I.if, EMPTY));
  for (let r = 0; r < 4; r++) for (const h of [0, 1]) sigmoid(`c${r}${h}`);
  emit(op(I.end), get("mode"), i32(TIMES_SLOPE), op(I.i32Eq, I.if, EMPTY), at("slope"), set("sp"));
  for (let r = 0; r < 4; r++) {
    for (const h of [0, 1]) {
      // c ⊙ (u ⊙ (1 − u)), u read from `slope`: the backward pass through a σ whose output u is saved.
      const c = `c${r}${h}`;
      emit(row("sp", "ys", r), simd(V.load, ...mem(16 * h)), set("t"));
      emit(get(c), get("t"), f32x4(1), get("t"), sub, mul, mul, set(c));
    }
  }
  emit(op(I.end), at("y"), set("yp"));
  for (let r = 0; r < 4; r++) {
    for (const h of [0, 1]) emit(row("yp", "ys", r), get(`c${r}${h}`), simd(V.store, ...mem(16 * h)));
  }
  emit(get("p"), i32(1), op(I.i32Add), set("p"), op(I.br, 0, I.end, I.end)); // next panel
  emit(get("i"), i32(4), op(I.i32Add), set("i"), op(I.br, 0, I.end, I.end)); // next rows
  emit(op(I.end));

  const locals = [
    [...uleb(i32Locals.length), I32],
    [...uleb(v128Locals.length), V128],
  ];
  const body = [...vec(locals), ...code];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec(params.map(() => [I32])), 0]])), // (i32 × 12) → ()
    ...section(3, vec([[0]])),
    ...section(5, vec([[0, 1]])), // one memory, 1 page to start
    ...section(
      7,
      vec([
        [...name("memory"), 2, 0],
        [...name("dense"), 0, 0],
      ]),
    ),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}
