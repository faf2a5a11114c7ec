"""Server-rendered pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from aftercart.stores.models import Store


def home(request: HttpRequest) -> HttpResponse:
    """The front door of an installation: what is here and where to go."""
    return render(request, "web/home.html", {"stores": Store.objects.all()[:20]})
