"""PDF: layout with WeasyPrint, the report's parts and their join, the pypdf post-pass, accessibility."""
