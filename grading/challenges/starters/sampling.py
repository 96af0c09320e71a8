"""Challenge: sampling (Build a Large Language Model From Scratch, ch. 5.3).

Write generate() with the book's temperature scaling, top-k sampling and end-of-sequence id,
plus top-p (nucleus) sampling:

    generate(model, idx, max_new_tokens, context_size, temperature=0.0, top_k=None,
             eos_id=None, top_p=None)

- idx: (batch, num_tokens) token ids; crop to the last context_size ids before each step.
- temperature 0.0: greedy (argmax), top_p ignored. temperature > 0: sample with
  torch.multinomial from softmax(logits / temperature).
- top_k: set logits below the k-th largest to -inf first.
- top_p: after top-k and temperature, keep the smallest set of most likely tokens whose
  probability reaches top_p, renormalise, then sample.
- eos_id: stop as soon as the next token is eos_id (without appending it).

The grader runs generate on a small model it controls and counts hundreds of draws (batch 1
when top_k, top_p or eos_id is set). Your file may hold your GPTModel too; it is not needed.
"""

import torch


def generate(
    model, idx, max_new_tokens, context_size, temperature=0.0, top_k=None, eos_id=None, top_p=None
):
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -context_size:]
        with torch.no_grad():
            logits = model(idx_cond)
        logits = logits[:, -1, :]
        # TODO: top-k filter; temperature scaling + softmax + top-p + torch.multinomial when
        # temperature > 0, otherwise argmax; stop at eos_id; append the next token.
        raise NotImplementedError("TODO: implement generate's sampling step")
    return idx


if __name__ == "__main__":
    vocab = ["closer", "every", "effort", "forward", "inches", "moves", "pizza", "toward", "you"]
    next_token_logits = torch.tensor([4.51, 0.89, -1.90, 6.75, 1.63, -1.62, -1.89, 6.28, 1.79])
    print(torch.softmax(next_token_logits / 0.5, dim=0))
