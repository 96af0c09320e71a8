from django.urls import path

from playgrounds.views import runs, sampling

app_name = "playgrounds"

urlpatterns = [
    path("sampling/", sampling.sampling, name="sampling"),
    path("runs/<uuid:run_id>/", runs.run_status, name="run-status"),
]
