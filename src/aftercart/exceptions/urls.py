from django.urls import path

from aftercart.exceptions import action_views, views

app_name = "exceptions"

urlpatterns = [
    path("", views.home, name="home"),
    path("exceptions", views.queue, name="queue"),
    path("exceptions/orders/<int:order_id>", views.order_detail, name="order"),
    path("exceptions/cases/<int:case_id>/assign", action_views.case_assign, name="case-assign"),
    path("exceptions/cases/<int:case_id>/resolve", action_views.case_resolve, name="case-resolve"),
    path("exceptions/cases/<int:case_id>/snooze", action_views.case_snooze, name="case-snooze"),
    path("exceptions/cases/<int:case_id>/contacted", action_views.case_contacted, name="case-contacted"),
]
