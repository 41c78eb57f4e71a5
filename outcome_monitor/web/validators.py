"""Form fields and validators every form shares: what the browser sends is checked here.

``float("nan")``, ``float("inf")`` and ``float("1e999")`` all parse, and NaN slips past range
checks written as comparisons; a number field that is neither finite nor refused ends in a
server error or a nonsense score. Every number field that accepts decimals is a
``FiniteFloatField``.
"""

from __future__ import annotations

import math
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import FloatField

NOT_A_NUMBER = _l("Enter a number.")


class FiniteFloatField(FloatField):
    """A FloatField that refuses NaN and infinities like any other input that is no number."""

    data: float | None

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if self.data is not None and not math.isfinite(self.data):
            self.data = None
            raise ValueError(str(NOT_A_NUMBER))
