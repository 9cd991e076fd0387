// What an adapter offers beyond the basics, for planning kernels: features, a few limits, and the
// subgroup-matrix configurations (Dawn's experimental cooperative-matrix feature, which is how WGSL reaches
// tensor cores). For each configuration the adapter lists, it compiles and runs one M×N×K product
// and checks it against the CPU. Run where `webgpu` resolves (on the GPU machine: after
// `source .device/enter.sh`): node bench/gpu/probe-features.mjs [DAWN_TOGGLES], e.g. with
// vulkan_enable_f16_on_nvidia (Dawn keeps shader-f16 off on NVIDIA's Vulkan driver unless asked).
/* global console, process, GPUBufferUsage, GPUMapMode */
import { create, globals } from 'webgpu';

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

const want = [SM, 'subgroups', ...(adapter.features.has('shader-f16') ? ['shader-f16'] : [])];
const device = await adapter.requestDevice({ requiredFeatures: want });
const wgslType = { f32: 'f32', f16: 'f16', u32: 'u32', i32: 'i32', u8: 'u8', i8: 'i8' };
for (const c of configs) {
  const t = wgslType[c.componentType];
  const r = wgslType[c.resultComponentType];
  if (!['f32', 'f16'].includes(t) || !['f32', 'f16'].includes(r)) {
    console.log(`  ${c.componentType}→${c.resultComponentType} ${c.M}x${c.N}x${c.K}: not run (integer types)`);
    continue;
  }
  const { M, N, K } = c;
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
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code });
  const msgs = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
  if (msgs.length) {
    await device.popErrorScope();
    console.log(`  ${t}→${r} ${M}x${N}x${K}: does not compile: ${msgs[0].message}`);
    continue;
  }
  const A = Float32Array.from({ length: M * K }, (_, i) => ((i * 7) % 11) - 5);
  const B = Float32Array.from({ length: K * N }, (_, i) => ((i * 5) % 13) - 6);
  const pack = (x) => (t === 'f16' ? new Float16ArrayLike(x).bytes : new Uint8Array(x.buffer));
  const buf = (bytes, usage) => {
    const g = device.createBuffer({ size: Math.max(16, bytes.byteLength), usage: usage | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(g, 0, bytes);
    return g;
  };
  const ga = buf(pack(A), GPUBufferUsage.STORAGE);
  const gb = buf(pack(B), GPUBufferUsage.STORAGE);
  const outBytes = M * N * (r === 'f16' ? 2 : 4);
  const gc = device.createBuffer({ size: Math.max(16, outBytes), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const rd = device.createBuffer({ size: Math.max(16, outBytes), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bg = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [ga, gb, gc].map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bg);
  pass.dispatchWorkgroups(1);
  pass.end();
  enc.copyBufferToBuffer(gc, 0, rd, 0, Math.max(16, outBytes));
  device.queue.submit([enc.finish()]);
  const err = await device.popErrorScope();
  if (err) {
    console.log(`  ${t}→${r} ${M}x${N}x${K}: ${err.message}`);
    continue;
  }
  await rd.mapAsync(GPUMapMode.READ);
  const got = r === 'f16' ? Float16ArrayLike.decode(new Uint16Array(rd.getMappedRange().slice(0))) : new Float32Array(rd.getMappedRange().slice(0));
  let worst = 0;
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[i * K + k] * B[k * N + j];
      worst = Math.max(worst, Math.abs(s - got[i * N + j]));
    }
  console.log(`  ${t}→${r} ${M}x${N}x${K}: runs, max |error| ${worst}`);
}

// f16 encode/decode for the small integers above (exact in f16)
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
