"""Generated texts in French and French typography."""

from __future__ import annotations

import re

from pressroom.render.i18n import LABELS, format_long_date, french_typography

NNBSP, NBSP = "\u202f", "\u00a0"


def test_french_typography_is_applied_by_the_build():
    assert french_typography('Il dit "non" ; vraiment ?') == f"Il dit «{NNBSP}non{NNBSP}»{NNBSP}; vraiment{NNBSP}?"
    assert french_typography("Voici : « citation »") == f"Voici{NNBSP}: «{NNBSP}citation{NNBSP}»"
    assert french_typography("à 12:30, voir http://x.org") == "à 12:30, voir http://x.org"
    assert french_typography("Rwanda, 1994 : la volonté") == f"Rwanda, 1994{NNBSP}: la volonté"
    assert french_typography("Note 2: voir") == f"Note 2{NNBSP}: voir"
    assert french_typography("80 km et 5 %") == f"80{NBSP}km et 5{NBSP}%"
    assert french_typography("l'État") == "l’État"


def test_french_labels_carry_their_own_spacing_and_every_label_is_translated():
    assert set(LABELS["fr"]) == set(LABELS["en"])
    for key, value in LABELS["fr"].items():
        assert not re.search(r"[ ][:;!?]", value), key
        assert "'" not in value, key


def test_dates_follow_the_locale():
    assert format_long_date("2009-09-21", "fr_CA") == "21 septembre 2009"
    assert format_long_date("2009-09-21", "en_CA") == "September 21, 2009"
