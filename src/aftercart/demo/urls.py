from django.urls import path

from aftercart.demo import views

app_name = "demo"

urlpatterns = [
    path("", views.mailbox, name="mailbox"),
    path("<str:key>", views.mailbox_message, name="message"),
]
