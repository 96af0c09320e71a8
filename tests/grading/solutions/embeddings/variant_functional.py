import torch
import torch.nn as nn
import torch.nn.functional as F

vocab_size, output_dim, context_length = 50257, 64, 6
torch.manual_seed(0)
inputs = torch.randint(0, vocab_size, (3, context_length))


class InputEmbedding(nn.Module):
    def __init__(self, vocab_size, output_dim, context_length):
        super().__init__()
        self.token_embedding_layer = nn.Embedding(vocab_size, output_dim)
        self.pos_embedding_layer = nn.Embedding(context_length, output_dim)

    def forward(self, inputs):
        positions = torch.arange(inputs.size(-1), device=inputs.device)
        return F.embedding(positions, self.pos_embedding_layer.weight) + F.embedding(
            inputs, self.token_embedding_layer.weight
        )


embedding = InputEmbedding(vocab_size, output_dim, context_length)
token_embedding_layer = embedding.token_embedding_layer
pos_embedding_layer = embedding.pos_embedding_layer
with torch.no_grad():
    input_embeddings = embedding(inputs)
