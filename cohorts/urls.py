from django.urls import path

from cohorts import views

app_name = "cohorts"

urlpatterns = [
    path("", views.cohort_list, name="list"),
    path("new/", views.cohort_create, name="create"),
    path("join/", views.join, name="join"),
    path("join/<str:code>/", views.join_link, name="join-link"),
    path("<int:pk>/", views.cohort_detail, name="detail"),
    path("<int:pk>/code/revoke/", views.code_revoke, name="code-revoke"),
    path("<int:pk>/code/regenerate/", views.code_regenerate, name="code-regenerate"),
    path("<int:pk>/instructors/", views.instructor_add, name="instructor-add"),
    path("<int:pk>/overview/", views.cohort_overview, name="overview"),
    path("<int:pk>/overview.csv", views.cohort_overview_csv, name="overview-csv"),
    path("<int:pk>/learners/<int:user_id>/", views.cohort_learner, name="learner"),
    path("<int:pk>/roster/", views.roster_import, name="roster-import"),
]
