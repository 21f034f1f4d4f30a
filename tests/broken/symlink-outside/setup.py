secret = MANUSCRIPT.parent / "secret.svg"
secret.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')
(MANUSCRIPT / "figures").mkdir(exist_ok=True)
(MANUSCRIPT / "figures" / "map.svg").symlink_to(secret)
