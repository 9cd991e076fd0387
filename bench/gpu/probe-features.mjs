// What an adapter offers beyond the basics, for planning kernels: features, a few limits, and the
// subgroup-matrix configurations (Dawn's experimental cooperative-matrix feature, which is how WGSL reaches
// tensor cores). For each configuration the adapter lists, it compiles and runs one M×N×K product
// and checks it against the CPU. Run where `webgpu` resolves (on the GPU machine: after
// `source .device/enter.sh`): node bench/gpu/probe-features.mjs [DAWN_TOGGLES [plain|staged:I|i8]], e.g. with
// vulkan_enable_f16_on_nvidia (Dawn keeps shader-f16 off on NVIDIA's Vulkan driver unless asked); the second
// argument runs one throughput kernel alone. Diagnosis knobs (environment): QO_PROBE_REPS, QO_PROBE_PER_PASS,
// QO_PROBE_PER_SUBMIT, QO_PROBE_KLOOP, QO_PROBE_NO_F16, QO_PROBE_NO_INFO, QO_PROBE_TRACE; what they showed on
// an H200 is in bench/gpu/results/h200-probe-subgroup-matrix-2026-12-06.txt.
/* global console, process, performance, GPUBufferUsage, GPUMapMode */
import { create, globals } from 'webgpu';

// f16 encode/decode for the small integers used below (exact in f16)
class Float16ArrayLike {
  constructor(x) {
    const u = new Uint16Array(x.length);
    const f = new Float32Array(1);
    const i = new Uint32Array(f.buffer);
    for (let k = 0; k < x.length; k++) {
      f[0] = x[k];
      const b = i[0];
      const sign = (b >>> 16) & 0x8000;
      const e = ((b >>> 23) & 0xff) - 127 + 15;
      u[k] = x[k] === 0 ? sign : sign | (e << 10) | ((b >>> 13) & 0x3ff);
    }
    this.bytes = new Uint8Array(u.buffer);
  }
  static decode(u) {
    return Float32Array.from(u, (h) => {
      const s = h & 0x8000 ? -1 : 1;
      const e = (h >>> 10) & 0x1f;
      const m = h & 0x3ff;
      return e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
    });
  }
}

Object.assign(globalThis, globals);
const SM = 'chromium-experimental-subgroup-matrix';
const toggles = ['allow_unsafe_apis', ...(process.argv[2] ? process.argv[2].split(',') : [])];
const gpu = create([`enable-dawn-features=${toggles.join(',')}`]);
console.log(`dawn toggles: ${toggles.join(', ')}`);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) throw new Error('no adapter');
const info = adapter.info;
console.log(`adapter: ${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
console.log(`features: ${[...adapter.features].sort().join(' ')}`);
const L = adapter.limits;
console.log(`limits: binding ${L.maxStorageBufferBindingSize}, workgroup storage ${L.maxComputeWorkgroupStorageSize}, invocations ${L.maxComputeInvocationsPerWorkgroup}`);
const configs = info.subgroupMatrixConfigs ?? [];
console.log(`subgroup-matrix configs (${configs.length}):`);
for (const c of configs) console.log(`  ${c.componentType} → ${c.resultComponentType}, M ${c.M} N ${c.N} K ${c.K}`);
if (!adapter.features.has(SM)) process.exit(0);

const want = [SM, 'subgroups', ...(adapter.features.has('shader-f16') && !process.env.QO_PROBE_NO_F16 ? ['shader-f16'] : [])];
const device = await adapter.requestDevice({ requiredFeatures: want, requiredLimits: { maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize } });

const storage = (bytes) => {
  const g = device.createBuffer({ size: Math.max(16, bytes.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(g, 0, bytes);
  return g;
};
const output = (bytes) => device.createBuffer({ size: Math.max(16, bytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });

/** The kernel's pipeline and bind group (bindings 0, 1, … in order), or null, with the reason printed, where it does not build. */
async function build(name, code, buffers) {
  device.pushErrorScope('validation');
  const trace = (m) => process.env.QO_PROBE_TRACE && process.stderr.write(`[${name.trim()}] ${m}\n`);
  trace('module');
  const module = device.createShaderModule({ code });
  const msgs = process.env.QO_PROBE_NO_INFO ? [] : (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
  trace('pipeline');
  if (msgs.length) {
    await device.popErrorScope();
    console.log(`${name}: does not compile: ${msgs[0].message}`);
    return null;
  }
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bg = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const err = await device.popErrorScope();
  trace(err ? `error ${err.message}` : 'built');
  if (err) console.log(`${name}: ${err.message}`);
  return err ? null : { pipeline, bg };
}

/** Milliseconds for `reps` dispatches of the kernel in one pass, to the queue's completion; null, with the reason printed, on a validation error. */
async function run(name, k, grid, reps) {
  device.pushErrorScope('validation');
  // diagnosis of a Dawn crash with many subgroup-matrix dispatches: at most QO_PROBE_PER_PASS dispatches a pass
  // (each with its own setPipeline/setBindGroup), QO_PROBE_PER_SUBMIT a command buffer
  const perPass = Number(process.env.QO_PROBE_PER_PASS ?? reps);
  const perSubmit = Number(process.env.QO_PROBE_PER_SUBMIT ?? reps);
  const buffers = [];
  for (let s0 = 0; s0 < reps; s0 += perSubmit) {
    const enc = device.createCommandEncoder();
    for (let p0 = s0; p0 < Math.min(reps, s0 + perSubmit); p0 += perPass) {
      const pass = enc.beginComputePass();
      for (let i = p0; i < Math.min(reps, s0 + perSubmit, p0 + perPass); i++) {
        pass.setPipeline(k.pipeline);
        pass.setBindGroup(0, k.bg);
        pass.dispatchWorkgroups(...grid);
      }
      pass.end();
    }
    buffers.push(enc.finish());
  }
  const t = performance.now();
  device.queue.submit(buffers);
  await device.queue.onSubmittedWorkDone();
  const ms = performance.now() - t;
  const err = await device.popErrorScope();
  if (err) console.log(`${name}: ${err.message}`);
  return err ? null : ms;
}

/** A copy of the first `bytes` of a buffer. */
async function read(buf, bytes) {
  const rd = device.createBuffer({ size: Math.max(16, bytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, rd, 0, Math.max(16, bytes));
  device.queue.submit([enc.finish()]);
  await rd.mapAsync(GPUMapMode.READ);
  const copy = rd.getMappedRange().slice(0);
  rd.destroy();
  return copy;
}

const only = process.argv[3]; // 'plain', 'staged:I', 'i8' or 'i8-addressing' runs that alone (one crash does not hide the rest)
const wgslType = { f32: 'f32', f16: 'f16', u32: 'u32', i32: 'i32', u8: 'u8', i8: 'i8' };
for (const c of only ? [] : configs) {
  const t = wgslType[c.componentType];
  const r = wgslType[c.resultComponentType];
  if (!['f32', 'f16'].includes(t) || !['f32', 'f16'].includes(r)) {
    console.log(`  ${c.componentType}→${c.resultComponentType} ${c.M}x${c.N}x${c.K}: not run (integer types)`);
    continue;
  }
  const { M, N, K } = c;
  const name = `  ${t}→${r} ${M}x${N}x${K}`;
  const code = `${t === 'f16' || r === 'f16' ? 'enable f16;\n' : ''}enable chromium_experimental_subgroup_matrix;
@group(0) @binding(0) var<storage, read> a: array<${t}>;
@group(0) @binding(1) var<storage, read> b: array<${t}>;
@group(0) @binding(2) var<storage, read_write> c: array<${r}>;
@compute @workgroup_size(${Math.max(32, info.subgroupMaxSize ?? 32)})
fn main() {
  let l = subgroupMatrixLoad<subgroup_matrix_left<${t}, ${K}, ${M}>>(&a, 0, false, ${K});
  let rr = subgroupMatrixLoad<subgroup_matrix_right<${t}, ${N}, ${K}>>(&b, 0, false, ${N});
  var acc = subgroup_matrix_result<${r}, ${N}, ${M}>();
  acc = subgroupMatrixMultiplyAccumulate(l, rr, acc);
  subgroupMatrixStore(&c, 0, acc, false, ${N});
}`;
  const A = Float32Array.from({ length: M * K }, (_, i) => ((i * 7) % 11) - 5);
  const B = Float32Array.from({ length: K * N }, (_, i) => ((i * 5) % 13) - 6);
  const pack = (x) => (t === 'f16' ? new Float16ArrayLike(x).bytes : new Uint8Array(x.buffer));
  const outBytes = M * N * (r === 'f16' ? 2 : 4);
  const gc = output(outBytes);
  const kern = await build(name, code, [storage(pack(A)), storage(pack(B)), gc]);
  if (!kern || (await run(name, kern, [1], 1)) === null) continue;
  const bytes = await read(gc, outBytes);
  const got = r === 'f16' ? Float16ArrayLike.decode(new Uint16Array(bytes)) : new Float32Array(bytes);
  let worst = 0;
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
      worst = Math.max(worst, Math.abs(s - got[i * N + j]));
    }
  console.log(`${name}: runs, max |error| ${worst}`);
}

// Throughput at Qwen3-0.6B's qkv shape, out[T, NN] = x[T, KK] · w[NN, KK]ᵀ with f32 results, against the f32
// register-tiled kernels' 20–29 TFLOP/s (bench/gpu/results/h100-micro-matmul.txt), checked at six points.
// First a plain kernel on f16 inputs (no workgroup-memory staging, each subgroup a 2 × 2 block of fragments;
// not tuned: it shows whether the tensor cores are reached and roughly how fast). Then the product as qo would
// feed it: f32 activations and bf16 weights (two a u32, the even column in the low half), converted to f16
// while staged in workgroup memory, BK (32 or 64) columns at a time; WM × WN subgroups a workgroup, each FM × FN
// 16×16×16 fragments (a tile of 16·FM·WM tokens × 16·FN·WN rows). Subgroups are taken as 32 invocations in
// order (NVIDIA).
const [T, KK, NN] = [512, 1024, 4096];
const KL = Number(process.env.QO_PROBE_KLOOP ?? KK); // diagnosis only: fewer k steps (wrong results)
const go = output(T * NN * 4);

/**
 * Times a kernel computing out[T, NN] = X · Wᵀ (X [T, KK], W [NN, KK], the typed arrays the inputs were made
 * from) and checks it at six points: f32 results (TFLOP/s), or i32 with `int` (TOP/s).
 */
async function throughput(name, code, inputs, grid, X, W, int = false) {
  const kern = await build(name, code, [...inputs, go]);
  if (!kern || (await run(name, kern, grid, 1)) === null) return;
  if (process.env.QO_PROBE_TRACE) process.stderr.write(`[${name}] first run done\n`);
  const reps = Number(process.env.QO_PROBE_REPS ?? 200);
  const total = await run(name, kern, grid, reps);
  if (total === null) return;
  const ms = total / reps;
  const bytes = await read(go, T * NN * 4);
  const got = int ? new Int32Array(bytes) : new Float32Array(bytes);
  let worst = 0;
  for (const [t, n] of [[0, 0], [1, 17], [T - 1, NN - 1], [300, 2049], [511, 5], [77, 1000]]) {
    let s = 0;
    for (let k = 0; k < KK; k++) s += X[t * KK + k] * W[n * KK + k];
    worst = Math.max(worst, Math.abs(s - got[t * NN + n]));
  }
  console.log(`${name}: ${ms.toFixed(4)} ms, ${((2 * T * KK * NN) / ms / 1e9).toFixed(1)} ${int ? 'TOP/s' : 'TFLOP/s'}, max |error| at 6 points ${worst}`);
}

const tc16 = configs.find((c) => c.componentType === 'f16' && c.resultComponentType === 'f32' && c.M === 16 && c.N === 16 && c.K === 16);
if (tc16 && device.features.has('shader-f16')) {
  const X = Float32Array.from({ length: T * KK }, (_, i) => ((i * 7) % 5) - 2);
  const Wf = Float32Array.from({ length: NN * KK }, (_, i) => ((i * 3) % 7) - 3);
  const Wu = new Uint32Array((NN * KK) / 2);
  const bits = new Uint32Array(Wf.buffer);
  for (let i = 0; i < Wu.length; i++) Wu[i] = (bits[2 * i] >>> 16) | (bits[2 * i + 1] & 0xffff0000);

  const { M, N, K } = tc16;
  const code = `enable f16;
enable chromium_experimental_subgroup_matrix;
@group(0) @binding(0) var<storage, read> x: array<f16>;
@group(0) @binding(1) var<storage, read> w: array<f16>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(32)
fn main(@builtin(workgroup_id) wid: vec3<u32>) {
  let n0 = wid.x * ${2 * N}u;
  let t0 = wid.y * ${2 * M}u;
  var c00 = subgroup_matrix_result<f32, ${N}, ${M}>();
  var c01 = subgroup_matrix_result<f32, ${N}, ${M}>();
  var c10 = subgroup_matrix_result<f32, ${N}, ${M}>();
  var c11 = subgroup_matrix_result<f32, ${N}, ${M}>();
  for (var k = 0u; k < ${KL}u; k += ${K}u) {
    let a0 = subgroupMatrixLoad<subgroup_matrix_left<f16, ${K}, ${M}>>(&x, t0 * ${KK}u + k, false, ${KK}u);
    let a1 = subgroupMatrixLoad<subgroup_matrix_left<f16, ${K}, ${M}>>(&x, (t0 + ${M}u) * ${KK}u + k, false, ${KK}u);
    let b0 = subgroupMatrixLoad<subgroup_matrix_right<f16, ${N}, ${K}>>(&w, n0 * ${KK}u + k, true, ${KK}u);
    let b1 = subgroupMatrixLoad<subgroup_matrix_right<f16, ${N}, ${K}>>(&w, (n0 + ${N}u) * ${KK}u + k, true, ${KK}u);
    c00 = subgroupMatrixMultiplyAccumulate(a0, b0, c00);
    c01 = subgroupMatrixMultiplyAccumulate(a0, b1, c01);
    c10 = subgroupMatrixMultiplyAccumulate(a1, b0, c10);
    c11 = subgroupMatrixMultiplyAccumulate(a1, b1, c11);
  }
  subgroupMatrixStore(&out, t0 * ${NN}u + n0, c00, false, ${NN}u);
  subgroupMatrixStore(&out, t0 * ${NN}u + n0 + ${N}u, c01, false, ${NN}u);
  subgroupMatrixStore(&out, (t0 + ${M}u) * ${NN}u + n0, c10, false, ${NN}u);
  subgroupMatrixStore(&out, (t0 + ${M}u) * ${NN}u + n0 + ${N}u, c11, false, ${NN}u);
}`;
  if (!only || only === 'plain')
    await throughput(`subgroup-matrix matmul ${T}×${KK} · ${NN}×${KK}ᵀ, f16 → f32, ${M}x${N}x${K} fragments`, code, [storage(new Float16ArrayLike(X).bytes), storage(new Float16ArrayLike(Wf).bytes)], [NN / (2 * N), T / (2 * M)], X, Wf);

  const [gx, gw] = [storage(X), storage(Wu)];
  // WM × WN subgroups a workgroup, each FM × FN fragments; BK columns staged at a time, rows of BK + PAD halves.
  const shapes = [
    [2, 2, 2, 2, 32, 0], [2, 2, 2, 2, 32, 8], [4, 2, 2, 2, 32, 8], [2, 4, 2, 2, 32, 8], [4, 4, 2, 2, 32, 8],
    [2, 2, 4, 2, 32, 8], [2, 2, 2, 4, 32, 8], [2, 2, 4, 4, 32, 8], [4, 2, 2, 4, 32, 8], [2, 4, 4, 2, 32, 8],
    [2, 2, 4, 2, 64, 8], [2, 2, 2, 4, 64, 8], [2, 2, 4, 4, 64, 8], [4, 2, 2, 2, 64, 8],
  ];
  for (const [idx, [WM, WN, FM, FN, BK, PAD]] of shapes.entries()) {
    if (only && only !== `staged:${idx}`) continue;
    const [BM, BN, TH, S] = [16 * FM * WM, 16 * FN * WN, 32 * WM * WN, BK + PAD];
    if (2 * S * (BM + BN) > device.limits.maxComputeWorkgroupStorageSize) continue;
    const frag = (f) => Array.from({ length: FM * FN }, (_, q) => f(Math.floor(q / FN), q % FN)).join('\n');
    const code = `enable f16;
enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);
@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
var<workgroup> xs: array<f16, ${BM * S}>;
var<workgroup> ws: array<f16, ${BN * S}>;
@compute @workgroup_size(${TH})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let n0 = wid.x * ${BN}u;
  let t0 = wid.y * ${BM}u;
  let sg = li / 32u;
  let sm = (sg / ${WN}u) * ${16 * FM}u;
  let sn = (sg % ${WN}u) * ${16 * FN}u;
${frag((i, j) => `  var c${i}${j} = subgroup_matrix_result<f32, 16, 16>();`)}
  for (var k0 = 0u; k0 < ${KL}u; k0 += ${BK}u) {
    for (var i = li; i < ${(BM * BK) / 4}u; i += ${TH}u) {
      let r = i / ${BK / 4}u;
      let c = i % ${BK / 4}u;
      let v = x[(t0 + r) * ${KK / 4}u + k0 / 4u + c];
      let o = r * ${S}u + 4u * c;
      xs[o] = f16(v.x);
      xs[o + 1u] = f16(v.y);
      xs[o + 2u] = f16(v.z);
      xs[o + 3u] = f16(v.w);
    }
    for (var i = li; i < ${(BN * BK) / 8}u; i += ${TH}u) {
      let r = i / ${BK / 8}u;
      let c = i % ${BK / 8}u;
      let u = w[(n0 + r) * ${KK / 8}u + k0 / 8u + c];
      let o = r * ${S}u + 8u * c;
      for (var j = 0u; j < 4u; j++) {
        ws[o + 2u * j] = f16(bitcast<f32>(u[j] << 16u));
        ws[o + 2u * j + 1u] = f16(bitcast<f32>(u[j] & 0xffff0000u));
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${BK}u; kk += 16u) {
${Array.from({ length: FM }, (_, i) => `      let a${i} = subgroupMatrixLoad<subgroup_matrix_left<f16, 16, 16>>(&xs, (sm + ${16 * i}u) * ${S}u + kk, false, ${S}u);`).join('\n')}
${Array.from({ length: FN }, (_, j) => `      let b${j} = subgroupMatrixLoad<subgroup_matrix_right<f16, 16, 16>>(&ws, (sn + ${16 * j}u) * ${S}u + kk, true, ${S}u);`).join('\n')}
${frag((i, j) => `      c${i}${j} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, c${i}${j});`)}
    }
    workgroupBarrier();
  }
  let o = (t0 + sm) * ${NN}u + n0 + sn;
${frag((i, j) => `  subgroupMatrixStore(&out, o + ${16 * i * NN + 16 * j}u, c${i}${j}, false, ${NN}u);`)}
}`;
    await throughput(`staged f32/bf16 → f16, ${BM}×${BN} tile, ${WM}×${WN} subgroups of ${FM}×${FN} fragments, BK ${BK} pad ${PAD}`, code, [gx, gw], [NN / BN, T / BM], X, Wf);
  }
}

// The same product on the int8 tensor cores (i8 × i8 → i32, 16×16×32), which Dawn offers on NVIDIA without the f16
// toggle: x and w as bytes, four a u32 (array<i32> for the loads), the plain 2 × 2 fragment kernel. Exact.
const tc8 = configs.find((c) => c.componentType === 'i8' && c.resultComponentType === 'i32' && c.M === 16 && c.N === 16 && c.K === 32);
if (tc8 && (!only || only === 'i8')) {
  const X = Int8Array.from({ length: T * KK }, (_, i) => ((i * 7) % 5) - 2);
  const W = Int8Array.from({ length: NN * KK }, (_, i) => ((i * 3) % 7) - 3);
  const code = `enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);
@group(0) @binding(0) var<storage, read> x: array<i32>;
@group(0) @binding(1) var<storage, read> w: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;
@compute @workgroup_size(32)
fn main(@builtin(workgroup_id) wid: vec3<u32>) {
  let n0 = wid.x * 32u;
  let t0 = wid.y * 32u;
  var c00 = subgroup_matrix_result<i32, 16, 16>();
  var c01 = subgroup_matrix_result<i32, 16, 16>();
  var c10 = subgroup_matrix_result<i32, 16, 16>();
  var c11 = subgroup_matrix_result<i32, 16, 16>();
  for (var k = 0u; k < ${KL}u; k += 32u) {
    let a0 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&x, t0 * ${KK}u + k, false, ${KK}u);
    let a1 = subgroupMatrixLoad<subgroup_matrix_left<i8, 32, 16>>(&x, (t0 + 16u) * ${KK}u + k, false, ${KK}u);
    let b0 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&w, n0 * ${KK}u + k, true, ${KK}u);
    let b1 = subgroupMatrixLoad<subgroup_matrix_right<i8, 16, 32>>(&w, (n0 + 16u) * ${KK}u + k, true, ${KK}u);
    c00 = subgroupMatrixMultiplyAccumulate(a0, b0, c00);
    c01 = subgroupMatrixMultiplyAccumulate(a0, b1, c01);
    c10 = subgroupMatrixMultiplyAccumulate(a1, b0, c10);
    c11 = subgroupMatrixMultiplyAccumulate(a1, b1, c11);
  }
  subgroupMatrixStore(&out, t0 * ${NN}u + n0, c00, false, ${NN}u);
  subgroupMatrixStore(&out, t0 * ${NN}u + n0 + 16u, c01, false, ${NN}u);
  subgroupMatrixStore(&out, (t0 + 16u) * ${NN}u + n0, c10, false, ${NN}u);
  subgroupMatrixStore(&out, (t0 + 16u) * ${NN}u + n0 + 16u, c11, false, ${NN}u);
}`;
  const name = `int8 subgroup-matrix matmul ${T}×${KK} · ${NN}×${KK}ᵀ, i8 → i32, 16x16x32 fragments`;
  await throughput(name, code, [storage(new Uint8Array(X.buffer)), storage(new Uint8Array(W.buffer))], [NN / 32, T / 32], X, W, true);
}

// How subgroupMatrixLoad addresses i8 matrices held in an array<i32> (4 values a word): one 16×32 · 32×16
// product, both operands staged in workgroup memory (rows of SB bytes) or read from storage, with the
// older `col_major` bool form and the newer row_major/col_major template form, checked exactly. Offsets and
// strides are passed in bytes (i8 elements), as the storage-buffer kernel above needed. Written for the int8
// prefill kernel's failure (BENCHMARKS.md ## GPU, session 4); not run yet: `… probe-features.mjs '' i8-addressing`.
if (tc8 && (!only || only === 'i8-addressing')) {
  const A = Int8Array.from({ length: 16 * 32 }, (_, i) => ((i * 37) % 201) - 100);
  const B = Int8Array.from({ length: 16 * 32 }, (_, i) => ((i * 53) % 199) - 99); // 16 rows (n) of 32 (k)
  const want = new Int32Array(256);
  for (let m = 0; m < 16; m++) for (let n = 0; n < 16; n++) for (let k = 0; k < 32; k++) want[m * 16 + n] += A[m * 32 + k] * B[n * 32 + k];
  for (const src of ['storage', 'workgroup']) {
    for (const form of ['old', 'new']) {
      for (const SB of src === 'storage' ? [32] : [32, 48]) {
        const load = (side, ptr, off) => {
          const ty = side === 'left' ? 'subgroup_matrix_left<i8, 32, 16>' : 'subgroup_matrix_right<i8, 16, 32>';
          const col = side === 'right';
          return form === 'old' ? `subgroupMatrixLoad<${ty}>(${ptr}, ${off}, ${col}, ${SB}u)` : `subgroupMatrixLoad<${ty}, ${col ? 'col_major' : 'row_major'}>(${ptr}, ${off}, ${SB}u)`;
        };
        const store = form === 'old' ? 'subgroupMatrixStore(&out, 0u, c, false, 16u)' : 'subgroupMatrixStore<row_major>(&out, 0u, c, 16u)';
        const code = `enable chromium_experimental_subgroup_matrix;
@group(0) @binding(0) var<storage, read> a: array<i32>;
@group(0) @binding(1) var<storage, read> b: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<i32>;
var<workgroup> as_: array<i32, ${(16 * SB) / 4}>;
var<workgroup> bs_: array<i32, ${(16 * SB) / 4}>;
@compute @workgroup_size(32)
fn main(@builtin(local_invocation_index) li: u32) {
  for (var i = li; i < ${16 * 8}u; i += 32u) {
    let r = i / 8u;
    let c = i % 8u;
    as_[r * ${SB / 4}u + c] = a[i];
    bs_[r * ${SB / 4}u + c] = b[i];
  }
  workgroupBarrier();
  let l = ${src === 'workgroup' ? load('left', '&as_', '0u') : load('left', '&a', '0u').replace(`${SB}u)`, '32u)')};
  let r = ${src === 'workgroup' ? load('right', '&bs_', '0u') : load('right', '&b', '0u').replace(`${SB}u)`, '32u)')};
  var c = subgroupMatrixMultiplyAccumulate(l, r, subgroup_matrix_result<i32, 16, 16>());
  ${store};
}`;
        const name = `i8 load from ${src}, ${form} form, row stride ${src === 'workgroup' ? SB : 32} bytes`;
        const res = output(256 * 4);
        const kern = await build(name, code, [storage(new Uint8Array(A.buffer)), storage(new Uint8Array(B.buffer)), res]);
        if (!kern || (await run(name, kern, [1], 1)) === null) continue;
        const got = new Int32Array(await read(res, 256 * 4));
        let bad = 0;
        for (let i = 0; i < 256; i++) if (got[i] !== want[i]) bad++;
        console.log(`${name}: ${bad === 0 ? 'exact' : `${bad} of 256 wrong (first: got ${got.find((v, i) => v !== want[i])})`}`);
      }
    }
  }
}
