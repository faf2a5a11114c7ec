"""Claims on the customer pages (claim form, claim page, warranty, the tracking page's links, the
returns portal's damaged items) and the ops claims queue."""
