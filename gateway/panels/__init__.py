"""The staff's screens: the kitchen board (`/panel/pizzeria`) and the operator console (`/panel/ecommerce`).

`routes` (the pages and their forms), `staff` (login, session cookie, CSRF), `board` (the
orders and their status buttons), `views` (templates, filters, handed-off conversations);
`templates/` and `static/` hold the HTML, the stylesheet and the one small script.
"""
