"""`scanner template edit`: a template corrected in the browser, over its reference pages."""
