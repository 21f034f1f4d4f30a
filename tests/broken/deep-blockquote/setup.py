body = "\n".join(">" * 500 + " deep" for _ in range(1))
(MANUSCRIPT / "chapters" / "03-deep.md").write_text(f"---\ntitle: Deep\n---\n\nText.\n\n{body}\n")
