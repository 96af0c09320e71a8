from django.urls import path

from playgrounds import views

app_name = "playgrounds"

urlpatterns = [
    path("sampling/", views.sampling, name="sampling"),
]
