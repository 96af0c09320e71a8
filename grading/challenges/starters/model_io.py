"""Challenge: model I/O (Build a Large Language Model From Scratch, ch. 5.4-5.5).

Save and load checkpoints, and load GPT-2 weights in OpenAI's layout into your GPTModel.
This file holds your GPTModel from chapter 4 too: the grader builds GPTModel(cfg) with
small configurations (qkv_bias=True, as GPT-2 needs) and hands load_weights_into_gpt a
`params` dict shaped like the one the book's download_and_load_gpt2 returns (small random
models of several sizes -- pretrained weights are not downloaded):

    params["wte"], params["wpe"], params["g"], params["b"]
    params["blocks"][i]["attn"]["c_attn"]["w" | "b"]   Q, K, V side by side on the last axis
    params["blocks"][i]["attn"]["c_proj"]["w" | "b"]
    params["blocks"][i]["mlp"]["c_fc"]["w" | "b"], ["mlp"]["c_proj"]["w" | "b"]
    params["blocks"][i]["ln_1"]["g" | "b"], ["ln_2"]["g" | "b"]

Weights are numpy arrays, stored (in, out) as OpenAI's Conv1D layers do.
Checkpoints use the book's keys: torch.save({"model_state_dict": ...,
"optimizer_state_dict": ...}, path), read back with torch.load(path, weights_only=True).
"""

import numpy as np  # noqa: F401  (np.split in load_weights_into_gpt)
import torch
import torch.nn as nn

# --- Chapter 4: paste your GPT model here ------------------------------------------------------


class GPTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        raise NotImplementedError(
            "TODO: paste your GPTModel (and the classes it uses) from chapter 4"
        )


# --- Chapter 5.4: checkpoints -------------------------------------------------------------------


def save_checkpoint(model, optimizer, path):
    # TODO: torch.save({"model_state_dict": ..., "optimizer_state_dict": ...}, path)
    raise NotImplementedError("TODO: implement save_checkpoint")


def load_checkpoint(model, optimizer, path):
    # TODO: torch.load(path, weights_only=True), then load_state_dict on the model and the
    # optimizer you were given.
    raise NotImplementedError("TODO: implement load_checkpoint")


# --- Chapter 5.5: OpenAI's weights ---------------------------------------------------------------


def assign(left, right):
    # TODO: raise ValueError when left.shape != right.shape; otherwise return
    # torch.nn.Parameter(torch.tensor(right)).
    raise NotImplementedError("TODO: implement assign")


def load_weights_into_gpt(gpt, params):
    # TODO: pos_emb <- wpe, tok_emb <- wte; per block: split c_attn into Q, K, V, transpose
    # the Conv1D weights (.T) for W_query/W_key/W_value, out_proj, ff.layers[0] and
    # ff.layers[2]; norm1/norm2 <- ln_1/ln_2 (g -> scale, b -> shift); final_norm <- g, b;
    # out_head <- wte (weight tying).
    raise NotImplementedError("TODO: implement load_weights_into_gpt")


if __name__ == "__main__":
    torch.manual_seed(123)
