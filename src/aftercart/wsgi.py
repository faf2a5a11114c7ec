"""The WSGI application (gunicorn: ``aftercart.wsgi:application``).

Refuses to load outside DEBUG without ``AFTERCART_SECRET_KEY`` (ImproperlyConfigured): the system
checks that say so run only under management commands, and a WSGI host runs none of them.
"""

import os

from django.core.wsgi import get_wsgi_application

from aftercart.kernel.checks import require_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftercart.settings")
require_secret_key()
application = get_wsgi_application()
