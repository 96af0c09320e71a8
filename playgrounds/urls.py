from django.urls import path

from playgrounds.views import attention, embeddings, index, runs, sampling, tokenizer

app_name = "playgrounds"

urlpatterns = [
    path("", index.index, name="index"),
    path("sampling/", sampling.sampling, name="sampling"),
    path("tokenizer/", tokenizer.tokenizer, name="tokenizer"),
    path("embeddings/", embeddings.embeddings, name="embeddings"),
    path("attention/", attention.attention, name="attention"),
    path("attention/run/", attention.attention_run, name="attention-run"),
    path("runs/<uuid:run_id>/", runs.run_status, name="run-status"),
]
