from django.contrib import admin
from django.urls import include, path

from accelerator.health import healthz
from progress.views import home

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("cohorts/", include("cohorts.urls")),
    path("learn/", include("curriculum.urls")),
    path("progress/", include("progress.urls")),
    path("", include("grading.urls")),
    path("flashcards/", include("flashcards.urls")),
    path("play/", include("playgrounds.urls")),
]
