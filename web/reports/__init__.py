"""The report pages (/r/…): a studio's month, the union's picture, one's own page, the PDF."""
