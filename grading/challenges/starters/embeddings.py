"""Challenge: token and position embeddings (Build a Large Language Model From Scratch, 2.7-2.8).

Two parts, both graded:
1. The notebook's module-level names: vocab_size, output_dim, context_length, inputs,
   token_embedding_layer, pos_embedding_layer and input_embeddings (section 2.8). The grader
   reads them after importing your module and recomputes input_embeddings from your own layers.
2. A module InputEmbedding(vocab_size, output_dim, context_length) with the two layers as
   attributes token_embedding_layer and pos_embedding_layer; forward(inputs) takes token ids of
   shape (batch, num_tokens), num_tokens <= context_length, and returns token embeddings plus
   position embeddings, shape (batch, num_tokens, output_dim). The grader loads its own weights
   by these names and also runs it with yours.

The grader imports this file without any other file and without network: build `inputs` from
the text below (the book reads the-verdict.txt; keep module-level code free of file reads).
Self-check (not graded): plot a few embedding vectors, or compare cosine similarities.
"""

import tiktoken
import torch
import torch.nn as nn

raw_text = (
    "I HAD always thought Jack Gisburn rather a cheap genius--though a good fellow enough--so "
    "it was no great surprise to me to hear that, in the height of his glory, he had dropped "
    "his painting, married a rich widow, and established himself in a villa on the Riviera."
)

vocab_size = 50257
output_dim = 256
context_length = 4  # the book's max_length

tokenizer = tiktoken.get_encoding("gpt2")
token_ids = tokenizer.encode(raw_text)
# The book's first batch: 8 rows of max_length = 4 ids (stride 4, no shuffling).
inputs = torch.tensor(token_ids[: 8 * context_length]).view(8, context_length)

torch.manual_seed(123)
token_embedding_layer = None  # TODO: torch.nn.Embedding(vocab_size, output_dim)
pos_embedding_layer = None  # TODO: torch.nn.Embedding(context_length, output_dim)
input_embeddings = None  # TODO: token embeddings of inputs + position embeddings, (8, 4, 256)


class InputEmbedding(nn.Module):
    def __init__(self, vocab_size, output_dim, context_length):
        super().__init__()
        # TODO: self.token_embedding_layer and self.pos_embedding_layer

    def forward(self, inputs):
        # TODO: token embeddings + position embeddings of torch.arange(num_tokens)
        raise NotImplementedError("TODO: implement InputEmbedding.forward")


if __name__ == "__main__":
    print(inputs.shape)  # torch.Size([8, 4])
    print(input_embeddings.shape)  # torch.Size([8, 4, 256])
    layer = InputEmbedding(vocab_size, output_dim, context_length)
    print(layer(inputs).shape)  # torch.Size([8, 4, 256])
    print(layer(inputs[:, :2]).shape)  # torch.Size([8, 2, 256]): shorter inputs work too
