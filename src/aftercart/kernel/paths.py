"""The URL space's two halves, as the middleware of both sides needs them."""

#: Machine endpoints (the REST API and inbound webhooks): answered in problem+json, with their own
#: body-size guard (:class:`aftercart.api.middleware.IngestGuardMiddleware`). Everything else is a
#: page, guarded by :class:`aftercart.web.uploads.BodySizeMiddleware`.
INGEST_PREFIXES = ("/api/", "/webhooks/")
