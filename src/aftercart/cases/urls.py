from django.urls import path

from aftercart.cases import views

app_name = "cases"

urlpatterns = [
    path("exceptions", views.queue, name="queue"),
    path("exceptions/orders/<int:order_id>", views.order_detail, name="order"),
]
