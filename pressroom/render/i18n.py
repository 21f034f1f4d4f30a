"""Generated texts in each language, dates and numbers (Babel), and French typography."""

from __future__ import annotations

import datetime as dt
import re

from babel.dates import format_date

LABELS = {
    "en": {
        "contents": "Contents",
        "recommendation": "Recommendation",
        "recommendations": "Recommendations",
        "appendix": "Appendix",
        "appendix_title": "The recommendations",
        "appendix_intro": "Each recommendation is listed under its rubric, with the readers it is addressed to. "
                          "Its number is the same in every edition of this report.",
        "summary_of_recommendations": "Summary of recommendations",
        "full_report_page": "Full report, p. {page}",
        "page": "p.",
        "column_number": "No.",
        "column_recommendation": "Recommendation",
        "column_page": "Page",
        "addressed_to": "Addressed to",
        "rubric": "Rubric",
        "country_US": "United States",
        "country_CA": "Canada",
        "country_both": "Canada and the United States",
        "for": "For",
        "colophon": "Colophon",
        "published_by": "Published by",
        "version": "Version",
        "date": "Date",
        "licence": "Licence",
        "authors": "Authors",
        "footnotes": "Notes",
        "briefing": "Briefing",
        "recommendations_for_you": "Recommendations addressed to you",
        "brief_lead": "A policy brief drawn from the report",
        "web_pdf": "Download the PDF",
        "matrix_title": "Recommendations by rubric and audience",
        "matrix_note": "Each cell counts the recommendations of a rubric addressed to an audience; one recommendation may address several.",
        "skip": "Skip to the text",
        "back_to_contents": "Contents",
        "prepared_for": "Prepared for {name}, {title}, {office}",
        "copy_of": "Copy {n} of {total}",
        "report_kind": "Report",
        "brief_kind": "Brief",
        "epigraph": "Epigraph",
        "cover": "Cover",
        "at_a_glance": "What this brief asks of you",
        "colon": ": ",
    },
    "fr": {
        "contents": "Table des matières",
        "recommendation": "Recommandation",
        "recommendations": "Recommandations",
        "appendix": "Annexe",
        "appendix_title": "Les recommandations",
        "appendix_intro": "Chaque recommandation figure sous sa rubrique, avec les lecteurs auxquels elle s’adresse. "
                          "Son numéro est le même dans toutes les éditions du rapport.",
        "summary_of_recommendations": "Sommaire des recommandations",
        "full_report_page": "Rapport complet, p. {page}",
        "page": "p.",
        "column_number": "N\u00ba",
        "column_recommendation": "Recommandation",
        "column_page": "Page",
        "addressed_to": "Destinataires",
        "rubric": "Rubrique",
        "country_US": "États-Unis",
        "country_CA": "Canada",
        "country_both": "Canada et États-Unis",
        "for": "À l’intention de\u202f:",
        "colophon": "Colophon",
        "published_by": "Publié par",
        "version": "Version",
        "date": "Date",
        "licence": "Licence",
        "authors": "Auteurs",
        "footnotes": "Notes",
        "briefing": "Note d’information",
        "recommendations_for_you": "Recommandations qui vous sont adressées",
        "brief_lead": "Une note d’information tirée du rapport",
        "web_pdf": "Télécharger le PDF",
        "matrix_title": "Recommandations par rubrique et par destinataire",
        "matrix_note": "Chaque case compte les recommandations d’une rubrique adressées à un destinataire\u202f; une recommandation peut en viser plusieurs.",
        "skip": "Aller au texte",
        "back_to_contents": "Table des matières",
        "prepared_for": "Exemplaire préparé pour {name}, {title}, {office}",
        "copy_of": "Exemplaire {n} sur {total}",
        "report_kind": "Rapport",
        "brief_kind": "Note d’information",
        "epigraph": "Épigraphe",
        "cover": "Couverture",
        "at_a_glance": "Ce que cette note vous demande",
        "colon": "\u202f: ",
    },
}


def labels_for(language: str, overrides: tuple[tuple[str, str], ...] = ()) -> dict[str, str]:
    """Generated texts for a language, with the publication's overrides applied."""
    base = dict(LABELS["en"])
    base.update(LABELS.get(language, {}))
    base.update(dict(overrides))
    return base


def format_long_date(iso: str, locale: str) -> str:
    """`2009-09-21` as `September 21, 2009` (en_CA) or `21 septembre 2009` (fr_CA)."""
    return format_date(dt.date.fromisoformat(iso), format="long", locale=locale)


NNBSP = "\u202f"  # narrow no-break space
NBSP = "\u00a0"
UNITS = r"(?:%|\$|km|kg|m|cm|mm|h|min|s|ans?|jours?|pages?|p\.|millions?|milliards?|°C)"


def french_typography(text: str) -> str:
    """French spacing applied by the build: narrow no-break spaces before ; : ! ? and inside « »,
    French quotation marks, and no break between a number and its unit."""
    # Straight or English double quotes to guillemets.
    text = re.sub(r"[\"“]\s*([^\"”]+?)\s*[\"”]", f"«{NNBSP}\\1{NNBSP}»", text)
    text = re.sub(r"«[ \u00a0\u202f]*", f"«{NNBSP}", text)
    text = re.sub(r"[ \u00a0\u202f]*»", f"{NNBSP}»", text)
    text = re.sub(r"[ \u00a0\u202f]*([;!?])", f"{NNBSP}\\1", text)
    # Colon: a space before it becomes a narrow one ("Rwanda, 1994 :" too); none is added in times
    # (12:30) or URLs (http://).
    text = re.sub(r"[ \u00a0\u202f]+:(?![/\d])", f"{NNBSP}:", text)
    text = re.sub(r"(?<![/: \u00a0\u202f]):(?![/\d])", f"{NNBSP}:", text)
    text = re.sub(rf"(\d) ({UNITS})(?=\W|$)", f"\\1{NBSP}\\2", text)
    text = re.sub(r"(\d) (?=\d{3}\b)", f"\\1{NNBSP}", text)
    return text.replace("'", "’")


def typography_for(language: str):
    """The text transform a language needs, or None."""
    return french_typography if language == "fr" else None


def typeset_edition(edition):
    """The edition with the language's typography applied to every plain-text field
    (titles, summaries, labels); Markdown bodies get it during rendering."""
    from dataclasses import replace
    typo = typography_for(edition.language)
    if typo is None:
        return edition
    pub = edition.publication
    t = lambda s: typo(s) if s else s  # noqa: E731
    pub = replace(
        pub, title=t(pub.title), subtitle=t(pub.subtitle), organisation=t(pub.organisation),
        publisher=t(pub.publisher), licence=t(pub.licence), subject=t(pub.subject), contact=t(pub.contact),
        audiences=tuple(replace(a, label=t(a.label), short=t(a.short)) for a in pub.audiences),
        rubrics=tuple(replace(r, label=t(r.label)) for r in pub.rubrics),
        epigraph=replace(pub.epigraph, text=t(pub.epigraph.text), attribution=t(pub.epigraph.attribution),
                         source=t(pub.epigraph.source))
        if pub.epigraph else None,
    )
    return replace(
        edition, publication=pub,
        sections=tuple(replace(s, title=t(s.title), short_title=t(s.short_title)) for s in edition.sections),
        recommendations=tuple(replace(r, title=t(r.title), summary=t(r.summary)) for r in edition.recommendations),
    )
