from django.urls import path

from progress import views
from progress.dashboard import dashboard, xp_badge

app_name = "progress"

urlpatterns = [
    path("dashboard/", dashboard, name="dashboard"),
    path("xp-badge/", xp_badge, name="xp-badge"),
    path("videos/<slug:slug>/watched/", views.video_watched, name="video-watched"),
    path("build-items/<slug:slug>/done/", views.build_item_done, name="build-item-done"),
    path("plan/", views.plan, name="plan"),
]
