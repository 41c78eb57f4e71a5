"""The client's questionnaire pages, once for the tablet hand-over and the remote link.

1. Welcome: the client chooses a language (or just taps Start), ``begin`` stores it.
2. One page per measure, only the next unfinished one (on the tablet optionally one item per
   screen, each screen's answers saved before the next); every answer is also autosaved.
3. Submit scores the measure (``services/drafts.py``, one transaction); the client moves on.

What differs between the two places is a subclass: the view loads and authorises the sitting
(the kiosk's browser session, the link's token) before it makes the flow; the subclass names
the templates, renders them with its own context, says whether the sitting still takes
answers, calls its service to begin and to submit, and says where the client goes next.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import ClassVar

from flask import abort, jsonify, redirect, request
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from outcome_monitor.services import NotFound, ServiceError, drafts, instruments
from outcome_monitor.services.drafts import IncompleteMeasure, Sitting
from outcome_monitor.web.questionnaire.forms import BeginForm
from outcome_monitor.web.questionnaire.questions import (
    PageAnswers,
    language_names,
    languages_for,
    page_item_ids,
    page_view,
    read_answers,
)

ViewResult = Response | str | tuple[str, int]


class QuestionnaireFlow(ABC):
    """The pages of one sitting; a view makes one per request, after authorising the sitting."""

    welcome_template: ClassVar[str]
    measure_template: ClassVar[str]

    def __init__(self, sitting: Sitting) -> None:
        self.sitting = sitting

    @abstractmethod
    def now(self) -> datetime: ...

    @abstractmethod
    def render(self, template: str, **context: object) -> str:
        """The template with the place's own context (its token, its idle timer)."""

    @abstractmethod
    def home(self) -> Response:
        """A redirect to the entry page, which sends the client to where they are."""

    @abstractmethod
    def start(self, language: str) -> None:
        """Store the language chosen on the welcome screen (the place's service)."""

    @abstractmethod
    def record(self, code: str, page: PageAnswers) -> None:
        """Submit the measure's last answers and score it (the place's service)."""

    @abstractmethod
    def after_measure(self) -> Response:
        """Where the client goes once a measure is recorded."""

    def accepts_answers(self) -> bool:
        """Whether the sitting still takes answers (a locked hand-over does not)."""
        return True

    def item_url(self, code: str, number: int) -> str:
        """The one-item screen ``number`` of measure ``code``, for a place that has them."""
        raise NotImplementedError

    def welcome(self, form: BeginForm | None = None) -> str:
        form = form or BeginForm(formdata=None)
        languages = languages_for(self.sitting.measures)
        names = language_names(languages)
        form.language.choices = [SelectChoice(code, names[code]) for code in languages]
        form.language.data = form.language.data or languages[0]
        return self.render(self.welcome_template, form=form, languages=languages)

    def begin(self) -> ViewResult:
        if not self.accepts_answers():
            return self.home()
        languages = languages_for(self.sitting.measures)
        form = BeginForm()
        form.language.choices = [SelectChoice(code, code) for code in languages]
        if not form.validate_on_submit():
            return self.welcome(form)
        self.start(form.language.data or languages[0])
        return self.home()

    def measure(self, code: str, number: int | None = None) -> ViewResult:
        """A measure's page (GET) or its answers (POST); ``number``: one item per screen."""
        if (blocked := self._blocked(code)) is not None:
            return blocked
        if number is not None and not 1 <= number <= len(instruments.get_definition(code).items):
            abort(404)
        if request.method == "POST":
            return self._submit(code, number)
        return self.page(code, number)

    def _blocked(self, code: str) -> Response | None:
        """Only the next unfinished measure of a begun, open sitting can be answered."""
        if not self.accepts_answers() or self.sitting.language is None:
            return self.home()
        if code != drafts.next_measure(self.sitting):
            return self.home()
        return None

    def page(
        self,
        code: str,
        number: int | None = None,
        error: str | None = None,
        missing: tuple[str, ...] = (),
    ) -> ViewResult:
        page = page_view(
            code=code,
            progress=drafts.progress(self.sitting),
            language=self.sitting.language,
            only_item=number,
            missing=missing,
        )
        body = self.render(self.measure_template, page=page, number=number, error=error)
        # Marked questions are a normal page; an error that marks nothing is a bad request.
        return (body, 400) if error and not missing else body

    def _submit(self, code: str, number: int | None) -> ViewResult:
        definition = instruments.get_definition(code)
        item_ids = page_item_ids(definition, number)
        try:
            page = read_answers(definition, request.form, item_ids)
            if number is not None and number < len(definition.items):
                return self._next_item(code, number, item_ids, page)
            self.record(code, page)
        except IncompleteMeasure as error:
            first = (
                None
                if number is None
                else 1 + [i.id for i in definition.items].index(error.missing[0])
            )
            return self.page(code, first, str(error), error.missing)
        except ServiceError as error:
            return self.page(code, number, str(error))
        return self.after_measure()

    def _next_item(
        self, code: str, number: int, item_ids: list[str], page: PageAnswers
    ) -> Response:
        self._save(code, page)
        # A risk item is answered or declined before the client moves on (not skipped).
        drafts.require_risk_choices(owner=self.sitting, code=code, item_ids=item_ids)
        return redirect(self.item_url(code, number + 1))

    def _save(self, code: str, page: PageAnswers) -> None:
        drafts.save_answers(
            owner=self.sitting,
            code=code,
            answers=page.answers,
            declined=page.declined,
            now=self.now(),
        )

    def autosave(self) -> Response | tuple[Response, int]:
        """One answer as it is given (tablet.js); the pages work without it too."""
        if not self.accepts_answers():
            return jsonify(saved=False, locked=True), 409
        code = request.form.get("code", "")
        try:
            definition = instruments.get_definition(code)
            page = read_answers(definition, request.form, page_item_ids(definition, None))
            self._save(code, page)
        except NotFound:
            return jsonify(saved=False), 404
        except ServiceError as error:
            return jsonify(saved=False, error=str(error)), 400
        return jsonify(saved=True)
