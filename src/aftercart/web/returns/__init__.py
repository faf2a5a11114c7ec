"""The shoppers' returns portal.

``/returns`` finds the order (number + e-mail or postal code, the tracking page's lookup and rate
limits); ``/returns/<token>`` (the order's signed link, the same one the tracking page uses, so
revoking one revokes both) lists what can come back. The shopper picks items, quantities and a
reason per line (and another size, when one is in stock), then sees the policy's offers per line
in the policy's order — exchange, store credit with its bonus, refund — each with what they get
back, the fee and the deadline, chooses one per line and a way to send it, may add photos, and
submits. The status page ``/returns/<token>/<rma>`` shows the return's next step, its label and
QR code once issued, and its timeline.

Nothing here decides anything: eligibility, amounts and deadlines are the domain's quote
(:mod:`aftercart.returns.portal`), the request is ``return_request``, the next step is
``return_next_step``. A refused request writes nothing and says why on the page, next to the
field. Plain forms and links throughout: no JavaScript is needed.

Modules, in the order a shopper meets them: :mod:`~.start` (lookup and step 1), :mod:`~.offers`
(step 2), :mod:`~.submit`, :mod:`~.status` (a return's page and label); :mod:`~.access` opens the
order behind a link, :mod:`~.words` holds what the pages say.
"""
