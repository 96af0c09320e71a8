import torch

vocab_size = 50257
output_dim = 256
context_length = 4
inputs = torch.tensor([[40, 367, 2885, 1464], [1807, 3619, 402, 271], [10899, 2138, 257, 7026]])

token_embedding_layer = torch.nn.Embedding(vocab_size, output_dim)
pos_embedding_layer = torch.nn.Embedding(context_length, output_dim)
input_embeddings = token_embedding_layer.weight[inputs] + pos_embedding_layer.weight[:context_length]
input_embeddings = input_embeddings.detach()


class InputEmbedding(torch.nn.Module):
    def __init__(self, vocab_size, output_dim, context_length):
        super().__init__()
        self.token_embedding_layer = torch.nn.Embedding(vocab_size, output_dim)
        self.pos_embedding_layer = torch.nn.Embedding(context_length, output_dim)

    def forward(self, inputs):
        n = inputs.shape[-1]
        return self.token_embedding_layer.weight[inputs] + self.pos_embedding_layer.weight[:n]
