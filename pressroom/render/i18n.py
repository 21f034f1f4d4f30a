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
        "and": "and",
        "by": "by",
        "title_page": "Title page",
        "back_cover": "Back cover",
        "about_edition": "About this edition.",
        "typeset_in": "Set in Source Serif 4 and Source Sans 3.",
        "reconstruction_line": "This edition is a reconstruction from public sources; see the colophon.",
        "illustrative": "Illustrative",
        "illustrative_note": "Illustrative: no public source this edition rests on attests the wording of this "
                             "recommendation; it shows what the rubric could ask and is not W2I’s text.",
        "illustrative_key": "Recommendations marked Illustrative are not attested in the public sources this "
                            "edition rests on; they are not W2I’s text (see the colophon).",
        "brief_prepared_for": "For {label}",
        "web_address": "Full report",
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
        "and": "et",
        "by": "par",
        "title_page": "Page de titre",
        "back_cover": "Quatrième de couverture",
        "about_edition": "À propos de cette édition.",
        "typeset_in": "Composé en Source Serif 4 et Source Sans 3.",
        "reconstruction_line": "Cette édition est une reconstitution à partir de sources publiques\u202f; voir le colophon.",
        "illustrative": "Illustrative",
        "illustrative_note": "Illustrative\u202f: aucune des sources publiques sur lesquelles repose cette édition "
                             "n’atteste le libellé de cette recommandation\u202f; elle montre ce que la rubrique "
                             "pourrait demander et n’est pas le texte du W2I.",
        "illustrative_key": "Les recommandations marquées Illustrative ne sont pas attestées dans les sources "
                            "publiques sur lesquelles repose cette édition\u202f; elles ne sont pas le texte du W2I "
                            "(voir le colophon).",
        "brief_prepared_for": "Destinataires\u202f: {label}",
        "web_address": "Rapport complet",
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


def smart_quotes(text: str) -> str:
    """Typographer's quotation marks and apostrophes for English text that does not go through
    Python-Markdown's smarty (titles, summaries and labels from YAML, English spans in French text)."""
    text = re.sub(r'(^|[\s(\[{\u2014\u2013/])"', "\\1\u201c", text)
    text = text.replace('"', "\u201d")
    text = re.sub(r"(^|[\s(\[{\u2014\u2013/\u201c])'(?=\w)", "\\1\u2018", text)
    return text.replace("'", "\u2019")


def typography_for(language: str):
    """The text transform a language's Markdown needs after Python-Markdown, or None (English
    Markdown gets its quotation marks from smarty)."""
    return french_typography if language == "fr" else None


def plain_typography_for(language: str):
    """The text transform for a language's plain texts (from YAML: titles, summaries, labels)."""
    return french_typography if language == "fr" else smart_quotes


def typeset_edition(edition):
    """The edition with the language's typography applied to every plain-text field
    (titles, summaries, labels): French spacing, or English quotation marks and apostrophes;
    Markdown bodies get it during rendering."""
    from dataclasses import replace
    typo = plain_typography_for(edition.language)
    pub = edition.publication
    t = lambda s: typo(s) if s else s  # noqa: E731
    pub = replace(
        pub, title=t(pub.title), subtitle=t(pub.subtitle), organisation=t(pub.organisation),
        publisher=t(pub.publisher), licence=t(pub.licence), subject=t(pub.subject), contact=t(pub.contact),
        edition_note=t(pub.edition_note), blurb=t(pub.blurb),
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
