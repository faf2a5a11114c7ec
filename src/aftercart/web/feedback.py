"""The survey page, ``/t/<token>/feedback``: the order's survey, opened from the e-mail's score
links (the score chosen) or the tracking page, and recorded only when the customer presses the
button (a POST). A GET or HEAD — a link scanner following every link of the e-mail, a mail
client's prefetch — shows the question and records nothing."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from aftercart.domain.feedback.gates import About
from aftercart.feedback.selectors import survey_view
from aftercart.feedback.surveys import SurveyRefused, survey_answer_record
from aftercart.orders.selectors import order_view
from aftercart.orders.tokens import link_days_after_delivery, link_expired, read_tracking_token
from aftercart.web.language import choose_language, language_links
from aftercart.web.pages import page_frame, private, render_page, see_other


def _int(value: str) -> int | None:
    try:
        return int(value.strip()) if value and len(value) <= 3 else None
    except ValueError:
        return None


@never_cache
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def feedback_page(request: HttpRequest, token: str) -> HttpResponse:
    """Show the survey with the score from ``?score=`` chosen (GET), or record the answer (POST,
    then 303 back here with a thank-you). 404 for a forged link, 410 once it expired."""
    order = read_tracking_token(token)
    if order is None:
        language = choose_language(request)
        context = page_frame(request, None, language, reason="invalid")
        return private(render_page(request, "web/track/link_problem.html", context, language, status=404))
    now = timezone.now()
    state = order_view(order, now)[0]
    language = choose_language(request, state=state, store=order.store)
    if link_expired(order, state, now):
        context = page_frame(
            request, order.store, language, reason="expired", days=link_days_after_delivery()
        )
        return private(render_page(request, "web/track/link_problem.html", context, language, status=410))
    source = request.POST if request.method == "POST" else request.GET
    about = str(source.get("about", About.DELIVERY.value))[:12]
    if about not in About._value2member_map_:
        about = About.DELIVERY.value
    page_url = reverse("web:track-order", kwargs={"token": token})
    here = reverse("web:feedback", kwargs={"token": token})
    problem, status = "", 200
    if request.method == "POST":
        score = _int(str(request.POST.get("score", "")))
        try:
            if score is None:
                raise SurveyRefused("score", "")
            survey_answer_record(
                order=order,
                about=about,
                score=score,
                reason=str(request.POST.get("reason", ""))[:40],
                text=str(request.POST.get("text", ""))[:4000],
                via=str(request.POST.get("via", "page"))[:10],
                now=now,
            )
        except SurveyRefused:
            with translation.override(language):
                problem = translation.gettext("Please choose a score, then send your answer.")
            status = 400
        else:
            return private(see_other(f"{here}?{urlencode({'about': about, 'thanks': '1'})}"))
    with translation.override(language):
        feedback = survey_view(order, state, about, now=now)
    if feedback is not None:
        feedback["action"] = here
        feedback["via"] = "email" if "score" in request.GET else "page"
        chosen = _int(str(request.GET.get("score", "")))
        if chosen is not None and chosen in feedback["choices"]:
            feedback["score"] = chosen  # preselected from the e-mail's link, not recorded
    context = page_frame(
        request,
        order.store,
        language,
        feedback=feedback,
        page_url=page_url,
        thanks=request.GET.get("thanks") == "1",
        problem=problem,
    )
    context["languages"] = language_links(request, language)
    return private(render_page(request, "web/feedback/survey.html", context, language, status=status))
