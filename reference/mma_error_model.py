"""What the int8 tensor-core prefill (kernels/matmul_mma.wgsl) does to a model's first layer, in numpy.

    python3 reference/mma_error_model.py reference/fixtures/qo-fortune [more fixture dirs]

Runs layer 0 of a committed causal-LM fixture in float64 from its recorded `embed` slice (checked
against the recorded `layers.0`), then again with some projections computed as the kernel computes
them: each activation row and each weight row as 16-bit fixed point at one scale (largest magnitude
/ 32512), split into int8 hi and lo planes, and the products summed exactly from the planes, with or
without the lo × lo term. Prints the relL2 of layer 0 against the float64 layer, the number
`qo-validate --device gpu` compares with its 1e-4 bound (bf16 weights, f32 compute).

On the H200 (session 5, BENCHMARKS.md ## GPU) the first kernel, which dropped lo × lo and ran every
projection on the tensor cores, measured layers.0 relL2 1.83e-4 on qo-fortune and 3.02e-5 on
qwen3-e2e-chat; this model predicts 1.83e-4 and 3.01e-5. The last row models down_proj with 24-bit
activations (three int8 planes), written on branch wip/mma-down-24bit and not yet run on the GPU machine.
Needs numpy only.
"""

import glob
import json
import struct
import sys

import numpy as np


def load_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        s, e = t["data_offsets"]
        b = raw[8 + n + s : 8 + n + e]
        if t["dtype"] == "BF16":
            a = (np.frombuffer(b, np.uint16).astype(np.uint32) << 16).view(np.float32)
        elif t["dtype"] == "F32":
            a = np.frombuffer(b, np.float32)
        elif t["dtype"] == "F16":
            a = np.frombuffer(b, np.float16).astype(np.float32)
        else:
            continue  # ids
        out[name] = a.reshape(t["shape"]).astype(np.float64)
    return out


def split(a):
    """Rows of `a` as the kernel holds them: hi, lo planes and the row scale (mma_split.wgsl)."""
    m = np.abs(a).max(axis=1, keepdims=True)
    inv = np.where(m > 1e-30, 32512 / np.where(m > 0, m, 1), 0)
    q = np.round(a * inv)
    lo = ((q + 128) % 256) - 128
    return (q - lo) / 256, lo, m / 32512


def split3(a):
    """Activation rows as 24-bit fixed point (largest magnitude / 8323072) in three int8 planes: hi, mid, lo."""
    m = np.abs(a).max(axis=1, keepdims=True)
    inv = np.where(m > 1e-30, 8323072 / np.where(m > 0, m, 1), 0)
    q = np.round(a * inv)
    lo = ((q + 128) % 256) - 128
    q = (q - lo) / 256
    mid = ((q + 128) % 256) - 128
    return (q - mid) / 256, mid, lo, m / 8323072


def mma24(x, w):
    """24-bit activations times 16-bit weights, five plane products (x lo times w lo dropped: 2^-24 of the largest)."""
    xh, xm, xl, sx = split3(x)
    wh, wl, sw = split(w)
    acc = 16777216 * (xh @ wh.T) + 65536 * (xh @ wl.T + xm @ wh.T) + 256 * (xm @ wl.T + xl @ wh.T)
    return acc * sx * sw.T


def mma(x, w, lo_lo):
    xh, xl, sx = split(x)
    wh, wl, sw = split(w)
    acc = 65536 * (xh @ wh.T) + 256 * (xh @ wl.T + xl @ wh.T)
    if lo_lo:
        acc = acc + xl @ wl.T
    return acc * sx * sw.T


def layer0(fixture):
    cfg = json.load(open(f"{fixture}/model/config.json"))
    w = {}
    for f in sorted(glob.glob(f"{fixture}/model/*.safetensors")):
        w.update(load_safetensors(f))
    ref = load_safetensors(f"{fixture}/reference.safetensors")
    H, nH, nKv, D = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    rope = cfg.get("rope_parameters") or {"rope_theta": cfg.get("rope_theta", 10000.0), **(cfg.get("rope_scaling") or {})}
    if rope.get("rope_type", rope.get("type", "default")) != "default":
        return None, f"{fixture}: rope type {rope.get('rope_type')} is not modelled here"
    theta = rope["rope_theta"]
    if "model.layers.0.mlp.gate_proj.weight" not in w:
        return None, f"{fixture}: layer 0 is not a dense MLP"
    P = lambda n: w[f"model.layers.0.{n}"]
    norm = lambda a, g: a / np.sqrt((a * a).mean(-1, keepdims=True) + eps) * g
    h0 = ref["embed"].reshape(-1, H)
    T = h0.shape[0]
    inv = 1 / theta ** (np.arange(0, D, 2) / D)
    ang = np.arange(T)[:, None] * inv[None, :]
    cos, sin = np.cos(np.concatenate([ang, ang], 1))[:, None, :], np.sin(np.concatenate([ang, ang], 1))[:, None, :]
    rot = lambda a: a * cos + np.concatenate([-a[..., D // 2 :], a[..., : D // 2]], -1) * sin

    def run(matmul):
        x = norm(h0, P("input_layernorm.weight"))
        qkv = matmul(x, np.concatenate([P(f"self_attn.{n}_proj.weight") for n in "qkv"]), "qkv")
        q = rot(norm(qkv[:, : nH * D].reshape(T, nH, D), P("self_attn.q_norm.weight")))
        k = rot(norm(qkv[:, nH * D : (nH + nKv) * D].reshape(T, nKv, D), P("self_attn.k_norm.weight")))
        v = qkv[:, (nH + nKv) * D :].reshape(T, nKv, D)
        a = np.zeros((T, nH, D))
        for i in range(nH):
            j = i // (nH // nKv)
            s = q[:, i] @ k[:, j].T / np.sqrt(D) + np.triu(np.full((T, T), -np.inf), 1)
            p = np.exp(s - s.max(1, keepdims=True))
            a[:, i] = (p / p.sum(1, keepdims=True)) @ v[:, j]
        h = h0 + matmul(a.reshape(T, nH * D), P("self_attn.o_proj.weight"), "o")
        gu = matmul(norm(h, P("post_attention_layernorm.weight")), np.concatenate([P("mlp.gate_proj.weight"), P("mlp.up_proj.weight")]), "gate_up")
        g, u = np.split(gu, 2, axis=1)
        return h + matmul(g / (1 + np.exp(-g)) * u, P("mlp.down_proj.weight"), "down")

    exact = run(lambda x, wt, name: x @ wt.T)
    rel = lambda y: np.linalg.norm(y - exact) / np.linalg.norm(exact)
    check = np.linalg.norm(exact - ref["layers.0"].reshape(-1, H)) / np.linalg.norm(ref["layers.0"])
    on = lambda names, lo_lo: lambda x, wt, name: mma(x, wt, lo_lo) if name in names else x @ wt.T
    rows = [
        ("float64 layer vs the recorded layers.0", check),
        ("all four projections, lo x lo dropped (first kernel)", rel(run(on({"qkv", "o", "gate_up", "down"}, False)))),
        ("all four projections, lo x lo kept", rel(run(on({"qkv", "o", "gate_up", "down"}, True)))),
        ("qkv, o, gate_up (down in f32), lo x lo dropped", rel(run(on({"qkv", "o", "gate_up"}, False)))),
        ("qkv, o, gate_up (down in f32), lo x lo kept (shipped)", rel(run(on({"qkv", "o", "gate_up"}, True)))),
        ("qkv, o, gate_up; down with 24-bit activations", rel(run(lambda x, wt, name: mma24(x, wt) if name == "down" else on({"qkv", "o", "gate_up"}, True)(x, wt, name)))),
    ]
    return rows, None


if __name__ == "__main__":
    for fixture in sys.argv[1:] or sorted(glob.glob("reference/fixtures/*/model/..")):
        rows, why = layer0(fixture.rstrip("/"))
        if rows is None:
            print(why)
            continue
        print(fixture)
        for what, v in rows:
            print(f"  {what:<56} layers.0 relL2 {v:.2e}")
