from django.urls import path

from playgrounds.views import embeddings, index, runs, sampling, tokenizer

app_name = "playgrounds"

urlpatterns = [
    path("", index.index, name="index"),
    path("sampling/", sampling.sampling, name="sampling"),
    path("tokenizer/", tokenizer.tokenizer, name="tokenizer"),
    path("embeddings/", embeddings.embeddings, name="embeddings"),
    path("runs/<uuid:run_id>/", runs.run_status, name="run-status"),
]
