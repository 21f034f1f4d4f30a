import base64
blob = base64.b64encode(b"not a png " * 300000).decode()
(MANUSCRIPT / "chapters" / "03-huge.md").write_text(f"---\ntitle: Huge\n---\n\nText.\n\n![A picture](data:image/png;base64,{blob})\n")
