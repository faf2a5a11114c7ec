"""The customer tracking page.

The page decides nothing about the order: it shows the projected state and the one
:func:`~aftercart.domain.next_step.next_step`, translating its message ids and filling their
params (carrier slugs become carrier names, ISO dates become dates in the customer's time zone
and language). :func:`~aftercart.web.tracking.page.tracking_context` is the whole of that
translation, so other touchpoints' tests can compare against exactly what the page shows.

- :mod:`~aftercart.web.tracking.page`: the page's context, and its next-step block as HTML;
- :mod:`~aftercart.web.tracking.step`: the next step and its actions;
- :mod:`~aftercart.web.tracking.parcels`: shipments and lines;
- :mod:`~aftercart.web.tracking.choices`: the choice forms and their refusals;
- :mod:`~aftercart.web.tracking.window`: the learned delivery window.

Language and time zone (:mod:`aftercart.web.language`) and branding (:mod:`aftercart.web.branding`)
serve every customer page.
"""
