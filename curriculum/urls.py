from django.urls import path

from curriculum import views

app_name = "curriculum"

# Fixed words before the tier slug: the validator keeps tier slugs clear of them.
urlpatterns = [
    path("", views.tiers, name="tiers"),
    path("path/", views.path, name="path"),
    path("stats/", views.stats, name="stats"),
    path("challenges/<slug:slug>/", views.challenge, name="challenge"),
    path("<slug:slug>/", views.tier, name="tier"),
]
