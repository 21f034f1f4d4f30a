body = "\n".join("    " * i + "- item" for i in range(500))
(MANUSCRIPT / "chapters" / "03-deep.md").write_text(f"---\ntitle: Deep\n---\n\nText.\n\n{body}\n")
