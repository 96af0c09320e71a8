import tiktoken
import torch
from torch import nn

enc = tiktoken.get_encoding("gpt2")
ids = enc.encode("Every effort moves you forward, one token at a time, said the model. " * 3)

vocab_size = enc.n_vocab
output_dim = 16
context_length = 5
inputs = torch.tensor([ids[i : i + context_length] for i in range(0, 20, context_length)])

token_embedding_layer = nn.Embedding(vocab_size, output_dim)
pos_embedding_layer = nn.Embedding(context_length, output_dim)
input_embeddings = token_embedding_layer(inputs)
input_embeddings += pos_embedding_layer.weight.unsqueeze(0)


class InputEmbedding(nn.Module):
    def __init__(self, vocab_size, output_dim, context_length):
        super().__init__()
        self.token_embedding_layer = nn.Embedding(vocab_size, output_dim)
        self.pos_embedding_layer = nn.Embedding(context_length, output_dim)

    def forward(self, inputs):
        batch, num_tokens = inputs.shape
        positions = torch.arange(num_tokens).unsqueeze(0).expand(batch, num_tokens)
        return self.pos_embedding_layer(positions) + self.token_embedding_layer(inputs)
