"""The order-confirmation widget: a small page for the store's thank-you page (docs/widget.md).

It shows what the tracking page shows, in brief and from the same code: the next step through the
presenter (:func:`aftercart.web.tracking.step.step_view`), the learned delivery window
(:func:`aftercart.web.tracking.window.window_view`), the store's branding
(:mod:`aftercart.web.branding`), the tracking link, and an SMS opt-in recorded through the
preference services like every other consent.

- :mod:`~aftercart.web.widget.views`: the page, its opt-in form, and what it says to a bad link;
- :mod:`~aftercart.web.widget.context`: what the page shows;
- :mod:`~aftercart.web.widget.consent`: the opt-in form's signed field.

The page is framed by the store's own site only (``frame-ancestors`` from the store's
``widget_origins``, :func:`aftercart.kernel.csp.csp_frame_ancestors`); every other page stays
unframeable.
"""
