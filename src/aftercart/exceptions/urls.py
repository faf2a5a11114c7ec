from django.urls import path

from aftercart.exceptions import views

app_name = "exceptions"

urlpatterns = [
    path("exceptions", views.queue, name="queue"),
    path("exceptions/orders/<int:order_id>", views.order_detail, name="order"),
]
