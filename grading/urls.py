from django.urls import path

from grading import api, views

app_name = "grading"

urlpatterns = [
    path(
        "challenges/<slug:slug>/submissions",
        views.challenge_submissions,
        name="challenge-submissions",
    ),
    path("submissions/<int:pk>/", views.submission_detail, name="submission-detail"),
    # What the status partial polls: the same view, named for what it returns to htmx.
    path("submissions/<int:pk>/status", views.submission_detail, name="submission-status"),
    path(
        "api/challenges/<slug:slug>/submissions",
        api.create_submission,
        name="api-create-submission",
    ),
    path("api/submissions/<int:pk>", api.submission, name="api-submission"),
]
