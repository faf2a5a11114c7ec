"""``/ops/support/``: the agent's console and the helpdesk sidebar (mounted in aftercart/urls.py)."""

from django.urls import path

from aftercart.support.console import metrics_page, sidebar, views

app_name = "support_console"

urlpatterns = [
    path("", views.inbox_page, name="inbox"),
    path("orders", views.order_search_page, name="search"),
    path("orders/<int:order_id>", views.order_page, name="order"),
    path("orders/<int:order_id>/cancel", views.order_cancel, name="order-cancel"),
    path("c/<str:public_id>", views.conversation_page, name="conversation"),
    path("c/<str:public_id>/reply", views.conversation_reply, name="reply"),
    path("c/<str:public_id>/assign", views.conversation_assign, name="assign"),
    path("c/<str:public_id>/resolve", views.conversation_resolve, name="resolve"),
    path("c/<str:public_id>/reopen", views.conversation_reopen, name="reopen"),
    path("c/<str:public_id>/match", views.conversation_match, name="match"),
    path("metrics", metrics_page.metrics_page, name="metrics"),
    path("sidebar-setup", sidebar.sidebar_setup, name="sidebar-setup"),
    # Signed, no login (the helpdesk frames or fetches it): see sidebar.py.
    path("sidebar/<slug:store>", sidebar.sidebar_page, name="sidebar"),
    path("sidebar/<slug:store>.json", sidebar.sidebar_json, name="sidebar-json"),
    path("sidebar/<slug:store>/sign", sidebar.sidebar_sign, name="sidebar-sign"),
]
