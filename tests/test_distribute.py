"""Personalised copies and their distribution: validation, stamping, packages, and sending over real SMTP.

Everything runs against tests/fixtures/mini built once (conftest's `mini_build`), the recipients in
tests/fixtures/recipients, the project's e-mail templates, and an aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import json
import logging
import shutil
import socket
import sqlite3
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import FIXTURES, ROOT, run_cli
from pypdf import PdfReader

from pressroom.errors import BuildError
from pressroom.pdf.postpass import add_page_labels

RECIPIENTS = FIXTURES / "recipients"
PASSWORD = "s3cr3t-Pa55word!"
OWNER = "0wner-Pa55word!"
TAGS = ("/StructTreeRoot", "/MarkInfo", "/Lang", "/Outlines", "/PageLabels", "/Metadata")


# ------------------------------------------------------------------------------------------------ fixtures


@dataclass
class Project:
    """A working folder with a copy of the fixture manuscript (plus the e-mail templates) and its build."""

    root: Path

    def run(self, *args) -> int:
        return run_cli("distribute", "--manuscript", "manuscript", "--out", "dist", "--quiet", *args)

    def batch(self, name: str) -> Path:
        return self.root / "dist" / "distribution" / name

    def manifest(self, name: str) -> dict:
        return json.loads((self.batch(name) / "manifest.json").read_text())

    def ledger(self, name: str) -> list[dict]:
        db = sqlite3.connect(self.batch(name) / "ledger.sqlite")
        db.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in db.execute("SELECT * FROM sends ORDER BY id")]
        finally:
            db.close()


@pytest.fixture
def project(tmp_path, mini_build, monkeypatch) -> Project:
    shutil.copytree(FIXTURES / "mini", tmp_path / "manuscript")
    shutil.copytree(ROOT / "manuscript" / "email", tmp_path / "manuscript" / "email")
    dist = tmp_path / "dist"
    dist.mkdir()
    shutil.copy(mini_build / "manifest.json", dist)
    for lang in ("en", "fr"):
        (dist / lang).mkdir()
        for pdf in (mini_build / lang).glob("*.pdf"):
            shutil.copy(pdf, dist / lang)
    for name in ("valid.csv", "valid.yml", "invalid.csv", "injection.csv", "traversal.csv"):
        shutil.copy(RECIPIENTS / name, tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("PRESSROOM_OWNER_PASSWORD", raising=False)
    return Project(tmp_path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler:
    """Accepts messages, or refuses them with `refusal` once `limit` have been accepted."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.messages: list[email.message.EmailMessage] = []
        self.rcpts: list[str] = []
        self.attempts = 0
        self.limit: int | None = None
        self.refusal = "451 4.3.0 Try again later"
        self.refuse_first: int = 0

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        if self.refuse_first:
            self.refuse_first -= 1
            return self.refusal
        if self.limit is not None and len(self.messages) >= self.limit:
            return self.refusal
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.rcpts.extend(envelope.rcpt_tos)
        return "250 2.0.0 Ok: queued"


@pytest.fixture(scope="module")
def smtp_server():
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def smtp(smtp_server):
    controller, handler = smtp_server
    handler.reset()
    return controller.port, handler


def send_args(port: int, *extra) -> list:
    return ["--send", "--smtp-host", "127.0.0.1", "--smtp-port", port, "--smtp-security", "none",
            "--from", "W2I Test <sender@example.org>", "--retries", "1", "--backoff", "0.01", *extra]


def pdf_attachments(msg) -> list[tuple[str, bytes]]:
    return [(part.get_filename(), part.get_content()) for part in msg.iter_attachments()]


def text_of(data: bytes, first_only: bool = False) -> str:
    pages = PdfReader(io.BytesIO(data)).pages
    pages = pages[:1] if first_only else pages
    return " ".join(" ".join(p.extract_text() or "" for p in pages).split())


def batch_name(path: Path) -> str:
    return f"{path.stem}-{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}"


def all_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------------------------ recipients


def test_example_recipients_are_valid_and_cover_every_audience():
    from pressroom.distribute.recipients import load_recipients
    from pressroom.load.config import load_editions, load_publication
    pub = load_publication(ROOT / "manuscript" / "publication.yml")
    editions = load_editions(ROOT / "manuscript" / "editions.yml", pub)
    lst = load_recipients(ROOT / "manuscript" / "recipients.example.csv", pub, editions)
    people = lst.recipients
    assert 8 <= len(people) <= 12
    assert {r.audience for r in people} == {a.id for a in pub.audiences}
    for audience in ("ca-government", "ca-parliament"):
        assert {r.language for r in people if r.audience == audience} == {"en", "fr"}
    assert all(r.email.endswith(("@example.org", "@example.com")) for r in people)
    assert lst.warnings == ()


def test_example_recipients_render_with_the_project_templates():
    """Every example recipient's e-mail renders with the real manuscript's templates."""
    from pressroom.distribute.batch import (
        Batch,
        Planned,
        check_templates,
        publication_in,
    )
    from pressroom.distribute.recipients import editions_for, load_recipients
    from pressroom.load.config import load_editions, load_publication
    root = ROOT / "manuscript"
    pub = load_publication(root / "publication.yml")
    editions = load_editions(root / "editions.yml", pub)
    lst = load_recipients(root / "recipients.example.csv", pub, editions)
    plans = tuple(Planned(r, e, r.language, Path("x.pdf"), "0" * 64, f"Title of {e.id}", 4, 1, 1, f"{r.index:03d}")
                  for r in lst.recipients for e in editions_for(r, editions))
    batch = Batch("example", Path("unused"), pub.date, lst, plans,
                  {lang: publication_in(root, lang, pub) for lang in pub.languages})
    check_templates(batch, root)


def test_every_problem_of_a_recipients_file_at_once_and_nothing_made(project, capsys):
    assert project.run("--recipients", "invalid.csv") == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "invalid.csv:2: e-mail address 'ada@example' is not valid (expected name@domain, e.g. jane.doe@example.org)",
        "invalid.csv:3: unknown audience 'lawmaker' (did you mean 'lawmakers'?) (expected one of: lawmakers, press)",
        "invalid.csv:4: language 'fr' is not available for the brief 'press' (expected one of: en)",
        "invalid.csv:6: duplicate recipient 'Dan@Example.org' (already on line 5)",
        "invalid.csv:7: country 'Canada' is not a two-letter code (expected e.g. CA or US)",
        "invalid.csv:8: missing name",
        "invalid.csv:9: unknown send 'breif' (did you mean 'brief'?) (expected one of: both, brief, report)",
        "invalid.csv:10: 6 fields, expected 8 like the header on line 1 (quote fields that contain commas)",
        "invalid.csv:11: name 'Σωκράτης Παππάς' has a character the stamp cannot print: 'Σ' (U+03A3) "
        "(write it in Latin letters)",
        "invalid.csv:12: language 'de' is not available for the brief 'lawmakers' (expected one of: en, fr)",
        "build failed: 10 problems",
    ]
    assert not (project.root / "dist" / "distribution").exists()


def test_header_problems(project, capsys):
    (project.root / "bad.csv").write_text("name,title,office,country,audience,langauge,emial\n"
                                          "Ada,,,CA,lawmakers,en,ada@example.org\n")
    assert project.run("--recipients", "bad.csv") == 1
    cols = "columns: name, title, office, country, audience, language, email, and optionally send"
    assert capsys.readouterr().err.splitlines() == [
        f"bad.csv:1: missing column 'email' (expected {cols})",
        f"bad.csv:1: missing column 'language' (expected {cols})",
        f"bad.csv:1: unknown column 'emial' (did you mean 'email'?) (expected {cols})",
        f"bad.csv:1: unknown column 'langauge' (did you mean 'language'?) (expected {cols})",
        "build failed: 4 problems",
    ]


def test_file_problems(project, capsys):
    (project.root / "people.txt").write_text("x")
    assert project.run("--recipients", "people.txt") == 1
    assert project.run("--recipients", "missing.csv") == 1
    (project.root / "empty.csv").write_text("name,title,office,country,audience,language,email\n")
    assert project.run("--recipients", "empty.csv") == 1
    assert capsys.readouterr().err.splitlines() == [
        "people.txt: unknown recipients format '.txt' (expected .csv, .yml or .yaml)",
        "build failed: 1 problem",
        "missing.csv: file not found (expected a recipients list: CSV or YAML)",
        "build failed: 1 problem",
        "empty.csv: no recipients (expected a header line and one line per recipient)",
        "build failed: 1 problem",
    ]


def test_header_injection_is_refused(project, capsys):
    assert project.run("--recipients", "injection.csv") == 1
    assert capsys.readouterr().err.splitlines() == [
        "injection.csv:2: name contains a control character (U+000A); newlines and control characters are not allowed",
        "injection.csv:4: email contains a control character (U+000A); newlines and control characters are not "
        "allowed",
        "injection.csv:6: title contains a control character (U+0007); newlines and control characters are not "
        "allowed",
        "build failed: 3 problems",
    ]


@pytest.mark.parametrize("char", ["\r", "\u2028", "\u0085", "\u202e", "\x00"])
def test_other_line_breaks_and_controls_are_refused(project, capsys, char):
    (project.root / "r.csv").write_text("name,title,office,country,audience,language,email\n"
                                        f"\"Eve{char}Bcc: x@example.net\",,,CA,lawmakers,en,eve@example.org\n",
                                        newline="")
    assert project.run("--recipients", "r.csv") == 1
    assert f"r.csv:2: name contains a control character (U+{ord(char):04X})" in capsys.readouterr().err


def test_injection_in_yaml_is_refused(project, capsys):
    (project.root / "r.yml").write_text('- {name: "Eve\\nBcc: x@example.net", title: "", office: "", country: CA, '
                                        'audience: lawmakers, language: en, email: eve@example.org}\n'
                                        '- {name: Norway, title: "", office: "", country: "NO", audience: press, '
                                        'language: no, email: n@example.org}\n')
    assert project.run("--recipients", "r.yml") == 1
    assert capsys.readouterr().err.splitlines() == [
        "r.yml:1: name contains a control character (U+000A); newlines and control characters are not allowed",
        "r.yml:2: 'language' must be text (got the value false; put the value in quotes)",
        "build failed: 2 problems",
    ]


def test_subject_cannot_be_injected_through_the_template(tmp_path):
    from pressroom.distribute.mail import render_draft
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "default.en.txt.j2").write_text("Subject: For {{ name }}\nBody\n")
    with pytest.raises(BuildError) as exc:
        render_draft(tmp_path, "press", "en", {"name": "Eve\r\nBcc: victim@example.net"})
    assert [str(p) for p in exc.value.problems] == [
        f"{tmp_path}/email/default.en.txt.j2:1: the rendered subject contains a control character (U+000D)"]


def test_yaml_recipients_are_read_like_csv():
    from pressroom.distribute.recipients import load_recipients
    from pressroom.load.config import load_editions, load_publication
    pub = load_publication(FIXTURES / "mini" / "publication.yml")
    editions = load_editions(FIXTURES / "mini" / "editions.yml", pub)
    a = load_recipients(RECIPIENTS / "valid.csv", pub, editions).recipients
    b = load_recipients(RECIPIENTS / "valid.yml", pub, editions).recipients
    strip = [(r.index, r.name, r.title, r.office, r.country, r.audience, r.language, r.email, r.send) for r in a]
    assert strip == [(r.index, r.name, r.title, r.office, r.country, r.audience, r.language, r.email, r.send)
                     for r in b]
    assert [r.line for r in a] == [3, 4, 5, 6, 7]
    assert [r.line for r in b] == [3, 4, 5, 6, 7]


def test_folder_names_cannot_leave_the_batch(project):
    before = set(all_files(project.root))
    assert project.run("--recipients", "traversal.csv", "--batch", "b") == 0
    batch = project.batch("b")
    assert sorted(p.name for p in batch.iterdir() if p.is_dir()) == [
        "001-x", "002-evil", "003-etc-passwd", "004-recipient"]
    new = set(all_files(project.root)) - before
    assert new and all(f.startswith("dist/distribution/b/") for f in new)


@pytest.mark.parametrize("name", ["../evil", "a/b", "..", ".hidden", "x" * 81])
def test_unsafe_batch_names_are_refused(project, capsys, name):
    assert project.run("--recipients", "valid.csv", "--batch", name) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        f"--batch: batch name '{name}' must be letters, digits, dots, dashes and underscores (expected e.g. "
        "autumn-2009)")


def test_option_problems_all_at_once(project, capsys, monkeypatch):
    assert project.run("--recipients", "valid.csv", "--date", "21/09/2009", "--restrict", "--send",
                       "--smtp-host", "mail.example.org", "--smtp-security", "none", "--smtp-user", "alice") == 1
    assert capsys.readouterr().err.splitlines() == [
        "--date: date '21/09/2009' is not a date (expected YYYY-MM-DD)",
        "--from: --send needs --from (the sender's address)",
        "--restrict: --restrict needs the owner password in the PRESSROOM_OWNER_PASSWORD environment variable",
        "--smtp-security: --smtp-security none sends the copies and any password in clear; it is allowed only for "
        "localhost (expected starttls or tls)",
        "--smtp-user: --smtp-user needs the password in the SMTP_PASSWORD environment variable",
        "build failed: 5 problems",
    ]


def test_editions_must_be_built_first(project, capsys):
    shutil.rmtree(project.root / "dist")
    assert project.run("--recipients", "valid.csv") == 1
    assert capsys.readouterr().err.splitlines() == [
        "dist/manifest.json: no build found: run `pressroom` first to build the editions",
        "build failed: 1 problem"]


def test_missing_or_stale_edition_files(project, capsys):
    manifest = json.loads((project.root / "dist" / "manifest.json").read_text())
    manifest["outputs"] = [e for e in manifest["outputs"] if not (e["edition"] == "press")]
    (project.root / "dist" / "manifest.json").write_text(json.dumps(manifest))
    (project.root / "dist" / "fr" / "report.pdf").unlink()
    with open(project.root / "dist" / "fr" / "lawmakers.pdf", "ab") as f:
        f.write(b"\n% edited\n")
    assert project.run("--recipients", "valid.csv") == 1
    assert capsys.readouterr().err.splitlines() == [
        "dist/fr/lawmakers.pdf: does not match dist/manifest.json (changed since the build): run `pressroom` "
        "again",
        "dist/fr/report.pdf: file not found (needed by 1 recipient, line 4): run `pressroom` first",
        "dist/manifest.json: edition 'press' in 'en' has not been built (needed by 1 recipient, line 6): run "
        "`pressroom` first",
        "build failed: 3 problems",
    ]


def test_template_problems_are_located(project, capsys):
    email_dir = project.root / "manuscript" / "email"
    (email_dir / "press.en.txt.j2").write_text("Subject: Hello {{ recipient.name }}\n\n{{ recipient.nickname }}\n")
    (email_dir / "default.fr.txt.j2").unlink()
    assert project.run("--recipients", "valid.csv") == 1
    assert capsys.readouterr().err.splitlines() == [
        "manuscript/email: no e-mail template for audience 'lawmakers' in 'fr' (expected lawmakers.fr.txt.j2 or "
        "default.fr.txt.j2)",
        "manuscript/email/press.en.txt.j2:3: 'pressroom.distribute.recipients.Recipient object' has no attribute 'nickname' "
        "(expected one of: audience, batch, copies, date, publication, recipient)",
        "build failed: 2 problems",
    ]


def test_transliterated_names_are_warned_and_kept_in_the_metadata(project, capsys):
    (project.root / "r.csv").write_text("name,title,office,country,audience,language,email\n"
                                        "Łukasz Nowak,Poseł,Sejm,PL,lawmakers,en,lukasz@example.org\n")
    assert project.run("--recipients", "r.csv", "--batch", "b") == 0
    assert capsys.readouterr().err.splitlines() == [
        "r.csv:2: warning: name 'Łukasz Nowak' is printed as 'Lukasz Nowak' on the copies (the stamp font has "
        "Western European letters only)",
        "r.csv:2: warning: title 'Poseł' is printed as 'Posel' on the copies (the stamp font has Western European "
        "letters only)"]
    data = (project.batch("b") / "001-lukasz-nowak" / "lawmakers.en.pdf").read_bytes()
    assert "Prepared for Lukasz Nowak, Posel, Sejm" in text_of(data)
    assert PdfReader(io.BytesIO(data)).metadata["/Recipient"] == "Łukasz Nowak, Poseł, Sejm"
    assert project.run("--recipients", "r.csv", "--batch", "b", "--strict") == 1


# ------------------------------------------------------------------------------------------------ copies


def test_copies_are_made_out_to_each_recipient_in_their_language(project):
    assert project.run("--recipients", "valid.csv") == 0
    name = batch_name(project.root / "valid.csv")
    m = project.manifest(name)
    rows = [(c["recipient"], c["file"], c["copy"], c["copies"]) for c in m["copies"]]
    assert rows == [
        ("Ada Lovelace", "001-ada-lovelace/lawmakers.en.pdf", 1, 2),
        ("Émile Roy", "002-emile-roy/lawmakers.fr.pdf", 1, 1),
        ("Émile Roy", "002-emile-roy/report.fr.pdf", 1, 1),
        ("Grace Hopper", "003-grace-hopper/lawmakers.en.pdf", 2, 2),
        ("Ida Wells", "004-ida-wells/press.en.pdf", 1, 1),
        ("Joe Bloggs", "005-joe-bloggs/report.en.pdf", 1, 1),
    ]
    batch = project.batch(name)
    ada = text_of((batch / "001-ada-lovelace" / "lawmakers.en.pdf").read_bytes())
    line = "Prepared for Ada Lovelace, Member, Committee on Analytical Engines · Copy 1 of 2 · May 4, 2020"
    pages = len(PdfReader(batch / "001-ada-lovelace" / "lawmakers.en.pdf").pages)
    assert ada.count(line) == pages  # every footer
    assert "Copy 1 of 2 · May 4, 2020" in ada.replace(line, "")  # and the cover label
    grace = text_of((batch / "003-grace-hopper" / "lawmakers.en.pdf").read_bytes())
    assert "Prepared for Grace Hopper · Copy 2 of 2 · May 4, 2020" in grace  # no stray commas
    emile = text_of((batch / "002-emile-roy" / "report.fr.pdf").read_bytes(), first_only=True)
    assert "Exemplaire préparé pour Émile Roy, Député, Commission des finances · Exemplaire 1 sur 1 · 4 mai 2020" \
        in emile
    for c in m["copies"]:
        data = (batch / c["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == c["sha256"] == c["content_sha256"]
        meta = PdfReader(io.BytesIO(data)).metadata
        assert meta["/Recipient"].startswith(c["recipient"])
        assert meta["/CopyNumber"] == f"{c['copy']}/{c['copies']}"
    csv_lines = (batch / "manifest.csv").read_text().splitlines()
    assert csv_lines[0] == "recipient,email,audience,edition,language,file,sha256,copy,copies,zip"
    assert len(csv_lines) == 7


def test_a_copy_is_as_accessible_as_the_original(project, mini_build):
    assert project.run("--recipients", "valid.csv", "--batch", "b") == 0
    for copy_path, original_path in [(project.batch("b") / "001-ada-lovelace" / "lawmakers.en.pdf",
                                      mini_build / "en" / "lawmakers.pdf"),
                                     (project.batch("b") / "002-emile-roy" / "report.fr.pdf",
                                      mini_build / "fr" / "report.pdf")]:
        copy, original = PdfReader(copy_path), PdfReader(original_path)
        croot, oroot = copy.trailer["/Root"], original.trailer["/Root"]
        for key in TAGS:
            assert key in croot, key
        assert croot["/MarkInfo"]["/Marked"] is True or croot["/MarkInfo"]["/Marked"] == True  # noqa: E712
        assert croot["/Lang"] == oroot["/Lang"]
        assert croot["/PageLabels"] == oroot["/PageLabels"]
        assert copy.page_labels == original.page_labels
        assert [o.title for o in copy.outline if not isinstance(o, list)] == \
            [o.title for o in original.outline if not isinstance(o, list)]
        assert croot["/Metadata"].get_data() == oroot["/Metadata"].get_data()  # XMP kept as it was
        assert copy.metadata.title == original.metadata.title
        assert len(croot["/StructTreeRoot"]["/K"]) == len(oroot["/StructTreeRoot"]["/K"])
        for cpage, opage in zip(copy.pages, original.pages):
            assert cpage.get("/StructParents") == opage.get("/StructParents")
            assert cpage.get("/Tabs") == opage.get("/Tabs")
            stamp = cpage["/Contents"][-1].get_object().get_data()
            assert stamp.startswith(b"Q\n/Artifact BMC\n") and stamp.endswith(b"EMC\n")
            assert b"BDC" not in stamp and b"MCID" not in stamp  # stays out of the structure tree
            font = cpage["/Resources"]["/Font"]["/PRStamp"]
            assert "/FontFile2" in font["/FontDescriptor"]  # embedded, as PDF/UA requires
            assert font["/Encoding"] == "/WinAnsiEncoding"


def test_copies_are_deterministic(project, tmp_path):
    assert project.run("--recipients", "valid.csv", "--batch", "b") == 0
    first = all_files(project.batch("b"))
    assert project.run("--recipients", "valid.csv", "--batch", "b") == 0
    assert all_files(project.batch("b")) == first  # kept: same stamp key, same hash
    (project.batch("b") / "001-ada-lovelace" / "lawmakers.en.pdf").write_bytes(b"%PDF-1.7 damaged")
    (project.batch("b") / "004-ida-wells.zip").unlink()
    assert project.run("--recipients", "valid.csv", "--batch", "b") == 0
    assert all_files(project.batch("b")) == first  # made again, identical
    other = tmp_path / "again"
    other.mkdir()
    shutil.copytree(project.root / "manuscript", other / "manuscript")
    shutil.copytree(project.root / "dist", other / "dist", ignore=shutil.ignore_patterns("distribution"))
    shutil.copy(project.root / "valid.csv", other)
    import os
    os.chdir(other)
    assert run_cli("distribute", "--manuscript", "manuscript", "--out", "dist", "--quiet",
                   "--recipients", "valid.csv", "--batch", "b") == 0
    assert all_files(other / "dist" / "distribution" / "b") == first


def test_stamper_reuse_gives_the_same_bytes_as_a_fresh_one(mini_build):
    from pressroom.distribute.stamp import Stamper, StampText, stamp_pdf
    data = (mini_build / "en" / "report.pdf").read_bytes()
    a = StampText("Prepared for A", "Copy 1 of 3", "May 4, 2020", "A", "1/3")
    b = StampText("Prepared for B, a much longer title, Office", "Copy 2 of 3", "May 4, 2020", "B", "2/3")
    stamper = Stamper(data)
    first_a, first_b, second_a = stamper.copy(a), stamper.copy(b), stamper.copy(a)
    assert first_a == second_a == stamp_pdf(data, a)
    assert first_b == stamp_pdf(data, b) != first_a


def test_date_option_and_zip_packages(project):
    assert project.run("--recipients", "valid.csv", "--batch", "b", "--date", "2021-12-01") == 0
    batch = project.batch("b")
    assert "Copy 1 of 1 · December 1, 2021" in text_of((batch / "004-ida-wells" / "press.en.pdf").read_bytes())
    m = project.manifest("b")
    assert m["date"] == "2021-12-01"
    with zipfile.ZipFile(batch / "002-emile-roy.zip") as z:
        infos = z.infolist()
        assert [i.filename for i in infos] == ["002-emile-roy/lawmakers.fr.pdf", "002-emile-roy/report.fr.pdf"]
        assert {i.date_time for i in infos} == {(2021, 12, 1, 0, 0, 0)}
        assert z.read("002-emile-roy/report.fr.pdf") == (batch / "002-emile-roy" / "report.fr.pdf").read_bytes()
    assert {c["zip_sha256"] for c in m["copies"] if c["folder"] == "002-emile-roy"} == {
        hashlib.sha256((batch / "002-emile-roy.zip").read_bytes()).hexdigest()}
    assert not [p for p in batch.rglob("*.tmp")]


def test_packages_no_longer_listed_are_removed(project):
    assert project.run("--recipients", "valid.csv", "--batch", "b") == 0
    lines = (project.root / "valid.csv").read_text().splitlines()
    (project.root / "fewer.csv").write_text("\n".join(lines[:3]) + "\n")
    assert project.run("--recipients", "fewer.csv", "--batch", "b") == 0
    assert sorted(p.name for p in project.batch("b").iterdir()) == [
        ".lock", "001-ada-lovelace", "001-ada-lovelace.zip", "manifest.csv", "manifest.json"]


def test_restricted_copies(project, monkeypatch):
    from pypdf.constants import UserAccessPermissions as P
    monkeypatch.setenv("PRESSROOM_OWNER_PASSWORD", OWNER)
    assert project.run("--recipients", "valid.csv", "--batch", "b", "--restrict") == 0
    path = project.batch("b") / "001-ada-lovelace" / "lawmakers.en.pdf"
    r = PdfReader(path)
    assert r.is_encrypted
    r.decrypt("")
    perms = r.user_access_permissions
    assert not perms & P.MODIFY and not perms & P.ADD_OR_MODIFY and not perms & P.ASSEMBLE_DOC
    assert perms & P.EXTRACT_TEXT_AND_GRAPHICS and perms & P.PRINT
    for key in TAGS:
        assert key in r.trailer["/Root"]
    assert "Prepared for Ada Lovelace" in " ".join(p.extract_text() for p in r.pages)
    first = all_files(project.batch("b"))
    assert project.run("--recipients", "valid.csv", "--batch", "b", "--restrict") == 0
    assert all_files(project.batch("b")) == first  # the restricted copies already made are kept
    assert all(OWNER.encode() not in data for data in first.values())


# ------------------------------------------------------------------------------------------------ sending


def test_dry_run_lists_and_sends_nothing(project, smtp, capsys):
    port, handler = smtp
    assert run_cli("distribute", "--manuscript", "manuscript", "--out", "dist", "--recipients", "valid.csv",
                   "--batch", "b") == 0
    out = capsys.readouterr().out
    assert "Dry run: 5 messages would be sent (6 copies; 0 already sent)." in " ".join(out.split())
    assert handler.messages == []
    assert not (project.batch("b") / "ledger.sqlite").exists()


def test_send_one_message_per_recipient_with_their_own_copies(project, smtp):
    port, handler = smtp
    assert project.run("--recipients", "valid.csv", "--batch", "b", *send_args(port)) == 0
    m = project.manifest("b")
    assert sorted(handler.rcpts) == sorted({c["email"] for c in m["copies"]})
    assert len(handler.messages) == 5
    by_email = {msg["To"].addresses[0].addr_spec: msg for msg in handler.messages}
    for c in m["copies"]:
        msg = by_email[c["email"]]
        assert msg["To"].addresses[0].display_name == c["recipient"]
        assert msg["From"].addresses[0].addr_spec == "sender@example.org"
        files = dict(pdf_attachments(msg))
        data = files[c["file"].split("/")[1]]
        assert hashlib.sha256(data).hexdigest() == c["sha256"]
        assert f"{c['recipient']}" in text_of(data, first_only=True)
        copy = PdfReader(io.BytesIO(data))
        for key in TAGS:
            assert key in copy.trailer["/Root"]
    ada = by_email["ada@example.org"]
    assert ada["Subject"] == "A Small Report: your personal copy"
    assert "Prepared for Ada Lovelace" in text_of(pdf_attachments(ada)[0][1])
    body = ada.get_body().get_content().replace("\r\n", "\n")
    pages = m["copies"][0]["pages"]
    assert body.startswith("Dear Ada Lovelace,\n\nTest Institute is pleased to send you this publication, prepared "
                           f"for you:\n\n  - Briefing for Members of the Assembly ({pages} pages; copy 1 of 2), "
                           "attached as lawmakers.en.pdf\n\n")
    assert body.endswith("to Members of the Assembly, among others.\n\nWith our regards,\n\nTest Institute\n")
    grace = by_email["grace@example.com"].get_body().get_content()
    assert f"({pages} pages; copy 2 of 2), attached as lawmakers.en.pdf" in grace
    emile = by_email["emile.roy@example.org"]
    assert emile["Subject"] == "Un petit rapport : vos exemplaires personnels"
    assert [n for n, _ in pdf_attachments(emile)] == ["lawmakers.fr.pdf", "report.fr.pdf"]
    assert "pages, exemplaire 1 sur 1), en pièce jointe : report.fr.pdf" in emile.get_body().get_content()
    rows = project.ledger("b")
    assert [(r["recipient"], r["edition"], r["language"], r["status"]) for r in rows] == [
        (c["email"].lower(), c["edition"], c["language"], "sent") for c in m["copies"]]
    assert all(r["response"].startswith("250 2.0.0 Ok: queued") and r["result_at"] for r in rows)


def test_a_rerun_sends_nothing(project, smtp, capsys):
    port, handler = smtp
    assert project.run("--recipients", "valid.csv", "--batch", "b", *send_args(port)) == 0
    assert len(handler.messages) == 5
    capsys.readouterr()
    assert run_cli("distribute", "--manuscript", "manuscript", "--out", "dist", "--recipients", "valid.csv",
                   "--batch", "b", *send_args(port)) == 0
    assert len(handler.messages) == 5
    out = " ".join(capsys.readouterr().out.split())
    assert "Summary: 0 sent, 6 already sent, 0 changed, 0 uncertain, 0 failed, 0 not attempted" in out
    assert len(project.ledger("b")) == 6


@pytest.mark.parametrize("refusal,attempts_per_failure", [("451 4.3.0 Try again later", 2),
                                                          ("554 5.7.1 Message refused", 1)])
def test_a_refusing_server_leaves_exactly_the_rest_for_the_rerun(project, smtp, capsys, refusal,
                                                                   attempts_per_failure):
    port, handler = smtp
    handler.limit, handler.refusal = 2, refusal
    assert project.run("--recipients", "valid.csv", "--batch", "b", *send_args(port)) == 1
    first = [msg["To"].addresses[0].addr_spec for msg in handler.messages]
    assert len(first) == 2
    assert handler.attempts == 2 + 3 * attempts_per_failure  # --retries 1: a 4xx is tried twice, a 5xx once
    err = capsys.readouterr().err
    assert f"valid.csv:5: lawmakers.en.pdf failed: {refusal}" in err
    statuses = [(r["recipient"], r["status"]) for r in project.ledger("b")]
    assert [s for _, s in statuses].count("sent") == 3  # two messages, one with two copies
    handler.limit = None
    assert project.run("--recipients", "valid.csv", "--batch", "b", *send_args(port)) == 0
    everyone = [msg["To"].addresses[0].addr_spec for msg in handler.messages]
    assert len(everyone) == 5 and len(set(everyone)) == 5  # the rest, no duplicate
    assert everyone[:2] == first
    assert project.run("--recipients", "valid.csv", "--batch", "b", *send_args(port)) == 0
    assert len(handler.messages) == 5


def test_temporary_failures_are_retried_with_backoff(project, smtp, monkeypatch):
    port, handler = smtp
    handler.refuse_first = 2
    waits = []
    import pressroom.distribute.send as d
    monkeypatch.setattr(d.time, "sleep", lambda s: waits.append(s))
    assert project.run("--recipients", "valid.csv", "--batch", "b", *send_args(port, "--retries", "3",
                                                                                 "--backoff", "0.5")) == 0
    assert waits == [0.5, 1.0]
    assert len(handler.messages) == 5 and handler.attempts == 7
    assert project.ledger("b")[0]["attempts"] == 3


def test_unreachable_server(project, smtp, capsys):
    port, handler = smtp
    dead = free_port()
    assert project.run("--recipients", "valid.csv", "--batch", "b", *send_args(dead)) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"valid.csv:3: lawmakers.en.pdf failed: cannot connect to 127.0.0.1:{dead}:")
    assert err[1].startswith("valid.csv:4: lawmakers.fr.pdf not attempted: the server could not be reached")
    assert len(err) == 6
    assert [r["status"] for r in project.ledger("b")] == ["failed"]
    assert project.run("--recipients", "valid.csv", "--batch", "b", *send_args(port)) == 0
    assert len(handler.messages) == 5


def test_a_changed_edition_is_not_sent_again_unless_asked(project, smtp, capsys):
    port, handler = smtp
    assert project.run("--recipients", "valid.csv", "--batch", "b", *send_args(port)) == 0
    # Rebuild the press brief with a change: new file, new hash in the build manifest.
    path = project.root / "dist" / "en" / "press.pdf"
    data = add_page_labels(path.read_bytes(), None, {"/Keywords": "revised"})
    path.write_bytes(data)
    manifest = json.loads((project.root / "dist" / "manifest.json").read_text())
    for e in manifest["outputs"]:
        if e["path"] == "en/press.pdf":
            e["sha256"] = hashlib.sha256(data).hexdigest()
    (project.root / "dist" / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    assert project.run("--recipients", "valid.csv", "--batch", "b", *send_args(port)) == 1
    assert len(handler.messages) == 5
    assert "valid.csv:6: press.en.pdf changed: another version was sent (use --resend-changed)" in \
        capsys.readouterr().err
    assert project.run("--recipients", "valid.csv", "--batch", "b", *send_args(port, "--resend-changed")) == 0
    assert len(handler.messages) == 6
    assert handler.messages[-1]["To"].addresses[0].addr_spec == "ida.wells@example.com"
    assert project.run("--recipients", "valid.csv", "--batch", "b", *send_args(port)) == 0
    assert len(handler.messages) == 6


def test_a_crash_between_sending_and_recording_is_detected(project, smtp, monkeypatch, capsys):
    port, handler = smtp
    from pressroom.distribute.ledger import Ledger
    real = Ledger.result
    calls = []

    def crash_on_second(self, ids, status, response):
        calls.append(status)
        if len(calls) == 2:
            raise KeyboardInterrupt  # killed after the server accepted, before the result was written
        return real(self, ids, status, response)

    monkeypatch.setattr(Ledger, "result", crash_on_second)
    assert project.run("--recipients", "valid.csv", "--batch", "b", *send_args(port)) == 130
    monkeypatch.setattr(Ledger, "result", real)
    assert len(handler.messages) == 2
    assert [r["status"] for r in project.ledger("b")] == ["sent", "uncertain", "uncertain"]  # transmitted
    capsys.readouterr()
    assert project.run("--recipients", "valid.csv", "--batch", "b", *send_args(port)) == 1
    assert "valid.csv:4: lawmakers.fr.pdf uncertain: the last attempt may have been delivered: check, then use " \
           "--resend-uncertain" in capsys.readouterr().err
    sent_to = [msg["To"].addresses[0].addr_spec for msg in handler.messages]
    assert len(sent_to) == 5 and len(set(sent_to)) == 5  # the uncertain one was not sent twice
    assert project.run("--recipients", "valid.csv", "--batch", "b", *send_args(port, "--resend-uncertain")) == 0
    assert [msg["To"].addresses[0].addr_spec for msg in handler.messages][5:] == ["emile.roy@example.org"]
    assert handler.messages[1]["Message-ID"] == handler.messages[5]["Message-ID"]  # receivers can de-duplicate


def test_connection_lost_after_the_message_is_uncertain(project, smtp):
    port, handler = smtp

    async def drop(server, session, envelope):
        server.transport.close()
        return None

    handler.handle_DATA = drop
    try:
        assert project.run("--recipients", "valid.csv", "--batch", "b", *send_args(port)) == 1
    finally:
        del handler.handle_DATA
    rows = project.ledger("b")
    assert {r["status"] for r in rows} == {"uncertain"}
    assert rows[0]["attempts"] == 1  # never retried blindly
    assert rows[0]["response"].startswith("connection lost after the message was transmitted")


def test_starttls_is_required_by_default(project, smtp, capsys):
    port, handler = smtp
    args = [a for a in send_args(port) if a not in ("--smtp-security", "none")]
    assert project.run("--recipients", "valid.csv", "--batch", "b", *args) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (f"valid.csv:3: lawmakers.en.pdf failed: 127.0.0.1:{port} does not offer STARTTLS (use "
                      "--smtp-security tls with its TLS port, or another server)")
    assert err[1] == (f"valid.csv:4: lawmakers.fr.pdf not attempted: sending stopped: 127.0.0.1:{port} does not "
                      "offer STARTTLS (use --smtp-security tls with its TLS port, or another server)")
    assert handler.messages == []


def test_a_second_run_cannot_use_the_batch_at_the_same_time(project, capsys):
    from pressroom.distribute.send import batch_lock
    with batch_lock(project.batch("b")):
        assert project.run("--recipients", "valid.csv", "--batch", "b") == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        "dist/distribution/b/.lock: another `distribute` run is using this batch (wait for it to finish)")
    assert project.run("--recipients", "valid.csv", "--batch", "b") == 0


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_smtp_password_is_never_written(project, monkeypatch, caplog, capsys):
    handler = Handler()

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"alice" \
            and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)

    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    try:
        caplog.set_level(logging.DEBUG, logger="pressroom")
        monkeypatch.setenv("SMTP_PASSWORD", PASSWORD + "-wrong")
        args = send_args(controller.port, "--smtp-user", "alice")
        assert run_cli("distribute", "--manuscript", "manuscript", "--out", "dist", "--debug",
                       "--recipients", "valid.csv", "--batch", "b", *args) == 1
        assert handler.messages == []
        monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
        assert run_cli("distribute", "--manuscript", "manuscript", "--out", "dist", "--debug",
                       "--recipients", "valid.csv", "--batch", "b", *args) == 0
        assert len(handler.messages) == 5
    finally:
        controller.stop()
    captured = capsys.readouterr()
    assert "authentication as alice refused: 535" in captured.err
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]  # not the test server's own log
    assert any(r.name.startswith("pressroom") for r in ours)
    texts = [captured.out, captured.err] + [f"{r.getMessage()} {r.args}" for r in ours]
    for data in all_files(project.batch("b")).values():
        texts.append(data.decode("latin-1"))
    assert any("ledger.sqlite" in p for p in all_files(project.batch("b")))
    for text in texts:
        assert PASSWORD not in text


def test_batch_name_defaults_to_file_name_and_content_hash(project):
    assert project.run("--recipients", "valid.yml") == 0
    assert (project.root / "dist" / "distribution" / batch_name(project.root / "valid.yml")).is_dir()


def test_copies_stamped_on_a_dask_cluster_are_those_made_here(project):
    """The stamping tasks on a local dask cluster of two workers give the same copies, byte for byte."""
    assert project.run("--recipients", "valid.csv", "--batch", "here") == 0
    assert project.run("--recipients", "valid.csv", "--batch", "cluster", "--executor", "dask", "--jobs", "2") == 0
    here, cluster = project.manifest("here"), project.manifest("cluster")
    assert len(here["copies"]) >= 5
    assert [c["content_sha256"] for c in cluster["copies"]] == [c["content_sha256"] for c in here["copies"]]


def test_stamping_in_forked_workers_gives_the_copies_made_in_one_process(project, monkeypatch):
    """Chunks of copies on several workers are the copies one stamper makes in turn."""
    import pressroom.distribute.packages as packages
    assert project.run("--recipients", "valid.csv", "--batch", "one", "--jobs", "1") == 0
    monkeypatch.setattr(packages, "STAMP_CHUNK", 2)
    assert project.run("--recipients", "valid.csv", "--batch", "many", "--jobs", "2") == 0
    one, many = project.manifest("one"), project.manifest("many")
    assert [c["content_sha256"] for c in many["copies"]] == [c["content_sha256"] for c in one["copies"]]


def test_what_stamping_can_change_is_checked_on_every_copy(mini_build):
    """Copies after a task's first are checked for what stamping touches; a stamp not marked as an
    artifact, or a copy that lost its tags, is caught."""
    from pressroom.distribute.stamp import Stamper, StampText, stamping_problems
    stamper = Stamper((mini_build / "en" / "lawmakers.pdf").read_bytes())
    copy = stamper.copy(StampText("Prepared for A. Reader", "Copy 1 of 2", "1 January 2020", "a", "1/2"))
    assert stamping_problems(copy) == []
    pages = len(PdfReader(BytesIO(copy)).pages)
    untagged_stamp = copy.replace(b"Q\n/Artifact BMC", b"Q\n/Spanxxx BMC")
    assert stamping_problems(untagged_stamp) == [f"page {n}: the stamp is not marked as an artifact"
                                                 for n in range(1, pages + 1)]
    assert "not marked as tagged (/MarkInfo /Marked true)" in stamping_problems(copy.replace(b"/Marked true", b"/Marked false"))
