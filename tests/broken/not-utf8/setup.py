(MANUSCRIPT / "chapters" / "03-latin.md").write_bytes("---\ntitle: Latin\n---\n\nCaf\u00e9 cr\u00e8me.\n".encode("latin-1"))
