"""Records how transformers reads the config keys @qo/loader normalises (YaRN defaults in both Hub
RoPE styles, head_dim / num_experts defaults, nested Qwen3-Omni configs). Run where transformers is
installed: OUT=/some/dir python3 probe_config.py. test/config.test.ts quotes its output (5.17.0)."""
import json, os, math
from transformers import Qwen3Config, Qwen3MoeConfig
from transformers.models.qwen3_omni_moe.configuration_qwen3_omni_moe import Qwen3OmniMoeConfig, Qwen3OmniMoeTextConfig
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
out = {}
base = dict(vocab_size=384, hidden_size=48, intermediate_size=100, num_hidden_layers=2, num_attention_heads=3, num_key_value_heads=1, head_dim=16, max_position_embeddings=512)
def yarn(name, **kw):
    try:
        c = Qwen3Config(**{**base, **kw})
        inv, att = ROPE_INIT_FUNCTIONS["yarn"](c, "cpu")
        out[name] = {"rope_parameters": c.rope_parameters, "attention_factor": float(att), "inv_freq": [float(x) for x in inv]}
    except Exception as e:
        out[name] = {"error": repr(e)}
Y = {"rope_type": "yarn", "factor": 8.0, "original_max_position_embeddings": 64}
yarn("v5", rope_parameters={**Y, "rope_theta": 10000.0})
yarn("v4_rope_type", rope_theta=10000.0, rope_scaling=dict(Y))
yarn("v4_type", rope_theta=10000.0, rope_scaling={"type": "yarn", "factor": 8.0, "original_max_position_embeddings": 64})
yarn("no_original", rope_parameters={"rope_type": "yarn", "factor": 8.0, "rope_theta": 10000.0})
yarn("top_level_original", rope_parameters={**Y, "rope_theta": 10000.0}, original_max_position_embeddings=128)
yarn("mscale", rope_parameters={**Y, "rope_theta": 10000.0, "mscale": 0.707, "mscale_all_dim": 1.0})
yarn("betas_zero_truncate_false", rope_parameters={**Y, "rope_theta": 10000.0, "beta_fast": 0, "beta_slow": 0, "truncate": False})
yarn("factor_none", rope_parameters={"rope_type": "yarn", "factor": None, "original_max_position_embeddings": 64, "rope_theta": 10000.0})
yarn("attention_factor_given", rope_parameters={**Y, "rope_theta": 10000.0, "attention_factor": 0.5})
d = dict(base); d.pop("head_dim")
for hs, nh in [(64, 4), (512, 4)]:
    c = Qwen3Config(**{**d, "hidden_size": hs, "num_attention_heads": nh, "num_key_value_heads": 1})
    out[f"qwen3_head_dim_absent_{hs}_{nh}"] = getattr(c, "head_dim", None)
m = Qwen3MoeConfig(**{**d, "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2, "num_experts": 8})
out["moe_to_dict_keys"] = sorted(k for k in m.to_dict() if "expert" in k)
out["moe_head_dim"] = getattr(m, "head_dim", None)
m2 = Qwen3MoeConfig.from_dict({**d, "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2, "num_local_experts": 6})
out["moe_from_num_local_experts"] = m2.num_experts
t = Qwen3OmniMoeTextConfig()
out["omni_text_head_dim"] = getattr(t, "head_dim", None)
out["omni_text_rope_default"] = t.rope_parameters
out["omni_text_norm_topk_prob"] = t.norm_topk_prob
o = Qwen3OmniMoeConfig(thinker_config={"text_config": {"hidden_size": 64, "num_attention_heads": 4, "head_dim": 16, "num_hidden_layers": 2, "rms_norm_eps": 1e-6, "rope_scaling": {"rope_type": "default", "mrope_section": [4, 2, 2], "interleaved": True}, "rope_theta": 1000000.0}, "vision_config": {"depth": 2}})
saved = json.loads(o.to_json_string())
out["omni_saved_text_config"] = saved["thinker_config"]["text_config"]
out["omni_saved_vision_config"] = saved["thinker_config"]["vision_config"]
out["omni_saved_thinker_keys"] = sorted(saved["thinker_config"].keys())
out["omni_saved_top_keys"] = sorted(saved.keys())
json.dump(out, open(os.path.join(os.environ["OUT"], "probe.json"), "w"), indent=1, default=str)
print(json.dumps({k: v for k, v in out.items() if not isinstance(v, dict) or "error" in v}, default=str)[:6000])
