"""Challenge: generating text (Build a Large Language Model From Scratch, ch. 4.7).

Implement generate_text_simple(model, idx, max_new_tokens, context_size): greedy decoding.
idx holds token ids of shape (batch, n_tokens); return the prompt followed by max_new_tokens
new ids, shape (batch, n_tokens + max_new_tokens).

This file must also define your GPTModel (paste it with its building blocks from the
gpt-model challenge): the grader builds a small GPTModel, loads its own weights and calls your
generate_text_simple with it, with prompts longer than the context too. It also calls your
function with a stand-in model of its own, so it must work with any model that maps
(batch, n) ids to (batch, n, vocab_size) logits.
"""

import torch
import torch.nn as nn  # noqa: F401 - for your GPTModel

# TODO: paste MultiHeadAttention, LayerNorm, GELU, FeedForward, TransformerBlock and GPTModel.


def generate_text_simple(model, idx, max_new_tokens, context_size):
    for _ in range(max_new_tokens):
        # TODO: crop idx to the last context_size tokens (the model's context is limited),
        #       get the logits under torch.no_grad(), take the last position's logits,
        #       pick the argmax (keepdim=True) and append it to idx with torch.cat(..., dim=1)
        raise NotImplementedError("TODO: implement generate_text_simple")
    return idx


if __name__ == "__main__":
    import tiktoken

    tokenizer = tiktoken.get_encoding("gpt2")
    cfg = {
        "vocab_size": 50257,
        "context_length": 1024,
        "emb_dim": 768,
        "n_heads": 12,
        "n_layers": 12,
        "drop_rate": 0.1,
        "qkv_bias": False,
    }
    torch.manual_seed(123)
    model = GPTModel(cfg)  # noqa: F821 - defined once you paste it
    model.eval()
    encoded = torch.tensor(tokenizer.encode("Hello, I am")).unsqueeze(0)
    out = generate_text_simple(model, encoded, max_new_tokens=6, context_size=1024)
    print(out.shape)  # torch.Size([1, 10])
    print(tokenizer.decode(out.squeeze(0).tolist()))  # random words: the model is untrained
