from django.urls import path

from flashcards import views

app_name = "flashcards"

urlpatterns = [
    path("review/", views.review, name="review"),
    path("review/rate/", views.rate, name="rate"),
    path("review/undo/", views.undo, name="undo"),
    path("settings/", views.preferences, name="settings"),
    path("cards/", views.cards, name="cards"),
]
